import ArgumentParser
import Foundation
import Pedigree
import PedigreeWire

struct ExplainCommand: TargetedCommand {
    static let configuration = CommandConfiguration(commandName: "explain", abstract: "Show the plan a query would run, with estimates.")
    @OptionGroup var target: TargetOptions
    @Argument(help: "The query; '-' reads it from standard input.") var text: String
    @Option(help: "table or json (json: diagnostics as data)") var format: ResultFormat = .table
    @OptionGroup var options: QueryOptions

    func runLocal(_ path: String) throws {
        try PedigreeCommand.run {
            let snapshot = try MetadataStore(path: path, mode: .readOnly).snapshot
            let text = readQuery(self.text)
            do {
                let plan = try snapshot.plan(text, parameters: try options.parameters())
                print(ExplainRenderer.render(plan))
            } catch let error as QueryError {
                try reportQueryError(error, json: format == .json)
            }
        }
    }

    /// The plan from a running server, as a local run prints it.
    func runRemote(_ address: ServerAddress) async throws {
        try await PedigreeCommand.run {
            var request = Pedigree_V1_ExplainRequest()
            request.query = readQuery(self.text)
            (request.parameters, request.options) = try ServerCall.wire(options)
            let callOptions = ServerCall.options(timeout: options.timeout)
            let response = try await ServerCall.run(address, json: format == .json) { client in
                try await client.explain(request, options: callOptions)
            }
            print(response.plan)
        }
    }
}
