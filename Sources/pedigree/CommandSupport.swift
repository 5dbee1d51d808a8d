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
    @Option(name: .long, help: "The MLMD SQLite file.")
    var db: String = "./pedigree.sqlite"

    func open(_ mode: MetadataStore.OpenMode) throws -> MetadataStore {
        try MetadataStore(path: db, mode: mode)
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}
