internal import Foundation
@_spi(Engine) internal import PedigreeGraph

/// JSON to write: objects keep their keys in the order given; doubles keep their shortest exact
/// form, and NaN and the infinities are the strings "NaN", "Infinity" and "-Infinity".
package indirect enum JSONOut: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONOut])
    case object([(String, JSONOut)])

    /// The compact JSON text.
    package var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += Self.double(d)
        case .string(let s): out += Self.quoted(s)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let fields):
            out += "{"
            for (i, (key, value)) in fields.enumerated() {
                if i > 0 { out += "," }
                out += Self.quoted(key)
                out += ":"
                value.write(to: &out)
            }
            out += "}"
        }
    }

    /// A JSON string literal.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    static func double(_ d: Double) -> String {
        if d.isNaN { return "\"NaN\"" }
        if d.isInfinite { return d > 0 ? "\"Infinity\"" : "\"-Infinity\"" }
        return "\(d)"
    }

    /// `nil` as JSON null.
    static func optional<T>(_ value: T?, _ encode: (T) -> JSONOut) -> JSONOut { value.map(encode) ?? .null }
}

/// Turns query results, nodes and diagnostics into JSON: the one encoder of the CLI's
/// `--format json` and of every other front end that answers in JSON.
package struct ResultEncoder {
    package let snapshot: GraphSnapshot

    package init(snapshot: GraphSnapshot) { self.snapshot = snapshot }

    /// A result: `nodes`, a subgraph (`nodes`, `edges`, `contexts`, `attributions`,
    /// `associations`), `paths`, `count` or `groups`; always with `truncated`.
    package func encode(_ result: QueryResult) -> JSONOut {
        var fields: [(String, JSONOut)]
        switch result.rows {
        case .nodes(let nodes):
            fields = [("nodes", .array(nodes.map { node($0.node, depth: result.withDepth ? $0.depth : nil) }))]
        case .count(let n):
            fields = [("count", .int(Int64(n)))]
        case .groups(let rows):
            let columns = result.groupColumns
            fields = [("groups", .array(rows.map { r in .object(zip(columns, r.keys).map { ($0, .string($1)) } + [("count", .int(Int64(r.count)))]) }))]
        case .subgraph(let s):
            let g = snapshot
            let nodes = s.artifacts.map { NodeRef(.artifact, $0) } + s.executions.map { NodeRef(.execution, $0) }
            fields = [
                ("nodes", .array(nodes.map { node($0, depth: nil) })),
                ("edges", .array(s.events.map(edge))),
                ("contexts", .array(s.contexts.map { c in
                    let ctx = g.contexts[Int(c)]
                    return .object([("kind", .string("context")), ("id", .int(g.contexts.ids[Int(c)])), ("type", .string(g.type(ctx.typeID)?.name ?? "?")),
                                    ("name", .string(ctx.name))])
                })),
                ("attributions", .array(s.attributions.map { .object([("context_id", .int(g.contexts.ids[Int($0.0)])), ("artifact_id", .int(g.artifactIDs[Int($0.1)]))]) })),
                ("associations", .array(s.associations.map { .object([("context_id", .int(g.contexts.ids[Int($0.0)])), ("execution_id", .int(g.executionIDs[Int($0.1)]))]) })),
            ]
        case .paths(let paths):
            fields = [("paths", .array(paths.map { p in .object([("nodes", .array(p.nodes.map { node($0, depth: nil) })), ("edges", .array(p.events.map(edge)))]) }))]
        }
        fields.append(("truncated", .optional(result.truncated) { t in
            .object([("reason", .string(t.reason)), ("returned", .int(Int64(t.returned))), ("omitted", .optional(t.omitted) { .int(Int64($0)) })])
        }))
        return .object(fields)
    }

    /// A node with its type, name, state, properties and custom properties (and depth, if given).
    package func node(_ n: NodeRef, depth: Int?) -> JSONOut {
        let node = snapshot[n]
        var fields: [(String, JSONOut)] = [
            ("kind", .string(n.kind.description)), ("id", .int(snapshot.id(of: n))), ("type", .string(snapshot.typeName(of: n))),
        ]
        if let name = node.nodeName { fields.append(("name", .string(name))) }
        if let a = node as? Artifact {
            if let uri = a.uri { fields.append(("uri", .string(uri))) }
            if let state = a.state { fields.append(("state", .string(state.description))) }
        } else if let state = (node as? Execution)?.lastKnownState {
            fields.append(("last_known_state", .string(state.description)))
        }
        fields += [("properties", Self.properties(node.properties)), ("custom_properties", Self.properties(node.customProperties))]
        if let depth { fields.append(("depth", .int(Int64(depth)))) }
        return .object(fields)
    }

    /// An event between two result nodes.
    package func edge(_ e: Int32) -> JSONOut {
        let r = snapshot.event(Int(e))
        return .object([("artifact_id", .int(r.artifactID!.rawValue)), ("execution_id", .int(r.executionID!.rawValue)), ("type", .string(r.type.description))])
    }

    /// Properties by name (sorted), each as `{"int": 1}`, `{"double": 0.5}`, `{"string": "s"}`,
    /// `{"bool": true}`, `{"struct": {...}}` or `{"proto": {"type_url": ..., "value": base64}}`:
    /// the interchange format's encoding.
    package static func properties(_ p: Properties) -> JSONOut {
        .object(p.keys.sorted().map { ($0, value(p[$0]!)) })
    }

    package static func value(_ v: Value) -> JSONOut {
        switch v {
        case .int(let i): .object([("int", .int(i))])
        case .double(let d): .object([("double", .double(d))])
        case .string(let s): .object([("string", .string(s))])
        case .bool(let b): .object([("bool", .bool(b))])
        case .struct(let s): .object([("struct", structValue(.object(s)))])
        case .proto(let any):
            .object([("proto", .object([("type_url", .string(any.typeURL)), ("value", .string(Data(any.value).base64EncodedString()))]))])
        }
    }

    package static func structValue(_ s: StructValue) -> JSONOut {
        switch s {
        case .null: .null
        case .number(let d): .double(d)
        case .string(let t): .string(t)
        case .bool(let b): .bool(b)
        case .object(let o): .object(o.keys.sorted().map { ($0, structValue(o[$0]!)) })
        case .list(let l): .array(l.map(structValue))
        }
    }

    /// A query's diagnostics as data: id, severity, message, line, column, UTF-8 byte range and
    /// notes, under `errors`.
    package static func encode(_ error: QueryError) -> JSONOut {
        .object([("errors", .array(error.diagnostics.map { d in
            let (line, column, _, _) = DiagnosticRenderer.location(of: d.range.start, in: error.source)
            return .object([
                ("id", .string(d.id)), ("severity", .string(d.severity.rawValue)), ("message", .string(d.message)),
                ("line", .int(Int64(line))), ("column", .int(Int64(column))), ("start", .int(Int64(d.range.start))),
                ("end", .int(Int64(d.range.end))), ("notes", .array(d.notes.map { .string($0) })),
            ])
        }))])
    }
}
