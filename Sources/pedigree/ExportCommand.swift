import ArgumentParser
import Foundation
import Pedigree

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export every record as JSON lines (see docs/INTERCHANGE.md), or every run as OpenLineage events.",
        discussion: """
            --format openlineage writes one OpenLineage RunEvent per execution (README: OpenLineage), for
            Marquez or another consumer: runs that came from OpenLineage as they came, MLMD executions as
            runs of job namespace mlmd.
            """)
    @OptionGroup var store: StoreOptions
    @Argument(help: "The file to write ('-' for standard output).") var file: String
    @Option(help: "pedigree (the interchange format, every record) or openlineage (a RunEvent per execution).")
    var format: RecordFormat = .pedigree

    func run() throws {
        try PedigreeCommand.run {
            let opened = try store.open(.readOnly)
            var out: [UInt8] = []
            let line = { (text: String) in
                out.append(contentsOf: text.utf8)
                out.append(0x0a)
            }
            if format == .openlineage { opened.exportOpenLineage(to: line) } else { Interchange.export(opened.snapshot, to: line) }
            if file == "-" {
                FileHandle.standardOutput.write(Data(out))
            } else if !FileManager.default.createFile(atPath: file, contents: Data(out)) {
                throw MetadataError.invalidArgument("cannot write \(file)")
            }
        }
    }
}
