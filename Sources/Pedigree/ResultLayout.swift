internal import Foundation
@_spi(Engine) import PedigreeGraph
import PedigreeModel
import PedigreeQuery

/// The lines of each result format, for results from a local snapshot and from a server alike,
/// so that `--db` and `--server` print the same text. (JSON is `ResultEncoder`'s, and for a
/// server's answer `WireResultEncoder`'s.)
package struct ResultLayout {
    package enum Format: String, Sendable { case table, json, csv, ids }

    package let format: Format

    package init(format: Format) { self.format = format }

    /// A result's lines in a text format (table, csv or ids; JSON is `ResultEncoder`'s).
    package func lines(_ result: QueryResult, snapshot: GraphSnapshot) -> [String] {
        func typeName(_ n: NodeRef) -> String { snapshot.typeName(of: n) }
        func name(_ n: NodeRef) -> String? { snapshot[n].nodeName }
        func id(_ n: NodeRef) -> Int64 { snapshot.id(of: n) }
        var out: [String] = []
        switch result.rows {
        case .nodes(let nodes):
            let depth = result.withDepth
            if let header = nodesHeader(depth: depth) { out.append(header) }
            for n in nodes {
                out.append(node(n.node.kind, n.id, type: typeName(n.node), name: name(n.node), depth: depth ? n.depth : nil))
            }
            if let footer = nodesFooter(nodes.count) { out.append(footer) }
        case .count(let n):
            out.append(count(n))
        case .groups(let rows):
            out += groups(columns: result.groupColumns, rows: rows.map { ($0.keys, $0.count) })
        case .subgraph(let s):
            let nodes = s.artifacts.map { NodeRef(.artifact, $0) } + s.executions.map { NodeRef(.execution, $0) }
            if let header = nodesHeader(depth: false) { out.append(header) }
            for n in nodes { out.append(node(n.kind, id(n), type: typeName(n), name: name(n), depth: nil)) }
            if format == .table {
                for e in s.events {
                    let r = snapshot.event(Int(e))
                    out.append(Self.subgraphEvent(r.type, artifact: r.artifactID!.rawValue, execution: r.executionID!.rawValue))
                }
                out.append(Self.subgraphFooter(nodes: nodes.count, events: s.events.count, contexts: s.contexts.count))
            }
        case .paths(let paths):
            for p in paths {
                out.append(path(
                    p.nodes.map { n in (n.kind, id(n), format == .table ? typeName(n) : "", format == .table ? name(n) : nil) },
                    events: p.events.map { snapshot.event(Int($0)).type }))
            }
            if let footer = pathsFooter(paths.count) { out.append(footer) }
        }
        return out
    }

    package static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// The CSV header of node rows (nodes and subgraphs); no header in the other formats.
    package func nodesHeader(depth: Bool) -> String? {
        format == .csv ? "kind,id,type,name" + (depth ? ",depth" : "") : nil
    }

    /// One node row; `depth` when the query asked for depths.
    package func node(_ kind: NodeKind, _ id: Int64, type: String, name: String?, depth: Int?) -> String {
        switch format {
        case .ids: return "\(kind) \(id)"
        case .csv: return "\(kind),\(id),\(Self.csvField(type)),\(Self.csvField(name ?? ""))" + (depth.map { ",\($0)" } ?? "")
        case .table, .json:
            let head = "\(kind) \(id)".padding(toLength: 18, withPad: " ", startingAt: 0)
            return head + type.padding(toLength: 20, withPad: " ", startingAt: 0) + (name ?? "") + (depth.map { "  depth \($0)" } ?? "")
        }
    }

    package func nodesFooter(_ count: Int) -> String? {
        format == .table ? "(\(count) node\(count == 1 ? "" : "s"))" : nil
    }

    package func count(_ n: Int) -> String {
        format == .csv ? "count\n\(n)" : String(n)
    }

    package func groups(columns keys: [String], rows: [([String], Int)]) -> [String] {
        if format == .csv {
            return [(keys + ["count"]).map(Self.csvField).joined(separator: ",")]
                + rows.map { r in (r.0.map(Self.csvField) + [String(r.1)]).joined(separator: ",") }
        }
        let widths = keys.indices.map { i in max(keys[i].count, rows.map { $0.0[i].count }.max() ?? 0) + 2 }
        return [zip(keys, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined() + "count"]
            + rows.map { r in zip(r.0, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined() + String(r.1) }
    }

    /// An event of a subgraph, in the table format.
    package static func subgraphEvent(_ type: EventType, artifact: Int64, execution: Int64) -> String {
        let arrow = type.isInput ? "artifact \(artifact) -> execution \(execution)" : "execution \(execution) -> artifact \(artifact)"
        return "  \(type): \(arrow)"
    }

    package static func subgraphFooter(nodes: Int, events: Int, contexts: Int) -> String {
        "(\(nodes) nodes, \(events) events, \(contexts) contexts)"
    }

    /// A path: its nodes (type and name shown in the table format) and the types of the events
    /// between them.
    package func path(_ nodes: [(kind: NodeKind, id: Int64, type: String, name: String?)], events: [EventType]) -> String {
        var text = ""
        for (i, n) in nodes.enumerated() {
            if i > 0 { text += " -\(events[i - 1])- " }
            text += "\(n.kind) \(n.id)" + (format == .table ? " (\(n.type)\(n.name.map { " \($0)" } ?? ""))" : "")
        }
        return text
    }

    package func pathsFooter(_ count: Int) -> String? {
        format == .table ? "(\(count) path\(count == 1 ? "" : "s"))" : nil
    }
}
