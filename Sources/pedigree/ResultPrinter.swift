import ArgumentParser
import Foundation
import Pedigree
@_spi(Engine) import PedigreeGraph

/// Prints query results in each format.
struct ResultPrinter {
    let snapshot: GraphSnapshot
    let format: ResultFormat

    private func typeName(_ n: NodeRef) -> String { snapshot.typeName(of: n) }
    private func name(_ n: NodeRef) -> String? { snapshot[n].nodeName }
    private func id(_ n: NodeRef) -> Int64 { snapshot.id(of: n) }

    func print(_ result: QueryResult, to out: inout Output) {
        let layout = ResultLayout(format: format)
        switch result.rows {
        case .nodes(let nodes):
            if format == .json {
                out.line(ResultEncoder(snapshot: snapshot).encode(result).text)
                break
            }
            let depth = result.withDepth
            if let header = layout.nodesHeader(depth: depth) { out.line(header) }
            for n in nodes {
                out.line(layout.node(n.node.kind, n.id, type: typeName(n.node), name: name(n.node), depth: depth ? n.depth : nil))
            }
            if let footer = layout.nodesFooter(nodes.count) { out.line(footer) }
        case .count(let n):
            if format == .json {
                out.line(ResultEncoder(snapshot: snapshot).encode(result).text)
            } else {
                out.line(layout.count(n))
            }
        case .groups(let rows):
            if format == .json {
                out.line(ResultEncoder(snapshot: snapshot).encode(result).text)
            } else {
                for line in layout.groups(columns: result.groupColumns, rows: rows.map { ($0.keys, $0.count) }) { out.line(line) }
            }
        case .subgraph(let s):
            if format == .json {
                out.line(ResultEncoder(snapshot: snapshot).encode(result).text)
                break
            }
            let nodes = s.artifacts.map { NodeRef(.artifact, $0) } + s.executions.map { NodeRef(.execution, $0) }
            if let header = layout.nodesHeader(depth: false) { out.line(header) }
            for n in nodes { out.line(layout.node(n.kind, id(n), type: typeName(n), name: name(n), depth: nil)) }
            if format == .table {
                for e in s.events {
                    let r = snapshot.event(Int(e))
                    out.line(ResultLayout.subgraphEvent(r.type, artifact: r.artifactID!.rawValue, execution: r.executionID!.rawValue))
                }
                out.line(ResultLayout.subgraphFooter(nodes: nodes.count, events: s.events.count, contexts: s.contexts.count))
            }
        case .paths(let paths):
            if format == .json {
                out.line(ResultEncoder(snapshot: snapshot).encode(result).text)
                break
            }
            for p in paths {
                out.line(layout.path(
                    p.nodes.map { n in (n.kind, id(n), format == .table ? typeName(n) : "", format == .table ? name(n) : nil) },
                    events: p.events.map { snapshot.event(Int($0)).type }))
            }
            if let footer = layout.pathsFooter(paths.count) { out.line(footer) }
        }
        if format != .json, let t = result.truncated { printError("truncated: \(t)") }
    }
}

/// The lines of each result format, for results from a local snapshot and from a server alike,
/// so that `--db` and `--server` print the same text. (JSON is `ResultEncoder`'s, and for a
/// server's answer `WireResultEncoder`'s.)
struct ResultLayout {
    let format: ResultFormat

    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// The CSV header of node rows (nodes and subgraphs); no header in the other formats.
    func nodesHeader(depth: Bool) -> String? {
        format == .csv ? "kind,id,type,name" + (depth ? ",depth" : "") : nil
    }

    /// One node row; `depth` when the query asked for depths.
    func node(_ kind: NodeKind, _ id: Int64, type: String, name: String?, depth: Int?) -> String {
        switch format {
        case .ids: return "\(kind) \(id)"
        case .csv: return "\(kind),\(id),\(Self.csvField(type)),\(Self.csvField(name ?? ""))" + (depth.map { ",\($0)" } ?? "")
        case .table, .json:
            let head = "\(kind) \(id)".padding(toLength: 18, withPad: " ", startingAt: 0)
            return head + type.padding(toLength: 20, withPad: " ", startingAt: 0) + (name ?? "") + (depth.map { "  depth \($0)" } ?? "")
        }
    }

    func nodesFooter(_ count: Int) -> String? {
        format == .table ? "(\(count) node\(count == 1 ? "" : "s"))" : nil
    }

    func count(_ n: Int) -> String {
        format == .csv ? "count\n\(n)" : String(n)
    }

    func groups(columns keys: [String], rows: [([String], Int)]) -> [String] {
        if format == .csv {
            return [(keys + ["count"]).map(Self.csvField).joined(separator: ",")]
                + rows.map { r in (r.0.map(Self.csvField) + [String(r.1)]).joined(separator: ",") }
        }
        let widths = keys.indices.map { i in max(keys[i].count, rows.map { $0.0[i].count }.max() ?? 0) + 2 }
        return [zip(keys, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined() + "count"]
            + rows.map { r in zip(r.0, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined() + String(r.1) }
    }

    /// An event of a subgraph, in the table format.
    static func subgraphEvent(_ type: EventType, artifact: Int64, execution: Int64) -> String {
        let arrow = type.isInput ? "artifact \(artifact) -> execution \(execution)" : "execution \(execution) -> artifact \(artifact)"
        return "  \(type): \(arrow)"
    }

    static func subgraphFooter(nodes: Int, events: Int, contexts: Int) -> String {
        "(\(nodes) nodes, \(events) events, \(contexts) contexts)"
    }

    /// A path: its nodes (type and name shown in the table format) and the types of the events
    /// between them.
    func path(_ nodes: [(kind: NodeKind, id: Int64, type: String, name: String?)], events: [EventType]) -> String {
        var text = ""
        for (i, n) in nodes.enumerated() {
            if i > 0 { text += " -\(events[i - 1])- " }
            text += "\(n.kind) \(n.id)" + (format == .table ? " (\(n.type)\(n.name.map { " \($0)" } ?? ""))" : "")
        }
        return text
    }

    func pathsFooter(_ count: Int) -> String? {
        format == .table ? "(\(count) path\(count == 1 ? "" : "s"))" : nil
    }
}
