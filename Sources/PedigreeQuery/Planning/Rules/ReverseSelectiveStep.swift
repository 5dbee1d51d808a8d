/// The last step of a reach query searches from its target's few candidates back to the
/// sources, when the target (found by an index) is far more selective than the sources.
struct ReverseSelectiveStep: PlanRule {
    static let rule = Planner.Rule.reverseSelectiveStep
    /// The target must be this many times more selective than the sources.
    static let ratio = 8

    func apply(to root: inout PlanNode, _ context: RuleContext) -> [String] {
        guard context.query.pathMode == .reach else { return [] }
        return rewriteLastStep(&root, context)
    }

    /// The last step is the walk nearest the root.
    private func rewriteLastStep(_ node: inout PlanNode, _ context: RuleContext) -> [String] {
        guard case .extend(let step, let stopAfter, let recordEdges) = node.op else {
            return node.inputs.isEmpty ? [] : rewriteLastStep(&node.inputs[0], context)
        }
        // A subgraph needs the edges of the forward walk.
        guard stopAfter == nil, !recordEdges, let target = step.target else { return [] }
        let targets = Planner.select(target, accesses: context.estimator.accessPaths(target))
        let (s, t) = (context.estimator.rows(node.inputs[0]), context.estimator.rows(targets))
        guard context.usesIndexesOnly(targets), t * Self.ratio <= s else { return [] }
        node = PlanNode(.reverseExtend(step), [node.inputs[0], targets])
        return ["the target (≈\(t)) is far more selective than the sources (≈\(s)); search from it back to them"]
    }
}
