/// A limit directly over a forward walk (no order by in between) ends the walk once that many
/// results are certain: every result at a depth is found before any at the next.
struct StopEarlyUnderLimit: PlanRule {
    static let rule = Planner.Rule.stopEarlyUnderLimit

    func apply(to root: inout PlanNode, _ context: RuleContext) -> [String] {
        var reasons: [String] = []
        root = root.rewritten { node in
            guard case .limit(let n) = node.op, case .extend(let step, nil, let edges) = node.inputs[0].op else { return node }
            var limited = node
            limited.inputs[0].op = .extend(step, stopAfter: n, recordEdges: edges)
            reasons.append("stop expanding once \(n) results are certain")
            return limited
        }
        return reasons
    }
}
