/// Counting groups by kind, type and state reads the type and state columns into a histogram
/// keyed by small integers, at the walk's speed, instead of reading each node's fields.
struct GroupByColumns: PlanRule {
    static let rule = Planner.Rule.groupByColumns

    func apply(to root: inout PlanNode, _ context: RuleContext) -> [String] {
        var reasons: [String] = []
        root = root.rewritten { node in
            guard case .group(let keys) = node.op, keys.allSatisfy(\.isColumn) else { return node }
            reasons.append("group by \(keys.map(\.name).joined(separator: ", ")) as a histogram over the type and state columns")
            return PlanNode(.groupByColumns(keys), node.inputs)
        }
        return reasons
    }
}

extension BoundGroupKey {
    /// Whether the key is a column of every node (kind, type, state).
    var isColumn: Bool {
        switch self {
        case .kind, .type, .state: true
        case .operand: false
        }
    }
}
