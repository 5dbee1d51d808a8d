import ArgumentParser
import Foundation
import Pedigree

struct QueryOptions: ParsableArguments {
    @Option(name: .customLong("param"), help: "A query parameter, name=value (repeatable); $name in the query.")
    var params: [String] = []
    @Option(help: "Nodes a query may visit before it fails.") var maxVisits: Int = QueryLimits().maxVisits
    @Option(help: "Seconds a query may run before it fails.") var timeout: Double = 30

    func parameters() throws -> [String: String] {
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

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query", abstract: "Run a lineage query (see Grammar/pedigree.ebnf and the README).")

    @OptionGroup var store: StoreOptions
    @Argument(help: "The query, e.g. \"artifact(type = 'Dataset') downstream* artifact(type = 'Model')\"; '-' reads it from standard input.")
    var text: String
    @Option(help: "table, json, csv or ids") var format: ResultFormat = .table
    @OptionGroup var options: QueryOptions
    @Flag(help: "Print the open time and the query time (median of --repeat runs) on standard error.") var timing = false
    @Option(help: "Run the query this many times on the open store (with --timing: the median).") var `repeat`: Int = 1

    func validate() throws {
        if `repeat` < 1 { throw ValidationError("--repeat must be at least 1") }
    }

    func run() throws {
        try PedigreeCommand.run {
            let clock = ContinuousClock()
            let openStart = clock.now
            let snapshot = try store.open(.readOnly).snapshot
            let openTime = clock.now - openStart
            let parameters = try options.parameters()
            let text = readQuery(self.text)
            let plan: Plan
            do {
                plan = try snapshot.plan(text, parameters: parameters)
            } catch let error as QueryError {
                try reportQueryError(error, json: format == .json)
            }
            var result: QueryResult?
            var times: [Duration] = []
            for _ in 0..<`repeat` {
                let t0 = clock.now
                result = try snapshot.run(plan, limits: options.limits)
                times.append(clock.now - t0)
            }
            var out = Output()
            if plan.query.mode == .explain {
                out.line(ExplainRenderer.render(plan))
            } else if plan.query.mode == .profile {
                out.line(ExplainRenderer.render(plan, profile: result!.profile))
            } else {
                ResultPrinter(snapshot: snapshot, format: format).print(result!, to: &out)
            }
            out.flush()
            if timing {
                let median = times.sorted()[times.count / 2]
                printError("open: \(describe(openTime)); query: \(describe(median)) (median of \(times.count))")
            }
        }
    }
}

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

/// The query text: the argument, or standard input for '-'.
func readQuery(_ argument: String) -> String {
    guard argument == "-" else { return argument }
    return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
}

/// Prints a query's diagnostics (as text on stderr, or as JSON on stdout) and exits 65.
func reportQueryError(_ error: QueryError, json: Bool) throws -> Never {
    if json {
        let items = error.diagnostics.map { d -> String in
            let (line, column, _, _) = DiagnosticRenderer.location(of: d.range.start, in: error.source)
            return "{\"id\":\(JSONWriter.quoted(d.id)),\"severity\":\"\(d.severity.rawValue)\",\"message\":\(JSONWriter.quoted(d.message)),"
                + "\"line\":\(line),\"column\":\(column),\"start\":\(d.range.start),\"end\":\(d.range.end),"
                + "\"notes\":[\(d.notes.map(JSONWriter.quoted).joined(separator: ","))]}"
        }
        print("{\"errors\":[\(items.joined(separator: ","))]}")
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

/// Prints query results in each format.
struct ResultPrinter {
    let snapshot: GraphSnapshot
    let format: ResultFormat

    private func typeName(_ n: NodeRef) -> String {
        let t: TypeID =
            switch n.kind {
            case .artifact: snapshot.artifacts[Int(n.index)].typeID
            case .execution: snapshot.executions[Int(n.index)].typeID
            case .context: snapshot.contexts[Int(n.index)].typeID
            }
        return snapshot.type(t)?.name ?? "?"
    }

    private func name(_ n: NodeRef) -> String? {
        switch n.kind {
        case .artifact: snapshot.artifacts[Int(n.index)].name
        case .execution: snapshot.executions[Int(n.index)].name
        case .context: snapshot.contexts[Int(n.index)].name
        }
    }

    private func id(_ n: NodeRef) -> Int64 {
        switch n.kind {
        case .artifact: snapshot.artifacts[Int(n.index)].id!.rawValue
        case .execution: snapshot.executions[Int(n.index)].id!.rawValue
        case .context: snapshot.contexts[Int(n.index)].id!.rawValue
        }
    }

    private func properties(_ n: NodeRef) -> (Properties, Properties) {
        switch n.kind {
        case .artifact: (snapshot.artifacts[Int(n.index)].properties, snapshot.artifacts[Int(n.index)].customProperties)
        case .execution: (snapshot.executions[Int(n.index)].properties, snapshot.executions[Int(n.index)].customProperties)
        case .context: (snapshot.contexts[Int(n.index)].properties, snapshot.contexts[Int(n.index)].customProperties)
        }
    }

    private func nodeJSON(_ n: NodeRef, depth: Int?) -> String {
        let (p, c) = properties(n)
        var parts = ["\"kind\":\"\(n.kind)\"", "\"id\":\(id(n))", "\"type\":\(JSONWriter.quoted(typeName(n)))"]
        if let name = name(n) { parts.append("\"name\":\(JSONWriter.quoted(name))") }
        if n.kind == .artifact {
            let a = snapshot.artifacts[Int(n.index)]
            if let uri = a.uri { parts.append("\"uri\":\(JSONWriter.quoted(uri))") }
            if let state = a.state { parts.append("\"state\":\"\(state)\"") }
        } else if n.kind == .execution, let s = snapshot.executions[Int(n.index)].lastKnownState {
            parts.append("\"last_known_state\":\"\(s)\"")
        }
        parts.append("\"properties\":\(Interchange.properties(p))")
        parts.append("\"custom_properties\":\(Interchange.properties(c))")
        if let depth { parts.append("\"depth\":\(depth)") }
        return "{" + parts.joined(separator: ",") + "}"
    }

    private func edgeJSON(_ e: Int32) -> String {
        let r = snapshot.event(Int(e))
        return "{\"artifact_id\":\(r.artifactID!),\"execution_id\":\(r.executionID!),\"type\":\"\(r.type)\"}"
    }

    private func truncatedJSON(_ t: Truncation?) -> String {
        guard let t else { return "null" }
        return "{\"reason\":\(JSONWriter.quoted(t.reason)),\"returned\":\(t.returned),\"omitted\":\(t.omitted.map(String.init) ?? "null")}"
    }

    private func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    func print(_ result: QueryResult, to out: inout Output) {
        switch result.rows {
        case .nodes(let nodes):
            let depth = result.withDepth
            switch format {
            case .ids: for n in nodes { out.line("\(n.node.kind) \(n.id)") }
            case .csv:
                out.line("kind,id,type,name" + (depth ? ",depth" : ""))
                for n in nodes {
                    out.line("\(n.node.kind),\(n.id),\(csvField(typeName(n.node))),\(csvField(name(n.node) ?? ""))" + (depth ? ",\(n.depth)" : ""))
                }
            case .json:
                out.line("{\"nodes\":[" + nodes.map { nodeJSON($0.node, depth: depth ? $0.depth : nil) }.joined(separator: ",") + "],\"truncated\":\(truncatedJSON(result.truncated))}")
            case .table:
                for n in nodes {
                    let head = "\(n.node.kind) \(n.id)".padding(toLength: 18, withPad: " ", startingAt: 0)
                    out.line(head + typeName(n.node).padding(toLength: 20, withPad: " ", startingAt: 0) + (name(n.node) ?? "") + (depth ? "  depth \(n.depth)" : ""))
                }
                out.line("(\(nodes.count) node\(nodes.count == 1 ? "" : "s"))")
            }
        case .count(let n):
            switch format {
            case .json: out.line("{\"count\":\(n),\"truncated\":null}")
            case .csv: out.line("count\n\(n)")
            case .ids, .table: out.line(String(n))
            }
        case .groups(let rows):
            let keys = result.groupColumns
            switch format {
            case .json:
                out.line("{\"groups\":[" + rows.map { r in
                    "{" + zip(keys, r.keys).map { "\(JSONWriter.quoted($0)):\(JSONWriter.quoted($1))" }.joined(separator: ",") + ",\"count\":\(r.count)}"
                }.joined(separator: ",") + "],\"truncated\":null}")
            case .csv:
                out.line((keys + ["count"]).map(csvField).joined(separator: ","))
                for r in rows { out.line((r.keys.map(csvField) + [String(r.count)]).joined(separator: ",")) }
            case .ids, .table:
                let widths = keys.indices.map { i in max(keys[i].count, rows.map { $0.keys[i].count }.max() ?? 0) + 2 }
                out.line(zip(keys, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined() + "count")
                for r in rows { out.line(zip(r.keys, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined() + String(r.count)) }
            }
        case .subgraph(let s):
            let nodes = s.artifacts.map { NodeRef(.artifact, $0) } + s.executions.map { NodeRef(.execution, $0) }
            switch format {
            case .json:
                let contexts = s.contexts.map { c -> String in
                    let ctx = snapshot.contexts[Int(c)]
                    return "{\"kind\":\"context\",\"id\":\(ctx.id!),\"type\":\(JSONWriter.quoted(snapshot.type(ctx.typeID)?.name ?? "?")),\"name\":\(JSONWriter.quoted(ctx.name))}"
                }
                let attributions = s.attributions.map { "{\"context_id\":\(snapshot.contexts[Int($0.0)].id!),\"artifact_id\":\(snapshot.artifacts[Int($0.1)].id!)}" }
                let associations = s.associations.map { "{\"context_id\":\(snapshot.contexts[Int($0.0)].id!),\"execution_id\":\(snapshot.executions[Int($0.1)].id!)}" }
                out.line("{\"nodes\":[" + nodes.map { nodeJSON($0, depth: nil) }.joined(separator: ",") + "],\"edges\":["
                    + s.events.map(edgeJSON).joined(separator: ",") + "],\"contexts\":[" + contexts.joined(separator: ",")
                    + "],\"attributions\":[" + attributions.joined(separator: ",") + "],\"associations\":[" + associations.joined(separator: ",")
                    + "],\"truncated\":null}")
            case .ids: for n in nodes { out.line("\(n.kind) \(id(n))") }
            case .csv:
                out.line("kind,id,type,name")
                for n in nodes { out.line("\(n.kind),\(id(n)),\(csvField(typeName(n))),\(csvField(name(n) ?? ""))") }
            case .table:
                for n in nodes {
                    out.line("\(n.kind) \(id(n))".padding(toLength: 18, withPad: " ", startingAt: 0) + typeName(n).padding(toLength: 20, withPad: " ", startingAt: 0) + (name(n) ?? ""))
                }
                for e in s.events {
                    let r = snapshot.event(Int(e))
                    let arrow = r.type.isInput ? "artifact \(r.artifactID!) -> execution \(r.executionID!)" : "execution \(r.executionID!) -> artifact \(r.artifactID!)"
                    out.line("  \(r.type): \(arrow)")
                }
                out.line("(\(nodes.count) nodes, \(s.events.count) events, \(s.contexts.count) contexts)")
            }
        case .paths(let paths):
            switch format {
            case .json:
                out.line("{\"paths\":[" + paths.map { p in
                    "{\"nodes\":[" + p.nodes.map { nodeJSON($0, depth: nil) }.joined(separator: ",") + "],\"edges\":[" + p.events.map(edgeJSON).joined(separator: ",") + "]}"
                }.joined(separator: ",") + "],\"truncated\":\(truncatedJSON(result.truncated))}")
            case .ids, .csv, .table:
                for p in paths {
                    var text = ""
                    for (i, n) in p.nodes.enumerated() {
                        if i > 0 { text += " -\(snapshot.event(Int(p.events[i - 1])).type)- " }
                        text += "\(n.kind) \(id(n))" + (format == .table ? " (\(typeName(n))\(name(n).map { " \($0)" } ?? ""))" : "")
                    }
                    out.line(text)
                }
                if format == .table { out.line("(\(paths.count) path\(paths.count == 1 ? "" : "s"))") }
            }
        }
        if format != .json, let t = result.truncated { printError("truncated: \(t)") }
    }
}
