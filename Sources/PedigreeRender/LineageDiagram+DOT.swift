import PedigreeModel

extension LineageDiagram {
    /// The diagram as Graphviz DOT text: deterministic (nodes by kind and id, edges by their
    /// ends), one statement a line, no blank lines.
    ///
    /// `graphAttributes` go into the graph's attribute list (PNG rendering bounds the size with
    /// `size` and `dpi`).
    public func dot(graphAttributes: [(String, String)] = []) -> String {
        var out: [String] = ["digraph lineage {"]
        var graph: [(String, String)] = [
            ("rankdir", options.rankDirection.rawValue), ("fontname", "Helvetica"), ("fontsize", "10"),
            ("nodesep", "0.25"), ("ranksep", "0.4"), ("newrank", "true"),
        ]
        if !notes.isEmpty {
            graph += [("labelloc", "b"), ("labeljust", "l"), ("label", notes.map { Self.wrap("note: \($0)", width: 100) }.joined(separator: "\n"))]
        }
        graph += graphAttributes
        out.append("  graph " + Self.attributes(graph))
        out.append("  node " + Self.attributes([
            ("fontname", "Helvetica"), ("fontsize", "10"), ("style", "filled"), ("color", DiagramStyle.border), ("margin", "0.08,0.04"),
        ]))
        out.append("  edge " + Self.attributes([
            ("fontname", "Helvetica"), ("fontsize", "9"), ("color", DiagramStyle.edgeColor), ("arrowsize", "0.7"),
        ]))
        for n in nodes { out.append("  \(n.key) " + Self.attributes(nodeAttributes(n))) }
        for (i, c) in clusters.enumerated() {
            out.append("  subgraph cluster_\(i + 1) {")
            out.append("    graph " + Self.attributes([
                ("label", "\(c.typeName) \(c.name) (context \(c.contextID))"), ("labelloc", "t"), ("style", "rounded,dashed"), ("color", "#999999"),
                ("fontcolor", "#555555"), ("tooltip", "context \(c.contextID) (\(c.typeName))"),
            ]))
            let members = nodes.filter { $0.cluster == i }.map(\.key)
            if !members.isEmpty { out.append("    " + members.joined(separator: "; ")) }
            out.append("  }")
        }
        for e in edges {
            var attributes: [(String, String)] = []
            if let label = e.label { attributes.append(("label", label)) }
            if e.isDashed { attributes.append(("style", "dashed")) }
            out.append("  \(e.from) -> \(e.to)" + (attributes.isEmpty ? "" : " " + Self.attributes(attributes)))
        }
        if options.legend { out += legendDOT() }
        out.append("}")
        return out.joined(separator: "\n") + "\n"
    }

    func nodeAttributes(_ n: Node) -> [(String, String)] {
        let lines = n.labelLines
        var a: [(String, String)] = [
            ("id", n.elementID), ("label", lines.joined(separator: "\n")), ("shape", DiagramStyle.shape(n.kind)),
            ("fillcolor", DiagramStyle.fill(n.typeName)),
        ]
        Self.set(&a, Self.markAttributes(n.mark))
        // The highlight's outline wins over a state's (the state stays in the text colour and label).
        if n.isStart {
            Self.set(&a, [("color", DiagramStyle.startColor), ("penwidth", "3")])
        } else if n.isResult {
            Self.set(&a, [("color", DiagramStyle.resultColor), ("penwidth", "2.5")])
        }
        if n.isGroup || (n.isSummary && n.ids.count > 1) { a.append(("peripheries", "2")) }
        a.append(("tooltip", n.tooltip))
        return a
    }

    /// Sets attributes in place: a name already present keeps its position and takes the new value.
    static func set(_ a: inout [(String, String)], _ values: [(String, String)]) {
        for (name, value) in values {
            if let i = a.firstIndex(where: { $0.0 == name }) { a[i].1 = value } else { a.append((name, value)) }
        }
    }

    static func markAttributes(_ mark: StateMark) -> [(String, String)] {
        switch mark {
        case .none: []
        case .deleted, .canceled: [("style", "filled,dashed"), ("fontcolor", DiagramStyle.mutedText)]
        case .abandoned: [("style", "filled,dotted"), ("fontcolor", DiagramStyle.mutedText)]
        case .pending: [("style", "filled,dotted")]
        case .failed: [("color", DiagramStyle.failedColor), ("penwidth", "2"), ("fontcolor", DiagramStyle.failedColor)]
        }
    }

    /// A cluster of sample nodes: each type drawn, then the highlights, states and groups that occur.
    func legendDOT() -> [String] {
        var entries: [(key: String, attributes: [(String, String)])] = []
        var seen: Set<String> = []
        for n in nodes.sorted(by: { (Self.kindOrder($0.kind), $0.typeName) < (Self.kindOrder($1.kind), $1.typeName) })
        where seen.insert("\(n.kind) \(n.typeName)").inserted {
            entries.append(("legend_\(entries.count + 1)", [
                ("label", "\(n.typeName)\n(\(n.isSummary ? "context collapsed" : "\(n.kind)"))"), ("shape", DiagramStyle.shape(n.kind)),
                ("fillcolor", DiagramStyle.fill(n.typeName)),
            ]))
        }
        let plain: [(String, String)] = [("shape", "box"), ("style", "rounded"), ("fillcolor", "white")]
        if nodes.contains(where: \.isStart) {
            entries.append(("legend_\(entries.count + 1)", plain + [("label", "start"), ("color", DiagramStyle.startColor), ("penwidth", "3")]))
        }
        if nodes.contains(where: { $0.isResult && !$0.isStart }) {
            entries.append(("legend_\(entries.count + 1)", plain + [("label", "result"), ("color", DiagramStyle.resultColor), ("penwidth", "2.5")]))
        }
        for mark in StateMark.allCases where mark != .none && nodes.contains(where: { $0.mark == mark }) {
            var a = [("label", mark.legend), ("shape", "box"), ("fillcolor", "white")]
            a += Self.markAttributes(mark).map { $0.0 == "style" ? ($0.0, $0.1 + ",rounded") : $0 }
            if !a.contains(where: { $0.0 == "style" }) { a.append(("style", "rounded")) }
            entries.append(("legend_\(entries.count + 1)", a))
        }
        if nodes.contains(where: \.isGroup) {
            entries.append(("legend_\(entries.count + 1)", plain + [("label", "nodes of one type\ndrawn as one"), ("peripheries", "2")]))
        }
        var out = ["  subgraph cluster_legend {"]
        out.append("    graph " + Self.attributes([("label", "Legend"), ("labelloc", "t"), ("style", "rounded"), ("color", "#bbbbbb"), ("fontcolor", "#555555")]))
        out.append("    node " + Self.attributes([("fontsize", "9"), ("tooltip", " ")]))
        for e in entries { out.append("    \(e.key) " + Self.attributes(e.attributes)) }
        // A grid of about as many rows as columns: rows run across the rank direction.
        let keys = entries.map(\.key)
        var columns = 1
        while columns * columns < keys.count { columns += 1 }
        let rows = stride(from: 0, to: keys.count, by: columns).map { Array(keys[$0..<min($0 + columns, keys.count)]) }
        for (i, row) in rows.enumerated() {
            switch options.rankDirection {
            case .leftToRight:
                if row.count > 1 { out.append("    " + row.joined(separator: " -> ") + " [style=\"invis\"]") }
            case .topToBottom:
                if row.count > 1 {
                    out.append("    { rank=\"same\"; " + row.joined(separator: "; ") + " }")
                    out.append("    " + row.joined(separator: " -> ") + " [style=\"invis\"]")
                }
                if i > 0 { out.append("    \(rows[i - 1][0]) -> \(row[0]) [style=\"invis\"]") }
            }
        }
        out.append("  }")
        return out
    }

    /// Breaks a long line at spaces into lines of at most `width` characters (where it can).
    static func wrap(_ text: String, width: Int) -> String {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            if !line.isEmpty, line.count + 1 + word.count > width {
                lines.append(line)
                line = String(word)
            } else {
                line += (line.isEmpty ? "" : " ") + word
            }
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }

    static func attributes(_ pairs: [(String, String)]) -> String {
        "[" + pairs.map { "\($0.0)=\(quoted($0.1))" }.joined(separator: ", ") + "]"
    }

    /// A DOT string: quotes and backslashes escaped, newlines as `\n` (centred lines).
    static func quoted(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": break
            default: out.unicodeScalars.append(ch)
            }
        }
        return out + "\""
    }
}
