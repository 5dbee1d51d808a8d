public import PedigreeModel
public import PedigreeGraph

/// What the planner knows of the graph: counts, not nodes. A protocol, so the planner can be
/// tested on made-up statistics.
public protocol PlannerStatistics {
    func nodeCount(_ kind: NodeKind) -> Int
    func typeIDs(kind: NodeKind, name: String) -> [TypeID]
    func count(ofType id: TypeID) -> Int
    func count(kind: NodeKind, state: Int?) -> Int
    func count(uri: String) -> Int
}

extension GraphSnapshot: PlannerStatistics {
    public func typeIDs(kind: NodeKind, name: String) -> [TypeID] {
        types(of: kind).filter { $0.name == name }.map { $0.id! }
    }

    public func count(ofType id: TypeID) -> Int { statistics.nodesByType[id] ?? 0 }

    public func count(kind: NodeKind, state: Int?) -> Int {
        switch kind {
        case .artifact: statistics.artifacts(in: state.flatMap { ArtifactState(rawValue: $0) })
        case .execution: statistics.executions(in: state.flatMap { ExecutionState(rawValue: $0) })
        case .context: 0
        }
    }

    public func count(uri: String) -> Int { artifactIndices(uri: uri).count }
}

/// Chooses how to run a bound query. Each rule is named in the plan when it fires, so explain
/// (and the golden tests) show which did.
public enum Planner {
    /// A reverse step needs the target this many times more selective than the sources.
    public static let reverseRatio = 8

    /// The rules, by name; tests switch them off to compare plans with and without each.
    public enum Rule: String, Sendable, CaseIterable {
        case useIndexForStart = "UseIndexForStart"
        case reverseSelectiveStep = "ReverseSelectiveStep"
        case stopEarlyUnderLimit = "StopEarlyUnderLimit"
        case searchFromBothEnds = "SearchFromBothEnds"
    }

    public static func plan(_ query: BoundQuery, statistics: some PlannerStatistics, disabled: Set<Rule> = []) -> Plan {
        var rules: [String] = []
        let start = disabled.contains(.useIndexForStart)
            ? [NodeKind.artifact, .execution].filter(query.start.admits).map { AccessPlan(access: .scan($0), estimate: statistics.nodeCount($0)) }
            : accessPlans(query.start, statistics)
        for a in start where !isScan(a.access) { rules.append("UseIndexForStart: \(a.access)") }
        var estimate = start.reduce(0) { $0 + $1.estimate }
        var steps: [StepPlan] = []
        for (i, step) in query.steps.enumerated() {
            var stepRules: [String] = []
            var strategy = StepStrategy.forward
            let isLast = i == query.steps.count - 1
            if query.source.pathMode == .shortestPath, !disabled.contains(.searchFromBothEnds), let target = step.target {
                let targetPlans = accessPlans(target, statistics)
                let targetEstimate = targetPlans.reduce(0) { $0 + $1.estimate }
                if targetPlans.allSatisfy({ !isScan($0.access) }), start.allSatisfy({ !isScan($0.access) }),
                    targetEstimate <= 1_000, estimate <= 1_000, step.min <= 1
                {
                    strategy = .bidirectional(targetPlans)
                    stepRules.append("SearchFromBothEnds: both ends are index lookups (≈\(estimate) and ≈\(targetEstimate)); search from both and meet in the middle")
                }
            }
            if isLast, !disabled.contains(.reverseSelectiveStep), query.source.pathMode == .reach, let target = step.target {
                let targetPlans = accessPlans(target, statistics)
                let targetEstimate = targetPlans.reduce(0) { $0 + $1.estimate }
                if targetPlans.allSatisfy({ !isScan($0.access) }), targetEstimate * reverseRatio <= estimate {
                    strategy = .reverse(targetPlans)
                    stepRules.append("ReverseSelectiveStep: the target (≈\(targetEstimate)) is far more selective than the sources (≈\(estimate)); search from it back to them")
                }
            }
            // Estimate: a bounded walk reaches a share of the graph; an unbounded one may reach all.
            let total = statistics.nodeCount(.artifact) + statistics.nodeCount(.execution)
            let reach = step.max.map { min(total, max(1, estimate) * (1 << min($0, 20))) } ?? total
            var stepEstimate = reach
            if let target = step.target {
                let targetShare = accessPlans(target, statistics).reduce(0) { $0 + $1.estimate }
                stepEstimate = min(reach, targetShare)
            }
            if case .reverse(let plans) = strategy { stepEstimate = plans.reduce(0) { $0 + $1.estimate } }
            if case .bidirectional = strategy { stepEstimate = 1 }
            steps.append(StepPlan(step: step, strategy: strategy, estimate: max(stepEstimate, 0), rules: stepRules))
            estimate = stepEstimate
        }
        var earlyStop: Int?
        if let limit = query.limit, !disabled.contains(.stopEarlyUnderLimit), query.orderBy.isEmpty, query.source.pathMode == .reach {
            switch query.source.returnClause {
            case .nodes:
                earlyStop = limit
                rules.append("StopEarlyUnderLimit: stop expanding once \(limit) results are certain")
            default: break
            }
        }
        if query.source.pathMode == .shortestPath { rules.append("StopAtFirstPath: the search ends at the first depth that reaches the target") }
        return Plan(query: query, startAccess: start, startEstimate: start.reduce(0) { $0 + $1.estimate }, steps: steps,
                    earlyStopAfter: earlyStop, rules: rules)
    }

    private static func isScan(_ a: Access) -> Bool {
        if case .scan = a { return true }
        return false
    }

    /// The cheapest access for each kind a node test admits.
    static func accessPlans(_ test: BoundNodeTest, _ stats: some PlannerStatistics) -> [AccessPlan] {
        var plans: [AccessPlan] = []
        for kind in [NodeKind.artifact, .execution] where test.admits(kind) {
            plans.append(bestAccess(kind: kind, predicate: test.predicate(kind), stats))
        }
        return plans
    }

    static func bestAccess(kind: NodeKind, predicate: BoundPredicate?, _ stats: some PlannerStatistics) -> AccessPlan {
        var best = AccessPlan(access: .scan(kind), estimate: stats.nodeCount(kind))
        guard let predicate else { return best }
        func consider(_ access: Access, _ estimate: Int) {
            if estimate < best.estimate || (estimate == best.estimate && isScan(best.access)) {
                best = AccessPlan(access: access, estimate: estimate)
            }
        }
        var typeName: String?
        var name: String?
        for term in predicate.conjuncts {
            guard case .compare(let operand, .equal, let value) = term else { continue }
            switch (operand, value) {
            case (.id, .int(let id)): consider(.byID(kind, id), 1)
            case (.externalID, .string(let e)): consider(.byExternalID(kind, e), 1)
            case (.uri, .string(let u)) where kind == .artifact: consider(.byURI(u), stats.count(uri: u))
            case (.typeName, .string(let t)):
                typeName = t
                let ids = stats.typeIDs(kind: kind, name: t)
                if ids.count == 1 { consider(.byType(kind, ids[0], typeName: t), stats.count(ofType: ids[0])) }
                if ids.isEmpty { consider(.byType(kind, TypeID(-1), typeName: t), 0) }
            case (.name, .string(let n)): name = n
            case (.artifactState, .int(let s)) where kind == .artifact: consider(.byState(kind, Int(s)), stats.count(kind: kind, state: Int(s)))
            case (.executionState, .int(let s)) where kind == .execution: consider(.byState(kind, Int(s)), stats.count(kind: kind, state: Int(s)))
            default: break
            }
        }
        if let typeName, let name {
            let ids = stats.typeIDs(kind: kind, name: typeName)
            if ids.count == 1 { consider(.byName(kind, ids[0], typeName: typeName, name: name), 1) }
        } else if let name {
            // Names are unique per type, and in practice across types: about one node.
            consider(.byNameAnyType(kind, name), min(1, stats.nodeCount(kind)))
        }
        return best
    }
}
