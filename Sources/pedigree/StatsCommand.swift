import ArgumentParser
import Foundation
import Pedigree

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
                let byType = JSONOut.object(counts.byType.keys.sorted().map { ($0, .int(Int64(counts.byType[$0]!))) })
                out.line(JSONOut.object(fields.map { ($0.0, .int(Int64($0.1))) } + [("by_type", byType)]).text)
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
