import ArgumentParser
import Foundation
import Pedigree

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show one node: its fields, properties, events and contexts.")

    enum Kind: String, ExpressibleByArgument, CaseIterable { case artifact, execution, context }

    @OptionGroup var store: StoreOptions
    @Argument(help: "artifact, execution or context") var kind: Kind
    @Argument(help: "The node's id.") var id: Int64
    @Option(help: "table or json") var format: OutputFormat = .table

    func run() throws {
        try PedigreeCommand.run {
            let g = try store.open(.readOnly).snapshot
            let nodeKind: NodeKind =
                switch kind {
                case .artifact: .artifact
                case .execution: .execution
                case .context: .context
                }
            let detail = try g.detail(kind: nodeKind, id: id)
            var out = Output()
            switch format {
            case .json: out.line(ResultEncoder(snapshot: g).encode(detail).text)
            case .table: print(detail, in: g, to: &out)
            }
            out.flush()
        }
    }

    private func print(_ d: NodeDetail, in g: GraphSnapshot, to out: inout Output) {
        let node = g[d.ref]
        func brief(_ n: NodeRef) -> String {
            "\(n.kind) \(g.id(of: n)) (\(g.typeName(of: n))\(g[n].nodeName.map { " \"\($0)\"" } ?? ""))"
        }
        out.line("\(d.ref.kind) \(g.id(of: d.ref))  type \(g.typeName(of: d.ref)) (\(node.typeID))")
        for (k, v) in d.fields { if let v { out.line("  \(k): \(v)") } }
        if let t = node.createTime { out.line("  created: \(isoTime(t))") }
        if let t = node.updateTime { out.line("  updated: \(isoTime(t))") }
        for (title, set) in [("properties", node.properties), ("custom properties", node.customProperties)] where !set.isEmpty {
            out.line("  \(title):")
            for name in set.keys.sorted() { out.line("    \(name) = \(render(set[name]!))") }
        }
        for (section, items) in d.sections {
            out.line("  \(section):")
            for item in items {
                switch item {
                case .node(let n): out.line("    " + brief(n))
                case .event(let e):
                    out.line("    \(e.type.description.padding(toLength: 16, withPad: " ", startingAt: 0)) \(e.outgoing ? "->" : "<-") \(brief(e.other))"
                        + (e.path.isEmpty ? "" : "  path \(e.path)"))
                }
            }
        }
    }

    private func isoTime(_ ms: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    private func render(_ v: Value) -> String {
        switch v {
        case .int(let i): "\(i)"
        case .double(let d): "\(d)"
        case .string(let s): JSONOut.string(s).text
        case .bool(let b): "\(b)"
        case .struct(let fields): "struct " + ResultEncoder.structValue(.object(fields)).text
        case .proto(let any): "proto \(any.typeURL) (\(any.value.count) bytes)"
        }
    }
}
