import ArgumentParser
import Foundation
import Pedigree

/// Prints query results in each format.
struct ResultPrinter {
    let snapshot: GraphSnapshot
    let format: ResultFormat

    private func typeName(_ n: NodeRef) -> String { snapshot.typeName(of: n) }
    private func name(_ n: NodeRef) -> String? { snapshot[n].nodeName }
    private func id(_ n: NodeRef) -> Int64 { snapshot.id(of: n) }

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
                out.line(ResultEncoder(snapshot: snapshot).encode(result).text)
            case .table:
                for n in nodes {
                    let head = "\(n.node.kind) \(n.id)".padding(toLength: 18, withPad: " ", startingAt: 0)
                    out.line(head + typeName(n.node).padding(toLength: 20, withPad: " ", startingAt: 0) + (name(n.node) ?? "") + (depth ? "  depth \(n.depth)" : ""))
                }
                out.line("(\(nodes.count) node\(nodes.count == 1 ? "" : "s"))")
            }
        case .count(let n):
            switch format {
            case .json: out.line(ResultEncoder(snapshot: snapshot).encode(result).text)
            case .csv: out.line("count\n\(n)")
            case .ids, .table: out.line(String(n))
            }
        case .groups(let rows):
            let keys = result.groupColumns
            switch format {
            case .json:
                out.line(ResultEncoder(snapshot: snapshot).encode(result).text)
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
                out.line(ResultEncoder(snapshot: snapshot).encode(result).text)
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
                out.line(ResultEncoder(snapshot: snapshot).encode(result).text)
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
