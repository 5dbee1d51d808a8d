import ArgumentParser
import Foundation
import Pedigree

/// The record formats of `import` and `export`.
enum RecordFormat: String, ExpressibleByArgument, CaseIterable {
    case pedigree, openlineage
}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import a JSON-lines interchange file (see docs/INTERCHANGE.md), or OpenLineage events.",
        discussion: """
            --format openlineage reads OpenLineage 2-0-x RunEvents, DatasetEvents and JobEvents, one JSON
            object a line, and maps them onto MLMD's model (README: OpenLineage). A bad line names its
            number and the field, and nothing of its batch is written.
            """)
    @OptionGroup var store: StoreOptions
    @Argument(help: "The JSON-lines file to read ('-' for standard input).") var file: String
    @Option(help: "pedigree (the interchange format) or openlineage (events).") var format: RecordFormat = .pedigree
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
            let summary =
                format == .openlineage
                ? try s.importOpenLineage(file: file, batchSize: batchSize) : try s.importRecords(file: file, batchSize: batchSize)
            s.close()
            print("imported \(summary.records) \(format == .openlineage ? "events" : "records") in \(summary.transactions) transaction(s) into \(s.path)")
        }
    }
}
