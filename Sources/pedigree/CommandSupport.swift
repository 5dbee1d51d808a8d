import ArgumentParser
import Foundation
import Pedigree

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Buffered standard output.
struct Output {
    private var buffer: [UInt8] = []

    mutating func line(_ text: String = "") {
        buffer.append(contentsOf: text.utf8)
        buffer.append(0x0a)
        if buffer.count > 1 << 16 { flush() }
    }

    mutating func flush() {
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}

struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The store: an MLMD SQLite file, :memory:, mysql://USER:PASSWORD@HOST:PORT/DATABASE or postgresql://USER:PASSWORD@HOST:PORT/DBNAME.",
        discussion: "A server's password may come from ?password_file=PATH, ?password_env=NAME or PEDIGREE_DB_PASSWORD instead of the URL."))
    var db: String = "./pedigree.sqlite"

    func open(_ mode: MetadataStore.OpenMode) throws -> MetadataStore {
        try MetadataStore(path: db, mode: mode)
    }

    /// Whether the store is a file (not a database server or memory).
    var isFile: Bool { db != ":memory:" && !db.contains("://") }

    /// Refuses a store that already holds records, for the commands that write a new one: a file
    /// that exists (before opening), or a server database with nodes in it (once `opened`).
    func requireNew(_ command: String, opened: MetadataStore? = nil) throws {
        if isFile, opened == nil, FileManager.default.fileExists(atPath: db) {
            throw MetadataError.alreadyExists("\(db) exists; \(command) writes a new store (remove the file first)")
        }
        if let opened, !isFile {
            let counts = StoreCounts(opened.snapshot)
            if counts.artifacts + counts.executions + counts.contexts > 0 {
                opened.close()
                throw MetadataError.alreadyExists("\(opened.path) holds records already; \(command) writes a new store (use an empty database)")
            }
        }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}
