import ArgumentParser
import Foundation
import Pedigree

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
            print("imported \(summary.records) records in \(summary.transactions) transaction(s) into \(s.path)")
        }
    }
}
