import Foundation
@testable import PedigreeQuery
import Pedigree
import PedigreeFixtures
import Testing

/// Statistics made up for a test: the planner sees only these counts.
struct StubStatistics: PlannerStatistics {
    var artifacts = 1_000
    var executions = 500
    /// Type name -> (id, count); names are the demo's, so queries bind against it.
    var types: [String: (TypeID, Int)] = [:]
    var states: [Int: Int] = [:]
    var uris: [String: Int] = [:]

    init(binding g: GraphSnapshot) {
        for t in g.types(of: .artifact) + g.types(of: .execution) { types[t.name] = (t.id!, 10) }
    }

    func nodeCount(_ kind: NodeKind) -> Int { kind == .artifact ? artifacts : kind == .execution ? executions : 0 }
    func typeIDs(kind: NodeKind, name: String) -> [TypeID] { types[name].map { [$0.0] } ?? [] }
    func count(ofType id: TypeID) -> Int { types.values.first { $0.0 == id }?.1 ?? 0 }
    func count(kind: NodeKind, state: Int?) -> Int { states[state ?? -1] ?? 0 }
    func count(uri: String) -> Int { uris[uri] ?? 0 }
}

@Suite struct PlannerTests {
    static let demo = ExamplesTests.demo

    /// Binds on the demo store, then plans on the given statistics.
    func plan(_ text: String, _ stats: StubStatistics, disabled: Set<Planner.Rule> = []) throws -> Plan {
        let (parsed, diagnostics) = Parser.parse(text)
        let query = try #require(parsed, "\(diagnostics)")
        var binder = QueryBinder(snapshot: Self.demo)
        let bound = binder.bind(query)
        #expect(binder.diagnostics.isEmpty, "\(binder.diagnostics)")
        let boundQuery = try #require(bound)
        return Planner.plan(boundQuery, statistics: stats, disabled: disabled)
    }

    /// The start's access path, as explain names it.
    func startAccess(_ plan: Plan) -> [String] {
        var out: [String] = []
        plan.root.walk { n in
            switch n.op {
            case .scan, .indexLookup: out.append(ExplainRenderer.describe(n.op))
            default: break
            }
        }
        return out
    }

    @Test func useIndexForStartTakesTheMostSelectiveIndex() throws {
        var stats = StubStatistics(binding: Self.demo)
        stats.types["Examples"]!.1 = 900
        stats.states[ArtifactState.live.rawValue] = 5
        let q = "artifact(type = 'Examples' and state = LIVE) downstream"
        #expect(startAccess(try plan(q, stats)) == ["StateScan artifact state = LIVE"])
        stats.states[ArtifactState.live.rawValue] = 950
        #expect(startAccess(try plan(q, stats)) == ["TypeScan artifact type = 'Examples'"])
        // Not fired: a scan, and no rule named.
        let off = try plan(q, stats, disabled: [.useIndexForStart])
        #expect(startAccess(off) == ["Scan artifact"] && !off.fired(.useIndexForStart))
    }

    /// A scope that names its context starts from that context's members (a run of the tfx shape
    /// has a few dozen of its thousands of nodes); the answer is the one a scan gives, in order.
    @Test func aNamedContextScopeStartsFromItsMembers() throws {
        let store = try MetadataStore.inMemory()
        try store.insert(SyntheticStore.tfx(executions: 3_000, seed: 2))
        let g = store.snapshot
        for q in [
            "node() in context(name = 'pipeline-0-run-5')",
            "artifact(type = 'Model') in context(type = 'pipeline_run' and name = 'pipeline-0-run-7')",
            "execution() in context(name = 'pipeline-0-run-9') downstream artifact",
            "artifact() in context(name = 'no-such-run')",
        ] {
            let plan = try g.plan(q)
            let access = startAccess(plan)
            #expect(access.allSatisfy { $0.hasPrefix("ContextMembers") }, "\(q): \(access)")
            let with = try g.run(plan), without = try g.run(try g.plan(q, disabledRules: [.useIndexForStart]))
            #expect(with.resultNodes == without.resultNodes, "\(q)")
        }
        #expect(try g.run(try g.plan("node() in context(name = 'pipeline-0-run-5')")).resultNodes.count > 3)
        // A scope without a name matches many contexts: scanned, as before.
        #expect(startAccess(try g.plan("node() in context(type = 'pipeline_run')")).allSatisfy { $0.hasPrefix("Scan") })
        // On the demo's few nodes a scan is as cheap; and statistics that cannot tell (a stub's) never choose it.
        #expect(startAccess(try Self.demo.plan("artifact() in context(name = 'chicago-taxi-run-2')")) == ["Scan artifact"])
        let stub = try plan("artifact() in context(name = 'chicago-taxi-run-2')", StubStatistics(binding: Self.demo))
        #expect(startAccess(stub) == ["Scan artifact"])
    }

    /// The reverse search needs the target 8 times more selective than the sources: fires at
    /// exactly 8 sources for one target, not at 7.
    @Test func reverseSelectiveStepAtItsThreshold() throws {
        var stats = StubStatistics(binding: Self.demo)
        let q = "artifact(type = 'Examples') downstream* artifact(id = 29)"
        stats.types["Examples"]!.1 = 8
        let fires = try plan(q, stats)
        #expect(fires.fired(.reverseSelectiveStep))
        guard case .reverseExtend = fires.root.inputs[0].op else {
            Issue.record("expected ReverseExtend under the projection: \(ExplainRenderer.render(fires))")
            return
        }
        stats.types["Examples"]!.1 = 7
        let not = try plan(q, stats)
        #expect(!not.fired(.reverseSelectiveStep))
        guard case .extend = not.root.inputs[0].op else { Issue.record("\(ExplainRenderer.render(not))"); return }
    }

    /// Only the last step is reversed, even when an earlier one would qualify too.
    @Test func reverseSelectiveStepRewritesTheLastStepOnly() throws {
        var stats = StubStatistics(binding: Self.demo)
        stats.types["Examples"]!.1 = 100_000
        stats.types["Model"]!.1 = 100
        let p = try plan("artifact(type = 'Examples') downstream* artifact(type = 'Model') downstream* artifact(id = 29)", stats)
        var ops: [String] = []
        p.root.walk { ops.append($0.op.name) }
        // The last step (nearest the root) is reversed; the first stays a forward walk.
        #expect(ops.prefix(3) == ["Project", "ReverseExtend", "ExtendDown"], "\(ops)")
    }

    @Test func searchFromBothEndsNeedsTwoSmallIndexedEnds() throws {
        var stats = StubStatistics(binding: Self.demo)
        let q = "shortest path artifact(type = 'Model') upstream* artifact(id = 1)"
        stats.types["Model"]!.1 = 1_000
        #expect(try plan(q, stats).fired(.searchFromBothEnds))
        stats.types["Model"]!.1 = 1_001
        #expect(!(try plan(q, stats).fired(.searchFromBothEnds)))
        // A full scan at either end: never.
        #expect(!(try plan("shortest path artifact(uri like 'x%') upstream* artifact(id = 1)", stats).fired(.searchFromBothEnds)))
    }

    @Test func stopEarlyNeedsALimitRightOverTheWalk() throws {
        let stats = StubStatistics(binding: Self.demo)
        #expect(try plan("artifact(id = 1) downstream* limit 3", stats).fired(.stopEarlyUnderLimit))
        #expect(!(try plan("artifact(id = 1) downstream* order by name limit 3", stats).fired(.stopEarlyUnderLimit)))
        #expect(!(try plan("artifact(id = 1) downstream* return count", stats).fired(.stopEarlyUnderLimit)))
    }

    @Test func groupByColumnsForKindTypeAndStateOnly() throws {
        let stats = StubStatistics(binding: Self.demo)
        for keys in ["type", "kind", "state", "type, state", "kind, type, state"] {
            #expect(try plan("artifact(id = 1) downstream* return count group by \(keys)", stats).fired(.groupByColumns), "\(keys)")
        }
        for keys in ["name", "type, name", "uri"] {
            #expect(!(try plan("artifact(id = 1) downstream* return count group by \(keys)", stats).fired(.groupByColumns)), "\(keys)")
        }
    }

    /// Estimates come from the statistics: a scan is the kind's count, a bounded walk a share.
    @Test func estimatesFollowTheStatistics() throws {
        var stats = StubStatistics(binding: Self.demo)
        stats.artifacts = 40
        stats.executions = 2
        let p = try plan("artifact(uri like 'x%') downstream{1,2}", stats)
        var estimates: [String: Int] = [:]
        p.root.walk { estimates[$0.op.name] = $0.estimate }
        #expect(estimates["Scan"] == 40 && estimates["Filter"] == 40 && estimates["ExtendDown"] == 42)
    }
}

@Suite struct OperatorTreeTests {
    static let chain = QueryExecutionTests.chain

    /// Grouping by columns answers exactly what the generic grouping does.
    @Test(arguments: [
        "artifact(type = 'Dataset') downstream* return count group by type", "artifact(name = 'dataset-0') downstream* return count group by kind, type, state",
        "execution() upstream{1,2} return count group by state", "artifact(type = 'Model') both{0,3} return count group by state, kind",
    ])
    func groupByColumnsAgreesWithGenericGrouping(_ query: String) throws {
        let g = Self.chain
        let fast = try g.plan(query)
        #expect(fast.fired(.groupByColumns))
        let slow = try g.plan(query, disabledRules: [.groupByColumns])
        guard case .groups(let a) = try g.run(fast).rows, case .groups(let b) = try g.run(slow).rows else {
            Issue.record("not groups")
            return
        }
        #expect(a == b && !a.isEmpty)
        guard case .count(let total) = try g.query(query.components(separatedBy: " group by")[0]).rows else {
            Issue.record("not a count")
            return
        }
        #expect(a.reduce(0) { $0 + $1.count } == total)
    }

    /// Profile: one entry per operator run, keyed by plan node; their visits add up to the query's.
    @Test func profileCoversEveryOperator() throws {
        let g = Self.chain
        let plan = try g.plan("artifact(type = 'Dataset') downstream{1,4} artifact(type = 'Model') order by id limit 7")
        let r = try g.run(plan)
        var ids: [Int] = []
        plan.root.walk { ids.append($0.id) }
        #expect(Set(r.profile.map(\.node)) == Set(ids))
        #expect(r.profile.reduce(0) { $0 + $1.visited } == r.visited)
        #expect(r.profile.first { $0.node == plan.root.id }?.rows == 7)
        let text = ExplainRenderer.render(plan, profile: r.profile)
        #expect(text.components(separatedBy: "\n").filter { $0.contains("; rows ") }.count == ids.count, "\(text)")
    }

    /// Results carry their start and result nodes; a subgraph query's results are those of the
    /// same query returning nodes.
    @Test func resultsCarryStartAndResultNodes() throws {
        let g = Self.chain
        let q = "artifact(name = 'dataset-1') downstream{1,6} artifact(type = 'Model')"
        let nodes = try g.query(q)
        let subgraph = try g.query(q + " return subgraph")
        let start = try g.query("artifact(name = 'dataset-1')")
        #expect(nodes.startNodes == start.resultNodes && subgraph.startNodes == start.resultNodes && !start.resultNodes.isEmpty)
        #expect(Set(subgraph.resultNodes) == Set(nodes.resultNodes) && !nodes.resultNodes.isEmpty)
        let paths = try g.query("all paths artifact(name = 'dataset-1') downstream{1,6} artifact(type = 'Model') limit 3")
        guard case .paths(let found) = paths.rows else { Issue.record("not paths"); return }
        #expect(Set(paths.resultNodes) == Set(found.map { $0.nodes.last! }) && found.count == 3)
        #expect(paths.startNodes == start.resultNodes)
    }

    /// A reverse search cannot keep the edges of a subgraph: with it or without, the subgraph is
    /// the same.
    @Test func subgraphsAreTheSameWithOrWithoutRules() throws {
        let g = Self.chain
        for q in ["artifact(type = 'Dataset') downstream* artifact(id = 41) return subgraph",
                  "artifact(name = 'dataset-0') downstream{1,8} artifact(type = 'Model') return subgraph"] {
            let with = try g.run(try g.plan(q))
            let without = try g.run(try g.plan(q, disabledRules: Set(Planner.Rule.allCases)))
            guard case .subgraph(let a) = with.rows, case .subgraph(let b) = without.rows else { Issue.record("not subgraphs"); continue }
            #expect(a == b && !a.events.isEmpty, "\(q)")
        }
    }

    @Test func pathQueriesTakeOneStep() throws {
        for q in ["all paths artifact(id = 1) downstream artifact() downstream", "shortest path artifact(id = 1) downstream artifact() upstream"] {
            #expect(throws: QueryError.self) { _ = try Self.chain.plan(q) }
        }
    }
}

/// ml-metadata's lineage walks run in the executor, under the budgets, deadline and cancellation
/// of a query.
@Suite struct MLMDLineageWalkTests {
    static let chain = QueryExecutionTests.chain

    func walk(_ g: GraphSnapshot, ending: [NodeKind: @Sendable () throws -> BoundPredicate] = [:]) throws -> MLMDLineageSubgraphWalk {
        MLMDLineageSubgraphWalk(
            startKind: .artifact, start: try g.nodeIndices(.artifact, matchingFilter: "name = 'dataset-0'"), maxHops: .max,
            direction: .downstream, ending: ending, includeEnding: [:])
    }

    @Test func subgraphWalkStopsAtItsBudgetAndDeadline() throws {
        let g = Self.chain
        let full = try g.run(try walk(g), limits: QueryLimits())
        #expect(full.artifacts.count > 1_000 && full.events.count > 2_000)
        _ = expectError(.resourceExhausted) { _ = try g.run(try walk(g), limits: QueryLimits(maxVisits: 100)) }
        _ = expectError(.deadlineExceeded) { _ = try g.run(try walk(g), limits: QueryLimits(timeout: .nanoseconds(1))) }
    }

    @Test func graphWalkStopsAtItsBudget() throws {
        let g = Self.chain
        let walk = MLMDLineageGraphWalk(
            start: try g.nodeIndices(.artifact, matchingFilter: "name = 'dataset-0'"), maxHops: .max, quota: .max, boundary: [:])
        #expect(try g.run(walk, limits: QueryLimits()).executions.count > 100)
        _ = expectError(.resourceExhausted) { _ = try g.run(walk, limits: QueryLimits(maxVisits: 100)) }
    }

    /// As in ml-metadata, an ending filter is bound only when some reached node is tested
    /// against it; then a bad one is InvalidArgument.
    @Test func endingFiltersBindWhenFirstNeeded() throws {
        let g = Self.chain
        let bad: @Sendable () throws -> BoundPredicate = { try g.bindFilter("this is not (valid", kind: .execution) }
        var unreached = try walk(g, ending: [.execution: bad])
        unreached.maxHops = 0
        #expect(try g.run(unreached, limits: QueryLimits()).artifacts.count == 1)
        _ = expectError(.invalidArgument) { _ = try g.run(try walk(g, ending: [.execution: bad]), limits: QueryLimits()) }
    }
}
