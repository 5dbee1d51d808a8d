import PedigreeModel

extension LineageDiagram {
    /// The diagram as a Mermaid flowchart, for Markdown: artifacts as stadiums, executions as
    /// rectangles, a class per type for its colour, classes for states and highlights,
    /// contexts as subgraphs, collapsed contexts as hexagons. Deterministic, like `dot()`.
    public func mermaid() -> String {
        var out = ["flowchart \(options.rankDirection.rawValue)"]
        for note in notes { out.append("  %% note: \(note)") }
        if !notes.isEmpty {
            out.append("  diagram_notes[\"" + notes.map { Self.mermaidText("note: \($0)") }.joined(separator: "<br/>") + "\"]")
        }
        for n in nodes where n.cluster == nil { out.append("  " + mermaidNode(n)) }
        for (i, c) in clusters.enumerated() {
            out.append("  subgraph cluster_\(i + 1) [\"\(Self.mermaidText("\(c.typeName) \(c.name) (context \(c.contextID))"))\"]")
            for n in nodes where n.cluster == i { out.append("    " + mermaidNode(n)) }
            out.append("  end")
        }
        for e in edges {
            let arrow = e.isDashed ? "-.->" : "-->"
            out.append("  \(e.from) \(arrow)" + (e.label.map { "|\"\(Self.mermaidText($0))\"|" } ?? "") + " \(e.to)")
        }
        // The legend: a sample of each type, then the highlights, states and groups that occur.
        var typeClasses: [String: [String]] = [:]
        var markKeys: [StateMark: [String]] = [:]
        var legendStart: [String] = [], legendResult: [String] = []
        if options.legend {
            var entries: [String] = []
            func key() -> String { "legend_\(entries.count + 1)" }
            var seen: Set<String> = []
            for n in nodes.sorted(by: { (Self.kindOrder($0.kind), $0.typeName) < (Self.kindOrder($1.kind), $1.typeName) })
            where seen.insert("\(n.kind) \(n.typeName)").inserted {
                let k = key()
                let text = "\"\(Self.mermaidText(n.typeName))<br/>(\(n.isSummary ? "context collapsed" : "\(n.kind)"))\""
                switch n.kind {
                case .artifact: entries.append("\(k)([\(text)])")
                case .execution: entries.append("\(k)[\(text)]")
                case .context: entries.append("\(k){{\(text)}}")
                }
                typeClasses[n.typeName, default: []].append(k)
            }
            if nodes.contains(where: \.isStart) {
                legendStart.append(key())
                entries.append("\(legendStart[0])(\"start\")")
            }
            if nodes.contains(where: { $0.isResult && !$0.isStart }) {
                legendResult.append(key())
                entries.append("\(legendResult[0])(\"result\")")
            }
            for mark in StateMark.allCases where mark != .none && nodes.contains(where: { $0.mark == mark }) {
                let k = key()
                entries.append("\(k)(\"\(mark.legend)\")")
                markKeys[mark, default: []].append(k)
            }
            if nodes.contains(where: \.isGroup) { entries.append("\(key())[[\"nodes of one type drawn as one\"]]") }
            out.append("  subgraph legend [\"Legend\"]")
            for e in entries { out.append("    " + e) }
            out.append("  end")
        }
        // Colours per type, then states and highlights (later classes win).
        for n in nodes { typeClasses[n.typeName, default: []].append(n.key) }
        for name in typeClasses.keys.sorted() {
            let cls = Self.mermaidClass(name)
            out.append("  classDef \(cls) fill:\(DiagramStyle.fill(name)),stroke:\(DiagramStyle.border),color:#000")
            out.append("  class \(typeClasses[name]!.joined(separator: ",")) \(cls)")
        }
        for mark in StateMark.allCases where mark != .none {
            let keys = nodes.filter { $0.mark == mark }.map(\.key) + (markKeys[mark] ?? [])
            guard !keys.isEmpty else { continue }
            out.append("  classDef \(mark.rawValue) \(Self.mermaidStyle(mark))")
            out.append("  class \(keys.joined(separator: ",")) \(mark.rawValue)")
        }
        let results = nodes.filter { $0.isResult && !$0.isStart }.map(\.key) + legendResult
        if !results.isEmpty {
            out.append("  classDef result stroke:\(DiagramStyle.resultColor),stroke-width:3px")
            out.append("  class \(results.joined(separator: ",")) result")
        }
        let starts = nodes.filter(\.isStart).map(\.key) + legendStart
        if !starts.isEmpty {
            out.append("  classDef start stroke:\(DiagramStyle.startColor),stroke-width:4px")
            out.append("  class \(starts.joined(separator: ",")) start")
        }
        if !notes.isEmpty {
            out.append("  classDef diagram_note fill:#fff,stroke:#bbb,color:#555")
            out.append("  class diagram_notes diagram_note")
        }
        return out.joined(separator: "\n") + "\n"
    }

    func mermaidNode(_ n: Node) -> String {
        let lines = n.labelLines
        let text = "\"" + lines.map(Self.mermaidText).joined(separator: "<br/>") + "\""
        switch (n.kind, n.isGroup) {
        case (.context, _): return "\(n.key){{\(text)}}"
        case (.artifact, false): return "\(n.key)([\(text)])"
        case (.artifact, true): return "\(n.key)(((\(text))))"
        case (_, false): return "\(n.key)[\(text)]"
        case (_, true): return "\(n.key)[[\(text)]]"
        }
    }

    static func mermaidStyle(_ mark: StateMark) -> String {
        switch mark {
        case .none: ""
        case .deleted, .canceled: "stroke-dasharray:5 3,color:\(DiagramStyle.mutedText)"
        case .abandoned: "stroke-dasharray:2 2,color:\(DiagramStyle.mutedText)"
        case .pending: "stroke-dasharray:2 2"
        case .failed: "stroke:\(DiagramStyle.failedColor),stroke-width:2px,color:\(DiagramStyle.failedColor)"
        }
    }

    /// Text inside a quoted Mermaid label: quotes and markup as entity codes.
    static func mermaidText(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "\"": out += "#quot;"
            case "<": out += "#lt;"
            case ">": out += "#gt;"
            case "#": out += "#35;"
            case "\n", "\r": out += " "
            default: out.append(ch)
            }
        }
        return out
    }

    /// A class name from a type name: letters, digits and underscores.
    static func mermaidClass(_ typeName: String) -> String {
        "type_" + String(typeName.unicodeScalars.map { ($0.properties.isAlphabetic || ("0"..."9").contains($0)) && $0.isASCII ? Character($0) : "_" })
    }
}
