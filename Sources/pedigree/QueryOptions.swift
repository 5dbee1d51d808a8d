import ArgumentParser
import Foundation
import Pedigree

struct QueryOptions: ParsableArguments {
    @Option(name: .customLong("param"), help: "A query parameter, name=value (repeatable); $name in the query.")
    var params: [String] = []
    @Option(help: "Nodes a query may visit before it fails.") var maxVisits: Int = QueryLimits().maxVisits
    @Option(help: "Seconds a query may run before it fails.") var timeout: Double = 30

    func parameters() throws -> [String: String] { try Self.parameters(params) }

    /// `name=value` arguments of --param, by name.
    static func parameters(_ params: [String]) throws -> [String: String] {
        var out: [String: String] = [:]
        for p in params {
            guard let eq = p.firstIndex(of: "="), eq != p.startIndex else {
                throw ValidationError("--param takes name=value, got '\(p)'")
            }
            out[String(p[..<eq])] = String(p[p.index(after: eq)...])
        }
        return out
    }

    var limits: QueryLimits {
        QueryLimits(maxVisits: maxVisits, timeout: .milliseconds(Int64(timeout * 1000)))
    }
}

enum ResultFormat: String, ExpressibleByArgument, CaseIterable { case table, json, csv, ids }

/// The query text: the argument, or standard input for '-'.
func readQuery(_ argument: String) -> String {
    guard argument == "-" else { return argument }
    return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
}

/// Prints a query's diagnostics (as text on stderr, or as JSON on stdout) and exits 65.
func reportQueryError(_ error: QueryError, json: Bool) throws -> Never {
    if json {
        print(ResultEncoder.encode(error).text)
    } else {
        printError(error.description)
    }
    throw ExitCode(65)
}

func describe(_ d: Duration) -> String {
    let ns = Double(d.components.seconds) * 1e9 + Double(d.components.attoseconds) / 1e9
    if ns < 1e3 { return String(format: "%.0f ns", ns) }
    if ns < 1e6 { return String(format: "%.1f µs", ns / 1e3) }
    if ns < 1e9 { return String(format: "%.2f ms", ns / 1e6) }
    return String(format: "%.2f s", ns / 1e9)
}
