import ArgumentParser
import Foundation
import Pedigree

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "explain", abstract: "Show the plan a query would run, with estimates.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The query; '-' reads it from standard input.") var text: String
    @Option(help: "table or json (json: diagnostics as data)") var format: ResultFormat = .table
    @OptionGroup var options: QueryOptions

    func run() throws {
        try PedigreeCommand.run {
            let snapshot = try store.open(.readOnly).snapshot
            let text = readQuery(self.text)
            do {
                let plan = try snapshot.plan(text, parameters: try options.parameters())
                print(ExplainRenderer.render(plan))
            } catch let error as QueryError {
                try reportQueryError(error, json: format == .json)
            }
        }
    }
}
