/// A rewrite of the plan tree. A rule rewrites the nodes it applies to and returns one reason for
/// each rewrite (empty: it did not fire). Rules never change what a query answers, only how it
/// runs; tests run every query with and without them.
protocol PlanRule: Sendable {
    static var rule: Planner.Rule { get }
    func apply(to root: inout PlanNode, _ context: RuleContext) -> [String]
}

/// What a rule may consult: the query and the statistics.
struct RuleContext {
    let query: BoundQuery
    let estimator: Estimator

    init(query: BoundQuery, statistics: some PlannerStatistics) {
        self.query = query
        estimator = Estimator(statistics: statistics)
    }

    /// Whether every access path under `node` is an index lookup (no full scan).
    func usesIndexesOnly(_ node: PlanNode) -> Bool {
        var onlyIndexes = true
        node.walk { if case .scan = $0.op { onlyIndexes = false } }
        return onlyIndexes
    }
}
