/// Draws the plan tree the executor runs, deterministically: each operator with its arguments
/// and estimated rows, then the rules that fired. `profile` adds, on each operator, the rows it
/// yielded, the nodes it visited and its own time.
public enum ExplainRenderer {
    public static func render(_ plan: Plan, profile: [OperatorProfile]? = nil) -> String {
        var lines: [String] = []
        let byNode = Dictionary((profile ?? []).map { ($0.node, $0) }, uniquingKeysWith: { a, _ in a })
        func draw(_ node: PlanNode, prefix: String, childPrefix: String) {
            var line = prefix + describe(node.op) + "  (est. rows \(node.estimate)"
            if profile != nil {
                if let p = byNode[node.id] {
                    line += "; rows \(p.rows), visited \(p.visited), \(formatMS(Double(p.nanoseconds) / 1_000_000)) ms"
                } else {
                    line += "; not run"
                }
            }
            lines.append(line + ")")
            for (i, input) in node.inputs.enumerated() {
                let last = i == node.inputs.count - 1
                draw(input, prefix: childPrefix + (last ? "└── " : "├── "), childPrefix: childPrefix + (last ? "    " : "│   "))
            }
        }
        draw(plan.root, prefix: "", childPrefix: "")
        if !plan.rules.isEmpty {
            lines.append("rules:")
            for r in plan.rules { lines.append("  \(r)") }
        }
        return lines.joined(separator: "\n")
    }

    /// An operator and its arguments, on one line.
    static func describe(_ op: PlanOperator) -> String {
        switch op {
        case .scan(let kind): return "Scan \(kind)"
        case .indexLookup(let access): return access.description
        case .union: return "Union"
        case .filter(let test): return "Filter \(test.text)"
        case .extend(let step, let stopAfter, let recordEdges):
            return "\(op.name) \(step.text)  [\(bounds(step))]" + (stopAfter.map { "  stops after \($0) results" } ?? "")
                + (recordEdges ? "  keeps edges" : "")
        case .reverseExtend(let step): return "ReverseExtend \(step.text)  [\(bounds(step))]  from the target back to the sources"
        case .shortestPath(let step): return "ShortestPath \(step.text)  [\(bounds(step))]  ends at the first depth that reaches the target"
        case .meetInTheMiddle(let step): return "MeetInTheMiddle \(step.text)  [\(bounds(step))]  from the sources and the target at once"
        case .allPaths(let step, let limit): return "AllPaths \(step.text)  [\(bounds(step))]" + (limit.map { "  at most \($0)" } ?? "")
        case .count: return "Count"
        case .group(let keys): return "Group by " + keys.map(\.name).joined(separator: ", ")
        case .groupByColumns(let keys): return "GroupByColumns by " + keys.map(\.name).joined(separator: ", ")
        case .order(let keys): return "Order by " + keys.map { $0.name + ($0.ascending ? "" : " desc") }.joined(separator: ", ")
        case .limit(let n): return "Limit \(n)"
        case .project(.nodes(let withDepth)): return "Project nodes" + (withDepth ? " with depth" : "")
        case .project(.subgraph): return "Project subgraph"
        }
    }

    private static func bounds(_ s: BoundStep) -> String {
        "depth \(s.min)..\(s.max.map(String.init) ?? "∞")" + (s.eventTypes.map { ", via " + $0.map(\.description).sorted().joined(separator: ", ") } ?? "")
    }

    private static func formatMS(_ ms: Double) -> String {
        let scaled = (ms * 1000).rounded() / 1000
        return "\(scaled)"
    }
}
