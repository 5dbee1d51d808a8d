import ArgumentParser
import Foundation
import Pedigree

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
