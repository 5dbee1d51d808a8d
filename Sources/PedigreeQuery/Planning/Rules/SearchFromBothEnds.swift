/// A shortest path between two index lookups searches from both ends at once, expanding the
/// smaller frontier, and meets in the middle: it visits about the square root of what a search
/// from one end does.
struct SearchFromBothEnds: PlanRule {
    static let rule = Planner.Rule.searchFromBothEnds
    /// Both ends must be at most this many nodes.
    static let maxEnd = 1_000

    func apply(to root: inout PlanNode, _ context: RuleContext) -> [String] {
        var reasons: [String] = []
        root = root.rewritten { node in
            guard case .shortestPath(let step) = node.op, let target = step.target, step.min <= 1 else { return node }
            let sources = node.inputs[0]
            let targets = Planner.select(target, accesses: context.estimator.accessPaths(target))
            let (s, t) = (context.estimator.rows(sources), context.estimator.rows(targets))
            guard context.usesIndexesOnly(sources), context.usesIndexesOnly(targets), s <= Self.maxEnd, t <= Self.maxEnd else { return node }
            reasons.append("both ends are index lookups (≈\(s) and ≈\(t)); search from both and meet in the middle")
            return PlanNode(.meetInTheMiddle(step), [sources, targets])
        }
        return reasons
    }
}
