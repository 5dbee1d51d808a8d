package import PedigreeModel
public import PedigreeGraph

/// What the planner knows of the graph: counts, not nodes. A protocol, so the planner can be
/// tested on made-up statistics.
package protocol PlannerStatistics {
    func nodeCount(_ kind: NodeKind) -> Int
    func typeIDs(kind: NodeKind, name: String) -> [TypeID]
    func count(ofType id: TypeID) -> Int
    func count(kind: NodeKind, state: Int?) -> Int
    func count(uri: String) -> Int
    /// Contexts (of the type named, if one is), and attributions (artifact) or associations
    /// (execution): what a context scope's members are estimated from. nil: unknown.
    func contextCount(typeName: String?) -> Int?
    func membershipCount(_ kind: NodeKind) -> Int?
}

extension PlannerStatistics {
    package func contextCount(typeName: String?) -> Int? { nil }
    package func membershipCount(_ kind: NodeKind) -> Int? { nil }
}

extension GraphSnapshot: PlannerStatistics {
    /// (A type belongs to one kind, so at most one store counts any of its nodes.)
    package func count(ofType id: TypeID) -> Int {
        artifacts.count(ofType: id) + executions.count(ofType: id) + contexts.count(ofType: id)
    }

    package func count(kind: NodeKind, state: Int?) -> Int {
        switch kind {
        case .artifact: artifacts.count(stateRaw: state.flatMap { ArtifactState(rawValue: $0) }.map { Int8($0.rawValue) } ?? -1)
        case .execution: executions.count(stateRaw: state.flatMap { ExecutionState(rawValue: $0) }.map { Int8($0.rawValue) } ?? -1)
        case .context: 0
        }
    }

    package func count(uri: String) -> Int { artifactIndices(uri: uri).count }

    package func contextCount(typeName: String?) -> Int? {
        guard let typeName else { return contexts.count }
        return typeIDs(kind: .context, name: typeName).reduce(0) { $0 + contexts.count(ofType: $1) }
    }

    package func membershipCount(_ kind: NodeKind) -> Int? {
        kind == .artifact ? attributions.count : kind == .execution ? associations.count : nil
    }
}

/// Turns a bound query into a plan: first the plain tree (full scans, forward walks, a generic
/// group), then each rewrite rule in turn (`Planning/Rules/`), then estimates. Each rule that
/// fires is named in the plan, so explain (and the golden tests) show which did.
package enum Planner {
    /// The rewrite rules, by name; tests switch them off to compare plans with and without each.
    package enum Rule: String, Sendable, CaseIterable {
        case useIndexForStart = "UseIndexForStart"
        case searchFromBothEnds = "SearchFromBothEnds"
        case reverseSelectiveStep = "ReverseSelectiveStep"
        case stopEarlyUnderLimit = "StopEarlyUnderLimit"
        case groupByColumns = "GroupByColumns"
    }

    /// The rules in the order they run.
    static let rules: [any PlanRule] = [
        UseIndexForStart(), SearchFromBothEnds(), ReverseSelectiveStep(), StopEarlyUnderLimit(), GroupByColumns(),
    ]

    package static func plan(_ query: BoundQuery, statistics: some PlannerStatistics, disabled: Set<Rule> = []) -> Plan {
        let context = RuleContext(query: query, statistics: statistics)
        var root = initialTree(query)
        var firings: [RuleFiring] = []
        for rule in rules where !disabled.contains(type(of: rule).rule) {
            for reason in rule.apply(to: &root, context) {
                firings.append(RuleFiring(rule: type(of: rule).rule.rawValue, reason: reason))
            }
        }
        var next = 0
        root = number(root, &next)
        root = root.rewritten { node in
            var n = node
            n.estimate = context.estimator.rows(n)
            return n
        }
        return Plan(query: query, root: root, rules: firings)
    }

    /// The plan before any rule: the start pattern's kinds scanned in full and filtered, one
    /// forward walk per step, then what the query returns.
    static func initialTree(_ query: BoundQuery) -> PlanNode {
        var node = select(query.start, accesses: [NodeKind.artifact, .execution].filter(query.start.admits).map { PlanNode(.scan($0)) })
        switch query.pathMode {
        case .shortestPath: return PlanNode(.shortestPath(query.steps[0]), [node])
        case .allPaths: return PlanNode(.allPaths(query.steps[0], limit: query.limit), [node])
        case .reach: break
        }
        for step in query.steps {
            node = PlanNode(.extend(step, stopAfter: nil, recordEdges: query.output == .subgraph), [node])
        }
        switch query.output {
        case .count: return PlanNode(.count, [node])
        case .groups(let keys): return PlanNode(.group(keys), [node])
        case .subgraph: return PlanNode(.project(.subgraph), [node])
        case .nodes, .paths:
            if !query.orderBy.isEmpty { node = PlanNode(.order(query.orderBy), [node]) }
            if let limit = query.limit { node = PlanNode(.limit(limit), [node]) }
            if case .nodes(let withDepth) = query.output { return PlanNode(.project(.nodes(withDepth: withDepth)), [node]) }
            return PlanNode(.project(.nodes(withDepth: false)), [node])
        }
    }

    /// A node test over its access paths: one per kind, under a union when there are several.
    static func select(_ test: BoundNodeTest, accesses: [PlanNode]) -> PlanNode {
        PlanNode(.filter(test), accesses.count == 1 ? accesses : [PlanNode(.union, accesses)])
    }

    private static func number(_ node: PlanNode, _ next: inout Int) -> PlanNode {
        var n = node
        n.id = next
        next += 1
        n.inputs = n.inputs.map { number($0, &next) }
        return n
    }
}

/// Row estimates from the statistics.
struct Estimator {
    let statistics: any PlannerStatistics

    func rows(_ node: PlanNode) -> Int {
        let input = node.inputs.first.map(rows) ?? 0
        switch node.op {
        case .scan(let kind): return statistics.nodeCount(kind)
        case .indexLookup(let access): return rows(access)
        case .union: return node.inputs.reduce(0) { $0 + rows($1) }
        case .filter, .order, .project: return input
        case .extend(let step, _, _):
            return reach(step, from: input)
        case .reverseExtend: return node.inputs.count > 1 ? rows(node.inputs[1]) : 0
        case .shortestPath, .meetInTheMiddle, .count: return 1
        case .allPaths(let step, let limit): return min(limit ?? Int.max, reach(step, from: input))
        case .group, .groupByColumns: return min(input, 100)
        case .limit(let n): return min(n, input)
        }
    }

    /// A bounded walk reaches a share of the graph; an unbounded one may reach all of it; a
    /// target caps it at the target's own count.
    func reach(_ step: BoundStep, from sources: Int) -> Int {
        let total = statistics.nodeCount(.artifact) + statistics.nodeCount(.execution)
        var reach = step.max.map { min(total, max(1, sources) * (1 << min($0, 20))) } ?? total
        if let target = step.target {
            reach = min(reach, accessPaths(target).reduce(0) { $0 + rows($1) })
        }
        return max(reach, 0)
    }

    func rows(_ access: IndexAccess) -> Int {
        switch access {
        case .byID, .byExternalID, .byName: 1
        case .byNameAnyType(let kind, _): min(1, statistics.nodeCount(kind))
        case .byURI(let uri): statistics.count(uri: uri)
        case .byState(let kind, let state): statistics.count(kind: kind, state: state)
        case .byType(_, let id, _): id.rawValue < 0 ? 0 : statistics.count(ofType: id)
        case .byScope(let kind, let scope, let name): scopeMembers(kind, scope, name: name) ?? statistics.nodeCount(kind)
        }
    }

    /// The members of the contexts a scope matches: as many contexts as it names (one by name,
    /// those of its type, or all), each with the average number of members of the kind.
    func scopeMembers(_ kind: NodeKind, _ scope: BoundPredicate, name: String?) -> Int? {
        var typeName: String?
        for case .compare(.typeName, .equal, .string(let t)) in scope.conjuncts { typeName = t }
        guard let all = statistics.contextCount(typeName: nil), all > 0, let members = statistics.membershipCount(kind),
            let matching = name != nil ? 1 : statistics.contextCount(typeName: typeName)
        else { return nil }
        return min(statistics.nodeCount(kind), (matching * members + all - 1) / all)
    }

    /// The cheapest access path for each kind a node test admits: an index lookup, or a scan.
    func accessPaths(_ test: BoundNodeTest) -> [PlanNode] {
        [NodeKind.artifact, .execution].filter(test.admits).map { kind in
            bestIndex(kind: kind, predicate: test.predicate(kind), scope: test.scope).map { PlanNode(.indexLookup($0)) } ?? PlanNode(.scan(kind))
        }
    }

    /// The most selective index for a kind's predicate (its top-level `=` terms), if one beats a
    /// full scan.
    /// `scope`: the pattern's `in context(...)` test, whose contexts' members may be the fewest.
    func bestIndex(kind: NodeKind, predicate: BoundPredicate?, scope: BoundPredicate? = nil) -> IndexAccess? {
        var best: IndexAccess?
        var bestRows = statistics.nodeCount(kind)
        func consider(_ access: IndexAccess) {
            let estimate = rows(access)
            if estimate < bestRows || (estimate == bestRows && best == nil) {
                best = access
                bestRows = estimate
            }
        }
        if let scope {
            var contextName: String?
            for case .compare(.name, .equal, .string(let n)) in scope.conjuncts { contextName = n }
            // Only when it beats a scan by far: the estimate is an average, and some contexts are huge.
            let access = IndexAccess.byScope(kind, scope, contextName: contextName)
            if rows(access) * 4 < bestRows { consider(access) }
        }
        guard let predicate else { return best }
        var typeName: String?
        var name: String?
        for term in predicate.conjuncts {
            guard case .compare(let operand, .equal, let value) = term else { continue }
            switch (operand, value) {
            case (.id, .int(let id)): consider(.byID(kind, id))
            case (.externalID, .string(let e)): consider(.byExternalID(kind, e))
            case (.uri, .string(let u)) where kind == .artifact: consider(.byURI(u))
            case (.typeName, .string(let t)):
                typeName = t
                let ids = statistics.typeIDs(kind: kind, name: t)
                if ids.count == 1 { consider(.byType(kind, ids[0], typeName: t)) }
                if ids.isEmpty { consider(.byType(kind, TypeID(-1), typeName: t)) }
            case (.name, .string(let n)): name = n
            case (.artifactState, .int(let s)) where kind == .artifact: consider(.byState(kind, Int(s)))
            case (.executionState, .int(let s)) where kind == .execution: consider(.byState(kind, Int(s)))
            default: break
            }
        }
        if let typeName, let name {
            let ids = statistics.typeIDs(kind: kind, name: typeName)
            if ids.count == 1 { consider(.byName(kind, ids[0], typeName: typeName, name: name)) }
        } else if let name {
            // Names are unique per type, and in practice across types: about one node.
            consider(.byNameAnyType(kind, name))
        }
        return best
    }
}
