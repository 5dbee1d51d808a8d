import Foundation
import Pedigree
import PedigreeServer
import PedigreeWire

/// Prints a server's answer to a query (`pedigree query --server`) as `ResultPrinter` prints a
/// local result: the same `ResultLayout` lines, and JSON in `ResultEncoder`'s shape.
struct WireResultPrinter {
    let format: ResultFormat

    /// A node of the answer as the printers see it.
    struct Node {
        var kind: NodeKind
        var id: Int64
        var type: String
        var name: String?
        /// The node read back into the model (for JSON).
        var model: any MetadataNode
    }

    static func node(_ a: MlMetadata_Artifact) throws -> Node {
        Node(kind: .artifact, id: a.id, type: typeName(a.type), name: a.hasName ? a.name : nil, model: try Artifact.fromWire(a))
    }

    static func node(_ x: MlMetadata_Execution) throws -> Node {
        Node(kind: .execution, id: x.id, type: typeName(x.type), name: x.hasName ? x.name : nil, model: try Execution.fromWire(x))
    }

    static func node(_ r: Pedigree_V1_ResultNode) throws -> Node {
        switch r.node {
        case .artifact(let a): try node(a)
        case .execution(let x): try node(x)
        case nil: throw MetadataError.internal("the server sent a result node that is neither an artifact nor an execution")
        }
    }

    /// MLMD's reads leave `type` empty when the type is unknown; a local run prints "?".
    static func typeName(_ name: String) -> String { name.isEmpty ? "?" : name }

    static func eventType(_ e: MlMetadata_Event) -> EventType { EventType(rawValue: e.type.rawValue) ?? .unknown }

    static func truncation(_ response: Pedigree_V1_QueryResponse) -> Truncation? {
        guard response.hasTruncated else { return nil }
        let t = response.truncated
        return Truncation(returned: Int(t.returned), omitted: t.omitted < 0 ? nil : Int(t.omitted), reason: t.reason)
    }

    func print(_ response: Pedigree_V1_QueryResponse, to out: inout Output) throws {
        if case .plan(let plan)? = response.result {
            out.line(plan)
            return
        }
        if format == .json {
            out.line(try WireResultEncoder.encode(response).text)
            return
        }
        let layout = ResultLayout(format: format.layout)
        switch response.result {
        case .nodes(let list):
            if let header = layout.nodesHeader(depth: list.withDepth) { out.line(header) }
            for r in list.nodes {
                let n = try Self.node(r)
                out.line(layout.node(n.kind, n.id, type: n.type, name: n.name, depth: list.withDepth ? Int(r.depth) : nil))
            }
            if let footer = layout.nodesFooter(list.nodes.count) { out.line(footer) }
        case .count(let n):
            out.line(layout.count(Int(n)))
        case .groups(let g):
            for line in layout.groups(columns: g.columns, rows: g.rows.map { ($0.keys, Int($0.count)) }) { out.line(line) }
        case .subgraph(let s):
            let nodes = try s.artifacts.map(Self.node) + s.executions.map(Self.node)
            if let header = layout.nodesHeader(depth: false) { out.line(header) }
            for n in nodes { out.line(layout.node(n.kind, n.id, type: n.type, name: n.name, depth: nil)) }
            if format == .table {
                for e in s.events { out.line(ResultLayout.subgraphEvent(Self.eventType(e), artifact: e.artifactID, execution: e.executionID)) }
                out.line(ResultLayout.subgraphFooter(nodes: nodes.count, events: s.events.count, contexts: s.contexts.count))
            }
        case .paths(let list):
            for p in list.paths {
                let nodes = try p.nodes.map(Self.node)
                out.line(layout.path(nodes.map { ($0.kind, $0.id, $0.type, $0.name) }, events: p.events.map(Self.eventType)))
            }
            if let footer = layout.pathsFooter(list.paths.count) { out.line(footer) }
        case .plan, nil:
            throw MetadataError.internal("the server's answer holds no result")
        }
        if let t = Self.truncation(response) { printError("truncated: \(t)") }
    }
}

/// `ResultEncoder`'s JSON for a server's answer: the same fields, in the same order.
enum WireResultEncoder {
    static func encode(_ response: Pedigree_V1_QueryResponse) throws -> JSONOut {
        var fields: [(String, JSONOut)]
        switch response.result {
        case .nodes(let list):
            fields = [("nodes", .array(try list.nodes.map { try node(WireResultPrinter.node($0), depth: list.withDepth ? Int($0.depth) : nil) }))]
        case .count(let n):
            fields = [("count", .int(n))]
        case .groups(let g):
            fields = [("groups", .array(g.rows.map { r in .object(zip(g.columns, r.keys).map { ($0, .string($1)) } + [("count", .int(r.count))]) }))]
        case .subgraph(let s):
            let nodes = try s.artifacts.map(WireResultPrinter.node) + s.executions.map(WireResultPrinter.node)
            fields = [
                ("nodes", .array(nodes.map { node($0, depth: nil) })),
                ("edges", .array(s.events.map(edge))),
                ("contexts", .array(s.contexts.map { c in
                    .object([("kind", .string("context")), ("id", .int(c.id)), ("type", .string(WireResultPrinter.typeName(c.type))), ("name", .string(c.name))])
                })),
                ("attributions", .array(s.attributions.map { .object([("context_id", .int($0.contextID)), ("artifact_id", .int($0.artifactID))]) })),
                ("associations", .array(s.associations.map { .object([("context_id", .int($0.contextID)), ("execution_id", .int($0.executionID))]) })),
            ]
        case .paths(let list):
            fields = [("paths", .array(try list.paths.map { p in
                .object([("nodes", .array(try p.nodes.map { node(try WireResultPrinter.node($0), depth: nil) })), ("edges", .array(p.events.map(edge)))])
            }))]
        case .plan, nil:
            throw MetadataError.internal("the server's answer holds no result")
        }
        let truncated: JSONOut = WireResultPrinter.truncation(response).map { t in
            .object([("reason", .string(t.reason)), ("returned", .int(Int64(t.returned))), ("omitted", t.omitted.map { .int(Int64($0)) } ?? .null)])
        } ?? .null
        fields.append(("truncated", truncated))
        return .object(fields)
    }

    static func node(_ n: WireResultPrinter.Node, depth: Int?) -> JSONOut {
        var fields: [(String, JSONOut)] = [("kind", .string(n.kind.description)), ("id", .int(n.id)), ("type", .string(n.type))]
        if let name = n.name { fields.append(("name", .string(name))) }
        if let a = n.model as? Artifact {
            if let uri = a.uri { fields.append(("uri", .string(uri))) }
            if let state = a.state { fields.append(("state", .string(state.description))) }
        } else if let state = (n.model as? Execution)?.lastKnownState {
            fields.append(("last_known_state", .string(state.description)))
        }
        fields += [("properties", ResultEncoder.properties(n.model.properties)), ("custom_properties", ResultEncoder.properties(n.model.customProperties))]
        if let depth { fields.append(("depth", .int(Int64(depth)))) }
        return .object(fields)
    }

    static func edge(_ e: MlMetadata_Event) -> JSONOut {
        .object([("artifact_id", .int(e.artifactID)), ("execution_id", .int(e.executionID)), ("type", .string(WireResultPrinter.eventType(e).description))])
    }
}
