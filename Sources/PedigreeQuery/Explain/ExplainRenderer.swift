/// Draws the plan the executor runs as a deterministic tree: operator, direction, bounds, index,
/// estimated rows. `profile` adds actual rows, visits and times.
public enum ExplainRenderer {
    public static func render(_ plan: Plan, profile: [OperatorProfile]? = nil) -> String {
        let q = plan.query
        var lines: [String] = []
        var top: String
        switch q.source.pathMode {
        case .shortestPath: top = "ShortestPath"
        case .allPaths: top = "AllPaths"
        case .reach:
            switch q.source.returnClause {
            case .nodes(let withDepth): top = "Project nodes" + (withDepth ? " with depth" : "")
            case .subgraph: top = "Project subgraph"
            case .paths: top = "Project paths"
            case .count(let keys): top = keys.isEmpty ? "Count" : "Count group by " + keys.map(\.description).joined(separator: ", ")
            }
        }
        if !q.orderBy.isEmpty { top += "  order by " + q.source.orderBy.map { Printer.print($0.field) + ($0.ascending ? "" : " desc") }.joined(separator: ", ") }
        if let limit = q.limit { top += "  limit \(limit)" }
        if let stop = plan.earlyStopAfter { top += "  (stops after \(stop) results)" }
        lines.append(top)

        // Operators from the last step down to the start selection, each a child of the one above.
        var operators: [(String, Int?)] = []
        for (i, step) in plan.steps.enumerated().reversed() {
            var text: String
            switch step.strategy {
            case .forward: text = "Extend \(step.step.text)"
            case .reverse(let targets):
                text = "ReverseExtend \(step.step.text)  from target via " + targets.map(\.access.description).joined(separator: "; ")
            case .bidirectional(let targets):
                text = "BidirectionalExtend \(step.step.text)  meeting target via " + targets.map(\.access.description).joined(separator: "; ")
            }
            text += "  [\(bounds(step.step))" + (step.step.eventTypes.map { ", via " + $0.map(\.description).sorted().joined(separator: ", ") } ?? "") + "]"
            operators.append((text, profile.flatMap { $0.count > i + 1 ? $0[i + 1].rows : nil } ?? step.estimate))
            _ = i
        }
        operators.append(("Select " + q.start.text, nil))
        for access in plan.startAccess { operators.append(("  " + access.access.description, access.estimate)) }

        var indent = ""
        for (n, (text, rows)) in operators.enumerated() {
            let isAccess = text.hasPrefix("  ")
            let label = isAccess ? String(text.dropFirst(2)) : text
            // Access paths are siblings under their Select: all but the last get a branch.
            let isLastSibling = !isAccess || n == operators.count - 1 || !operators[n + 1].0.hasPrefix("  ")
            var line = indent + (isLastSibling ? "└── " : "├── ") + label
            if let rows {
                line += profile != nil && !isAccess ? "  (rows \(rows))" : "  (est. rows \(rows))"
            }
            lines.append(line)
            if !isAccess && n < operators.count - 1 { indent += "    " }
        }
        let rules = plan.rules + plan.steps.flatMap(\.rules)
        if !rules.isEmpty {
            lines.append("rules:")
            for r in rules { lines.append("  " + r) }
        }
        if let profile {
            lines.append("profile:")
            for p in profile {
                let ms = Double(p.nanoseconds) / 1_000_000
                lines.append("  \(p.name): \(p.rows) rows, \(p.visited) visited, \(formatMS(ms)) ms")
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func bounds(_ s: BoundStep) -> String {
        "depth \(s.min)..\(s.max.map(String.init) ?? "∞")"
    }

    private static func formatMS(_ ms: Double) -> String {
        let scaled = (ms * 1000).rounded() / 1000
        return "\(scaled)"
    }
}
