import ArgumentParser
import Foundation
import Pedigree
import PedigreeWire
import SwiftProtobuf

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Ask a running `pedigree serve` how far it has followed its database.",
        discussion: """
            Prints the store and its engine, what the server holds, the highest id it has applied of
            each table and how many ids below them it still expects (transactions that took them had
            not committed), when its latest catch-up round began and how long ago that was: its
            answers now reflect at least everything committed before then.
            """)

    @Option(
        help: ArgumentHelp("The server at HOST:PORT (default: $PEDIGREE_SERVER).", valueName: "host:port"))
    var server: String?
    @Option(help: "table or json") var format: ResultFormat = .table

    func validate() throws {
        if let server { _ = try ServerAddress(server, from: "--server") }
        guard format == .table || format == .json else { throw ValidationError("--format takes table or json") }
    }

    func run() async throws {
        try await PedigreeCommand.run {
            let address: ServerAddress
            if let server {
                address = try ServerAddress(server, from: "--server")
            } else if let env = ProcessInfo.processInfo.environment["PEDIGREE_SERVER"], !env.isEmpty {
                address = try ServerAddress(env, from: "PEDIGREE_SERVER")
            } else {
                throw ValidationError("status asks a running server: pass --server HOST:PORT or set PEDIGREE_SERVER")
            }
            let status = try await ServerCall.run(address, json: format == .json) { client in
                try await client.status(Pedigree_V1_StatusRequest(), options: ServerCall.options(timeout: 10))
            }
            if format == .json {
                var options = JSONEncodingOptions()
                options.alwaysPrintInt64sAsNumbers = true
                options.preserveProtoFieldNames = true
                print(try status.jsonString(options: options))
                return
            }
            var rows: [(String, String)] = [
                ("database", status.database), ("engine", status.engine),
                ("nodes", "\(status.artifacts) artifacts, \(status.executions) executions, \(status.contexts) contexts, \(status.events) events"),
                ("generation", "\(status.generation)"),
            ]
            if status.follows {
                rows += [
                    ("follows", status.followIntervalMs > 0 ? "every \(status.followIntervalMs) ms" : "before writes and token reads only"),
                    ("rounds", "\(status.rounds)"),
                    ("staleness", "\(status.stalenessMs) ms (everything committed before the latest round's start is applied)"),
                    ("highest ids", ["artifact", "execution", "context", "event", "attribution", "association"]
                        .map { "\($0) \(status.highestIds[$0] ?? 0)" }.joined(separator: ", ")),
                    ("pending ids", "\(status.pendingIds)"),
                    ("horizon", status.horizon),
                ]
                if !status.lastError.isEmpty { rows.append(("last error", status.lastError)) }
            } else {
                rows.append(("follows", "no (a store in memory)"))
            }
            let width = rows.map(\.0.count).max() ?? 0
            for (name, value) in rows { print(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value) }
        }
    }
}
