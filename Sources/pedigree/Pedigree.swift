import ArgumentParser
import Foundation
import CMalloc
import Pedigree

@main
struct PedigreeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pedigree",
        abstract: "A lineage query engine for ML Metadata (MLMD) stores.",
        subcommands: [
            InitCommand.self, StatsCommand.self, ShowCommand.self, ImportCommand.self, ExportCommand.self,
            QueryCommand.self, ExplainCommand.self, RenderCommand.self, ListCommand.self, CheckCommand.self, DemoCommand.self, GenerateCommand.self,
            ServeCommand.self,
        ])

    static func main() async {
        keepFreedMemory()
        await main(nil)
    }

    /// Lets glibc keep freed memory for reuse instead of handing every large block back to the
    /// kernel: a query answer of many nodes allocates arrays of megabytes, and with the default
    /// (blocks over the adaptive mmap threshold are unmapped on free) each run paid again for
    /// zeroed fresh pages, about a third of a whole-store closure's time. Memory stays with the
    /// process up to the trim threshold and is reused by the next query.
    private static func keepFreedMemory() {
        _ = mallopt(M_MMAP_THRESHOLD, 256 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 1 << 30)
    }

    /// Runs a command body, mapping errors to sysexits codes: 65 bad data, 70 internal.
    static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as MetadataError {
            printError("pedigree: \(error.message) [\(error.code.rawValue)]")
            throw ExitCode(error.code == .internal ? 70 : 65)
        } catch let error as ExitCode {
            throw error
        } catch {
            printError("pedigree: \(error)")
            throw ExitCode(70)
        }
    }
}

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

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create an empty MLMD store.")
    @OptionGroup var store: StoreOptions

    func run() throws {
        try PedigreeCommand.run {
            if FileManager.default.fileExists(atPath: store.db),
                ((try? FileManager.default.attributesOfItem(atPath: store.db)[.size] as? Int) ?? 0) > 0
            {
                // Validates an existing file and leaves it as it is.
                _ = try store.open(.readOnly)
                print("\(store.db) is already an MLMD store")
                return
            }
            let s = try store.open(.create)
            s.close()
            print("created \(store.db) (MLMD schema version 10)")
        }
    }
}

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Count the records of a store.")
    @OptionGroup var store: StoreOptions
    @Option(help: "table or json") var format: OutputFormat = .table

    func run() throws {
        try PedigreeCommand.run {
            let counts = StoreCounts(try store.open(.readOnly).snapshot)
            let fields: [(String, Int)] = [
                ("types", counts.types), ("artifacts", counts.artifacts), ("executions", counts.executions),
                ("contexts", counts.contexts), ("events", counts.events), ("attributions", counts.attributions),
                ("associations", counts.associations), ("parent_contexts", counts.parentContexts),
            ]
            var out = Output()
            switch format {
            case .json:
                let body = fields.map { "  \"\($0.0)\": \($0.1)" }.joined(separator: ",\n")
                let byType = counts.byType.keys.sorted().map { "    \(JSONWriter.quoted($0)): \(counts.byType[$0]!)" }.joined(separator: ",\n")
                out.line("{\n\(body),\n  \"by_type\": {\(byType.isEmpty ? "" : "\n" + byType + "\n  ")}\n}")
            case .table:
                for (name, n) in fields { out.line(name.padding(toLength: 18, withPad: " ", startingAt: 0) + String(n)) }
                if !counts.byType.isEmpty {
                    out.line()
                    out.line("by type")
                    for name in counts.byType.keys.sorted() {
                        out.line("  " + name.padding(toLength: 28, withPad: " ", startingAt: 0) + String(counts.byType[name]!))
                    }
                }
            }
            out.flush()
        }
    }
}


struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import a JSON-lines interchange file (see docs/INTERCHANGE.md).")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The JSON-lines file to read ('-' for standard input).") var file: String
    @Option(help: "Commit every N lines (default: the whole file is one transaction).") var batchSize: Int?

    func validate() throws {
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        try PedigreeCommand.run {
            if file != "-", !FileManager.default.isReadableFile(atPath: file) {
                throw MetadataError.invalidArgument("cannot read \(file)")
            }
            let s = try store.open(.create)
            let summary = try s.importRecords(file: file, batchSize: batchSize)
            s.close()
            print("imported \(summary.records) records in \(summary.transactions) transaction(s) into \(store.db)")
        }
    }
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export every record as JSON lines (see docs/INTERCHANGE.md).")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The file to write ('-' for standard output).") var file: String

    func run() throws {
        try PedigreeCommand.run {
            let snapshot = try store.open(.readOnly).snapshot
            var out: [UInt8] = []
            Interchange.export(snapshot) { line in
                out.append(contentsOf: line.utf8)
                out.append(0x0a)
            }
            if file == "-" {
                FileHandle.standardOutput.write(Data(out))
            } else if !FileManager.default.createFile(atPath: file, contents: Data(out)) {
                throw MetadataError.invalidArgument("cannot write \(file)")
            }
        }
    }
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Verify the file's integrity and that the in-memory graph equals the database.")
    @OptionGroup var store: StoreOptions

    func run() throws {
        try PedigreeCommand.run {
            let report = try store.open(.readOnly).check()
            for w in report.warnings { print("warning: \(w)") }
            if report.isHealthy {
                let c = report.counts
                print("ok: \(c.artifacts) artifacts, \(c.executions) executions, \(c.contexts) contexts, \(c.events) events; graph == database")
            } else {
                for p in report.problems { printError("problem: \(p)") }
                throw MetadataError(.dataLoss, "\(report.problems.count) problem(s) found in \(store.db)")
            }
        }
    }
}
