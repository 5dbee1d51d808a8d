internal import PedigreeModel
public import PedigreeGraph

/// A set of dense indices.
struct Bitset {
    private var words: [UInt64]

    init(count: Int) { words = [UInt64](repeating: 0, count: (count + 63) >> 6) }

    @inline(__always) func contains(_ i: Int32) -> Bool { words[Int(i) >> 6] & (1 << UInt64(Int(i) & 63)) != 0 }

    /// Inserts; true if it was not there.
    @inline(__always) mutating func insert(_ i: Int32) -> Bool {
        let w = Int(i) >> 6, bit: UInt64 = 1 << UInt64(Int(i) & 63)
        if words[w] & bit != 0 { return false }
        words[w] |= bit
        return true
    }
}

/// Runs plans over a snapshot. Checks its budgets and the deadline every few thousand visits.
/// A class, so that the hot loops' closures never copy it (and the snapshot inside).
public final class Executor {
    public let snapshot: GraphSnapshot
    public let limits: QueryLimits
    private let evaluator: PredicateEvaluator
    private let clock = ContinuousClock()
    private let deadline: ContinuousClock.Instant
    private let isCancelled: @Sendable () -> Bool
    private var visits = 0
    private var profile: [OperatorProfile] = []

    public init(snapshot: GraphSnapshot, limits: QueryLimits = QueryLimits(), isCancelled: @escaping @Sendable () -> Bool = { Task.isCancelled }) {
        self.snapshot = snapshot
        self.limits = limits
        self.evaluator = PredicateEvaluator(snapshot)
        self.deadline = ContinuousClock().now.advanced(by: limits.timeout)
        self.isCancelled = isCancelled
    }

    // MARK: Budgets

    @inline(__always)
    private func visit() throws(QueryAbort) {
        visits += 1
        if visits & 4095 == 0 { try checkpoint() }
    }

    private func checkpoint() throws(QueryAbort) {
        if visits > limits.maxVisits {
            throw QueryAbort(reason: .visitBudget, description: "the query visited more than \(limits.maxVisits) nodes, its budget; narrow it (bounds, where, prune) or raise the budget")
        }
        if clock.now > deadline {
            throw QueryAbort(reason: .deadline, description: "the query ran longer than its \(limits.timeout) deadline")
        }
        if isCancelled() { throw QueryAbort(reason: .cancelled, description: "the query was cancelled") }
    }

    // MARK: Node tests

    func passes(_ test: BoundNodeTest, _ n: NodeRef) -> Bool {
        guard test.admits(n.kind) else { return false }
        if let p = test.predicate(n.kind) {
            // The commonest test, `type = 'X'`, compares type ids (resolved when bound).
            if let ids = n.kind == .artifact ? test.artifactTypeIDs : n.kind == .execution ? test.executionTypeIDs : nil {
                let typeID = n.kind == .artifact ? snapshot.artifactTypes[Int(n.index)] : snapshot.executionTypes[Int(n.index)]
                if !ids.contains(typeID) { return false }
            } else if !evaluator.matches(p, kind: n.kind, index: n.index) {
                return false
            }
        }
        if test.hasScope {
            let contexts = n.kind == .artifact ? snapshot.artifactContexts.items(n.index) : snapshot.executionContexts.items(n.index)
            guard let scope = test.scope else { return !contexts.isEmpty }
            return contexts.contains { evaluator.matches(scope, kind: .context, index: $0) }
        }
        return true
    }

    private func passesWhere(_ step: BoundStep, _ n: NodeRef) -> Bool { step.whereTests.allSatisfy { passes($0, n) } }
    private func isPruned(_ step: BoundStep, _ n: NodeRef) -> Bool { step.pruneTests.contains { passes($0, n) } }
    private func isUntil(_ step: BoundStep, _ n: NodeRef) -> Bool { step.untilTests.contains { passes($0, n) } }

    /// The nodes an access path yields (before the pattern's full test).
    func candidates(_ plan: AccessPlan) -> [Int32] {
        let g = snapshot
        switch plan.access {
        case .byID(let kind, let id): return g.nodeIndex(kind: kind, id: id).map { [$0] } ?? []
        case .byExternalID(let kind, let e): return g.nodeIndex(kind: kind, externalID: e).map { [$0] } ?? []
        case .byName(let kind, let t, _, let name): return g.nodeIndex(kind: kind, typeID: t, name: name).map { [$0] } ?? []
        case .byNameAnyType(let kind, let name): return g.types(of: kind).compactMap { g.nodeIndex(kind: kind, typeID: $0.id!, name: name) }.sorted()
        case .byURI(let u): return g.artifactIndices(uri: u).sorted()
        case .byType(_, let t, _): return g.nodeIndices(ofType: t)
        case .byState(let kind, let s):
            return kind == .artifact
                ? g.artifactIndices(state: s.flatMap { ArtifactState(rawValue: $0) })
                : g.executionIndices(state: s.flatMap { ExecutionState(rawValue: $0) })
        case .scan(let kind): return Array(0..<Int32(g.nodeCount(kind)))
        }
    }

    /// The nodes matching a test, found through the given access plans.
    func select(_ test: BoundNodeTest, _ plans: [AccessPlan]) throws(QueryAbort) -> [NodeRef] {
        var out: [NodeRef] = []
        for plan in plans {
            for i in candidates(plan) {
                try visit()
                let n = NodeRef(plan.kind, i)
                if passes(test, n) { out.append(n) }
            }
        }
        return out
    }

    // MARK: Edges

    /// Calls `body(neighbour, event)` for each edge of `n` in `direction`, of an allowed type.
    /// Reads the node's packed neighbour list (far end and event type) in order; the event index
    /// comes from the parallel event list.
    @inline(__always)
    func forEachEdge(_ n: NodeRef, _ direction: Step.Direction, _ types: Set<EventType>?, _ body: (NodeRef, Int32) throws(QueryAbort) -> Void) throws(QueryAbort) {
        let g = snapshot
        let fromArtifact = n.kind == .artifact
        let neighbours = fromArtifact ? g.artifactNeighbours.items(n.index) : g.executionNeighbours.items(n.index)
        let events = fromArtifact ? g.artifactEvents.items(n.index) : g.executionEvents.items(n.index)
        let farKind: NodeKind = fromArtifact ? .execution : .artifact
        // Input-kind events point artifact -> execution, output-kind execution -> artifact;
        // UNKNOWN events have no direction.
        let wantInput = (direction == .downstream) == fromArtifact
        var e = events.startIndex
        for item in neighbours {
            defer { e += 1 }
            let raw = item & 7
            if let types {
                guard let t = EventType(rawValue: Int(raw)), types.contains(t) else { continue }
            }
            if direction != .both {
                guard raw != 0 else { continue }
                let isInput = EventType.isInput(raw: raw)
                guard isInput == wantInput else { continue }
            }
            try body(NodeRef(farKind, item >> 3), events[e])
        }
    }

    // MARK: Steps

    /// What a step found: results with depths, every kept node with its depth, and the edges the
    /// walk followed (for subgraphs).
    struct StepOutcome {
        var results: [(NodeRef, Int)]
        var reached: [NodeRef: Int]
        var edges: [(from: NodeRef, to: NodeRef, event: Int32)]
        /// The walk ended because enough results were certain, not because it was done.
        var stoppedEarly = false
        /// Each depth's results are already in (kind, id) order.
        var sortedWithinDepth = false
    }

    /// Breadth-first from `sources`; `stopAfter`: end after the depth at which that many results exist.
    func forward(_ step: BoundStep, from sources: [NodeRef], stopAfter: Int?, recordEdges: Bool) throws(QueryAbort) -> StepOutcome {
        if !recordEdges, stopAfter == nil, step.eventTypes == nil, step.whereTests.isEmpty, step.untilTests.isEmpty,
            step.pruneTests.isEmpty
        {
            return try plainWalk(step, from: sources)
        }
        var seenA = Bitset(count: snapshot.artifacts.count)
        var seenE = Bitset(count: snapshot.executions.count)
        var outcome = StepOutcome(results: [], reached: [:], edges: [])
        var frontier: [NodeRef] = []
        for s in sources {
            let fresh = s.kind == .artifact ? seenA.insert(s.index) : seenE.insert(s.index)
            guard fresh else { continue }
            frontier.append(s)
            if recordEdges { outcome.reached[s] = 0 }
            if step.min == 0, step.target.map({ passes($0, s) }) ?? true { outcome.results.append((s, 0)) }
        }
        var depth = 0
        while !frontier.isEmpty, step.max.map({ depth < $0 }) ?? true {
            if let stopAfter, outcome.results.count >= stopAfter {
                outcome.stoppedEarly = true
                break
            }
            var next: [NodeRef] = []
            for n in frontier {
                if depth > 0, !step.untilTests.isEmpty, isUntil(step, n) { continue }
                try forEachEdge(n, step.direction, step.eventTypes) { (far, e) throws(QueryAbort) in
                    let fresh = far.kind == .artifact ? seenA.insert(far.index) : seenE.insert(far.index)
                    if !fresh {
                        // As MLMD's lineage subgraph: an event into a node already reached is kept
                        // when walking one way; walking both ways, only if that node is new in
                        // this hop or is an `until` (ending) node.
                        if recordEdges, let d = outcome.reached[far],
                            step.direction != .both || d == depth + 1 || (d > 0 && isUntil(step, far))
                        {
                            outcome.edges.append((n, far, e))
                        }
                        return
                    }
                    try visit()
                    if !step.pruneTests.isEmpty, isPruned(step, far) { return }
                    if !step.whereTests.isEmpty, !passesWhere(step, far) { return }
                    next.append(far)
                    if recordEdges {
                        outcome.reached[far] = depth + 1
                        outcome.edges.append((n, far, e))
                    }
                    if depth + 1 >= step.min, step.target.map({ passes($0, far) }) ?? true { outcome.results.append((far, depth + 1)) }
                }
            }
            frontier = next
            depth += 1
        }
        return outcome
    }

    /// `forward` for the commonest step, a bare walk (`downstream*`, `upstream{1,20}`, with or
    /// without a target): no per-edge closure, no event indices, neighbour lists read in place.
    /// Where dense indices follow ids, each depth's nodes are sorted as they are found, so the
    /// results come out in their final order and the next depth is read in memory order.
    private func plainWalk(_ step: BoundStep, from sources: [NodeRef]) throws(QueryAbort) -> StepOutcome {
        let g = snapshot
        let wordsA = (g.artifacts.count + 63) >> 6, wordsE = (g.executions.count + 63) >> 6
        func bits(_ words: Int) -> UnsafeMutablePointer<UInt64> {
            let p = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, words))
            p.initialize(repeating: 0, count: max(1, words))
            return p
        }
        // Nodes reached, and (scratch, empty between depths) the nodes new at this depth.
        let seenA = bits(wordsA), seenE = bits(wordsE), freshA = bits(wordsA), freshE = bits(wordsE)
        defer {
            for p in [seenA, seenE, freshA, freshE] { p.deallocate() }
        }
        @inline(__always) func insert(_ seen: UnsafeMutablePointer<UInt64>, _ i: Int32) -> Bool {
            let w = Int(i) >> 6, bit: UInt64 = 1 << UInt64(Int(i) & 63)
            if seen[w] & bit != 0 { return false }
            seen[w] |= bit
            return true
        }
        let sortEachDepth = g.artifactIndicesFollowIDs && g.executionIndicesFollowIDs
        var outcome = StepOutcome(results: [], reached: [:], edges: [])
        outcome.sortedWithinDepth = sortEachDepth
        var frontier: [NodeRef] = []
        for s in sources where insert(s.kind == .artifact ? seenA : seenE, s.index) { frontier.append(s) }
        if sortEachDepth { frontier.sort() }
        if step.min == 0 {
            for s in frontier where step.target.map({ passes($0, s) }) ?? true { outcome.results.append((s, 0)) }
        }
        let both = step.direction == .both
        let downstream = step.direction == .downstream
        let artifactNeighbours = g.artifactNeighbours, executionNeighbours = g.executionNeighbours
        let byType = step.target.flatMap { TypeFilter($0, g) }
        // One depth's new nodes, written in place: at most every node of the far kind.
        let scratch = UnsafeMutablePointer<NodeRef>.allocate(capacity: max(1, max(g.artifacts.count, g.executions.count)))
        defer { scratch.deallocate() }
        var depth = 0
        var next: [NodeRef] = []
        while !frontier.isEmpty, step.max.map({ depth < $0 }) ?? true {
            var count = 0
            for n in frontier {
                let fromArtifact = n.kind == .artifact
                // Input-kind events point artifact -> execution, output-kind execution -> artifact.
                let wantInput = downstream == fromArtifact
                let farKind: NodeKind = fromArtifact ? .execution : .artifact
                let seen = fromArtifact ? seenE : seenA
                // `g` keeps the maps alive and unchanged for the whole walk.
                let items = fromArtifact ? artifactNeighbours.unsafeItems(n.index) : executionNeighbours.unsafeItems(n.index)
                for item in items {
                    let raw = item & 7
                    if !both {
                        if raw == 0 { continue }
                        let isInput = EventType.isInput(raw: raw)
                        if isInput != wantInput { continue }
                    }
                    let far = item >> 3
                    if insert(seen, far) {
                        scratch[count] = NodeRef(farKind, far)
                        count += 1
                    }
                }
            }
            next = Array(UnsafeBufferPointer(start: scratch, count: count))
            visits += count
            if visits > 4095 { try checkpoint() }
            if sortEachDepth { sortDepth(&next, freshA: freshA, freshE: freshE) }
            if depth + 1 >= step.min {
                if let target = step.target {
                    if let byType {
                        for far in next where byType.passes(far) { outcome.results.append((far, depth + 1)) }
                    } else {
                        for far in next where passes(target, far) { outcome.results.append((far, depth + 1)) }
                    }
                } else {
                    for far in next { outcome.results.append((far, depth + 1)) }
                }
            }
            swap(&frontier, &next)
            depth += 1
        }
        return outcome
    }

    /// A target test that is only kinds and `type = ...` (the commonest, as in
    /// `artifact(type = 'Model')`), as lookup tables by type id; nil for any other test.
    struct TypeFilter {
        var admitA: Bool, admitE: Bool
        /// nil: every type passes.
        var tableA: [Bool]?, tableE: [Bool]?
        let artifactTypes: ChunkedArray<TypeID>, executionTypes: ChunkedArray<TypeID>

        init?(_ test: BoundNodeTest, _ g: GraphSnapshot) {
            guard !test.hasScope else { return nil }
            func table(_ kind: NodeKind) -> [Bool]?? {
                guard test.admits(kind), test.predicate(kind) != nil else { return .some(nil) }
                guard let ids = kind == .artifact ? test.artifactTypeIDs : test.executionTypeIDs else { return nil }
                guard let top = ids.map(\.rawValue).max() else { return .some([]) }
                guard top < 1 << 20, ids.allSatisfy({ $0.rawValue >= 0 }) else { return nil }
                var t = [Bool](repeating: false, count: Int(top) + 1)
                for id in ids { t[Int(id.rawValue)] = true }
                return .some(t)
            }
            guard let a = table(.artifact), let e = table(.execution) else { return nil }
            admitA = test.admits(.artifact)
            admitE = test.admits(.execution)
            tableA = a
            tableE = e
            artifactTypes = g.artifactTypes
            executionTypes = g.executionTypes
        }

        @inline(__always) func passes(_ n: NodeRef) -> Bool {
            if n.kind == .artifact {
                guard admitA else { return false }
                guard let t = tableA else { return true }
                let id = Int(artifactTypes[Int(n.index)].rawValue)
                return id >= 0 && id < t.count && t[id]
            }
            guard admitE, n.kind == .execution else { return false }
            guard let t = tableE else { return true }
            let id = Int(executionTypes[Int(n.index)].rawValue)
            return id >= 0 && id < t.count && t[id]
        }
    }

    /// Sorts one depth's nodes by (kind, index). When they are all of one kind and lie close
    /// together (as a walk's frontier does), a bitset over their index range does it in linear
    /// time; otherwise a comparison sort.
    private func sortDepth(_ nodes: inout [NodeRef], freshA: UnsafeMutablePointer<UInt64>, freshE: UnsafeMutablePointer<UInt64>) {
        guard nodes.count > 1, let kind = nodes.first?.kind else { return }
        var low = Int32.max, high = Int32.min
        for n in nodes {
            if n.kind != kind {
                nodes.sort()
                return
            }
            low = min(low, n.index)
            high = max(high, n.index)
        }
        let firstWord = Int(low) >> 6, lastWord = Int(high) >> 6
        guard lastWord - firstWord < 16 * nodes.count + 64 else {
            nodes.sort()
            return
        }
        let fresh = kind == .artifact ? freshA : freshE
        for n in nodes { fresh[Int(n.index) >> 6] |= 1 << UInt64(Int(n.index) & 63) }
        var at = 0
        for w in firstWord...lastWord {
            var word = fresh[w]
            fresh[w] = 0
            while word != 0 {
                let bit = word.trailingZeroBitCount
                nodes[at] = NodeRef(kind, Int32(w << 6 + bit))
                at += 1
                word &= word - 1
            }
        }
    }

    /// From each target candidate back towards `sources`: a candidate is a result at the length
    /// of its shortest valid path from a source, when that lies within the bounds.
    func reverse(_ step: BoundStep, targets plans: [AccessPlan], from sources: [NodeRef]) throws(QueryAbort) -> StepOutcome {
        var isSourceA = Bitset(count: snapshot.artifacts.count)
        var isSourceE = Bitset(count: snapshot.executions.count)
        for s in sources { _ = s.kind == .artifact ? isSourceA.insert(s.index) : isSourceE.insert(s.index) }
        func isSource(_ n: NodeRef) -> Bool { n.kind == .artifact ? isSourceA.contains(n.index) : isSourceE.contains(n.index) }
        let back: Step.Direction = step.direction == .downstream ? .upstream : step.direction == .upstream ? .downstream : .both
        var outcome = StepOutcome(results: [], reached: [:], edges: [])
        for plan in plans {
            for i in candidates(plan) {
                let t = NodeRef(plan.kind, i)
                try visit()
                guard let target = step.target, passes(target, t) else { continue }
                if isSource(t) {
                    if step.min == 0 { outcome.results.append((t, 0)) }
                    // A longer path cannot give a smaller depth; a source is reached at 0 only.
                    continue
                }
                if isPruned(step, t) || !passesWhere(step, t) { continue }
                var seen: Set<NodeRef> = [t]
                var frontier = [t]
                var depth = 0
                var found: Int?
                search: while !frontier.isEmpty, step.max.map({ depth < $0 }) ?? true {
                    var next: [NodeRef] = []
                    for n in frontier {
                        var hit = false
                        try forEachEdge(n, back, step.eventTypes) { (far, _) throws(QueryAbort) in
                            guard !hit, seen.insert(far).inserted else { return }
                            try visit()
                            if isSource(far) {
                                hit = true
                                return
                            }
                            // `far` would be an inner node of the forward path: it must pass where,
                            // and neither prune nor until (an until node is not expanded).
                            if isPruned(step, far) || !passesWhere(step, far) || isUntil(step, far) { return }
                            next.append(far)
                        }
                        if hit {
                            found = depth + 1
                            break search
                        }
                    }
                    frontier = next
                    depth += 1
                }
                if let found, found >= step.min { outcome.results.append((t, found)) }
            }
        }
        return outcome
    }

    // MARK: Running a plan

    public func run(_ plan: Plan) throws(QueryAbort) -> QueryResult {
        let query = plan.query
        let returnClause = query.source.returnClause
        let wantsSubgraph = returnClause == .subgraph
        var t0 = clock.now
        var sources = try select(query.start, plan.startAccess)
        record("Select start (\(plan.startAccess.map(\.access.description).joined(separator: "; ")))", rows: sources.count, since: t0)

        switch query.source.pathMode {
        case .shortestPath: return try shortestPath(plan, from: sources)
        case .allPaths: return try allPaths(plan, from: sources)
        case .reach: break
        }

        var found: [(NodeRef, Int)] = sources.map { ($0, 0) }
        var regionNodes: Set<NodeRef> = Set(sources)
        var regionEdges: Set<Int32> = []
        var stoppedEarly = false
        var sortedWithinDepth = false
        for (i, stepPlan) in plan.steps.enumerated() {
            t0 = clock.now
            let visitsBefore = visits
            let isLast = i == plan.steps.count - 1
            let outcome: StepOutcome
            switch stepPlan.strategy {
            case .forward, .bidirectional:
                outcome = try forward(stepPlan.step, from: sources, stopAfter: isLast ? plan.earlyStopAfter : nil, recordEdges: wantsSubgraph)
            case .reverse(let plans):
                outcome = try reverse(stepPlan.step, targets: plans, from: sources)
            }
            if wantsSubgraph { addPaths(outcome, to: &regionNodes, &regionEdges) }
            stoppedEarly = stoppedEarly || outcome.stoppedEarly
            sources = outcome.results.map(\.0)
            found = outcome.results
            sortedWithinDepth = outcome.sortedWithinDepth
            record("\(stepPlan.strategy == .forward ? "Extend" : "ReverseExtend") \(stepPlan.step.text)", rows: sources.count,
                   visited: visits - visitsBefore, since: t0)
            // The walk checks its budget every 4096 visits; a step's end checks it exactly.
            try checkpoint()
        }

        if case .count(let keys) = returnClause, keys.isEmpty { return result(.count(found.count), plan: plan) }
        var nodes = sortedWithinDepth ? found.map { ResultNode(node: $0.0, id: id(of: $0.0), depth: $0.1) } : ordered(found)
        if !query.orderBy.isEmpty { nodes = order(nodes, by: query.orderBy) }

        switch returnClause {
        case .count(let keys):
            if keys.isEmpty { return result(.count(nodes.count), plan: plan) }
            return result(.groups(groups(nodes, query.groupBy)), plan: plan)
        case .subgraph:
            return result(.subgraph(subgraph(regionNodes, regionEdges)), plan: plan)
        case .paths, .nodes:
            var truncated: Truncation?
            if let limit = query.limit, nodes.count > limit || stoppedEarly {
                // A walk that stopped early may have left more matches unsearched: uncounted.
                truncated = Truncation(
                    returned: min(limit, nodes.count), omitted: stoppedEarly ? nil : nodes.count - limit, reason: "limit \(limit)")
                nodes = Array(nodes.prefix(limit))
            }
            var r = result(.nodes(nodes), plan: plan)
            r.truncated = truncated
            if case .nodes(let withDepth) = returnClause { r.withDepth = withDepth }
            return r
        }
    }

    /// The results as nodes, ordered by depth, then artifacts before executions, then id. A walk
    /// yields them depth by depth, so each depth is sorted on its own, on integer keys: the
    /// dense index where indices follow ids (the common case), else the id.
    private func ordered(_ found: [(NodeRef, Int)]) -> [ResultNode] {
        let byIndex = snapshot.artifactIndicesFollowIDs && snapshot.executionIndicesFollowIDs
        let executionBit: UInt64 = 1 << 63
        var out: [ResultNode] = []
        out.reserveCapacity(found.count)
        let inDepthOrder = zip(found, found.dropFirst()).allSatisfy { $0.1 <= $1.1 }
        let sorted = inDepthOrder ? found : found.sorted { $0.1 < $1.1 }
        var keys: [UInt64] = []
        var withIDs: [(UInt64, NodeRef)] = []
        var start = sorted.startIndex
        while start < sorted.endIndex {
            let depth = sorted[start].1
            var end = start
            while end < sorted.endIndex, sorted[end].1 == depth { end += 1 }
            if byIndex {
                // The key is the node: kind bit and index; sorting plain integers is fast.
                keys.removeAll(keepingCapacity: true)
                for (n, _) in sorted[start..<end] {
                    keys.append((n.kind == .artifact ? 0 : executionBit) | UInt64(UInt32(bitPattern: n.index)))
                }
                keys.sort()
                for k in keys {
                    let n = NodeRef(k & executionBit == 0 ? .artifact : .execution, Int32(truncatingIfNeeded: k))
                    out.append(ResultNode(node: n, id: id(of: n), depth: depth))
                }
            } else {
                withIDs.removeAll(keepingCapacity: true)
                for (n, _) in sorted[start..<end] {
                    withIDs.append(((n.kind == .artifact ? 0 : executionBit) | UInt64(id(of: n)), n))
                }
                withIDs.sort { $0.0 < $1.0 }
                for (k, n) in withIDs { out.append(ResultNode(node: n, id: Int64(k & ~executionBit), depth: depth)) }
            }
            start = end
        }
        return out
    }

    private func record(_ name: String, rows: Int, visited: Int? = nil, since: ContinuousClock.Instant) {
        let elapsed = clock.now - since
        let ns = UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000)
        profile.append(OperatorProfile(name: name, rows: rows, visited: visited ?? rows, nanoseconds: ns))
    }

    private func result(_ rows: QueryResult.Rows, plan: Plan) -> QueryResult {
        QueryResult(rows: rows, truncated: nil, visited: visits, profile: profile, plan: plan, withDepth: false)
    }

    func id(of n: NodeRef) -> Int64 {
        switch n.kind {
        case .artifact: snapshot.artifactIDs[Int(n.index)]
        case .execution: snapshot.executionIDs[Int(n.index)]
        case .context: snapshot.contexts[Int(n.index)].id!.rawValue
        }
    }

    // MARK: Subgraphs

    /// Adds the nodes and edges that lie on some path from a source to a result.
    private func addPaths(_ o: StepOutcome, to nodes: inout Set<NodeRef>, _ edges: inout Set<Int32>) {
        var incoming: [NodeRef: [(NodeRef, Int32)]] = [:]
        for e in o.edges { incoming[e.to, default: []].append((e.from, e.event)) }
        var stack = o.results.map(\.0)
        var seen = Set(stack)
        while let n = stack.popLast() {
            nodes.insert(n)
            for (from, event) in incoming[n] ?? [] {
                edges.insert(event)
                if seen.insert(from).inserted { stack.append(from) }
            }
        }
    }

    private func subgraph(_ nodes: Set<NodeRef>, _ edges: Set<Int32>) -> Subgraph {
        var s = Subgraph()
        s.artifacts = nodes.filter { $0.kind == .artifact }.map(\.index).sorted()
        s.executions = nodes.filter { $0.kind == .execution }.map(\.index).sorted()
        s.events = edges.sorted()
        var contexts: Set<Int32> = []
        for a in s.artifacts {
            for c in snapshot.artifactContexts.items(a) {
                contexts.insert(c)
                s.attributions.append((c, a))
            }
        }
        for e in s.executions {
            for c in snapshot.executionContexts.items(e) {
                contexts.insert(c)
                s.associations.append((c, e))
            }
        }
        s.contexts = contexts.sorted()
        return s
    }

    // MARK: Order and groups

    /// An order or group key's value on a node: an attribute or a property; nil when absent.
    private func key(_ operand: BoundOperand, _ n: NodeRef) -> BoundValue? {
        switch n.kind {
        case .artifact: PredicateEvaluator.value(operand, of: snapshot.artifacts[Int(n.index)], snapshot)
        case .execution: PredicateEvaluator.value(operand, of: snapshot.executions[Int(n.index)], snapshot)
        case .context: PredicateEvaluator.value(operand, of: snapshot.contexts[Int(n.index)], snapshot)
        }
    }

    private func order(_ nodes: [ResultNode], by keys: [BoundOrderKey]) -> [ResultNode] {
        nodes.enumerated().sorted { l, r in
            for k in keys {
                switch k {
                case .depth(let asc):
                    if l.element.depth != r.element.depth { return asc ? l.element.depth < r.element.depth : l.element.depth > r.element.depth }
                case .operand(let o, let asc):
                    let (a, b) = (key(o, l.element.node), key(o, r.element.node))
                    if a == b { continue }
                    // Missing values sort first, as NULLs do in SQLite.
                    guard let a else { return asc }
                    guard let b else { return !asc }
                    let less = PredicateEvaluator.compare(a, .less, b)
                    return asc ? less : !less
                }
            }
            return l.offset < r.offset
        }.map(\.element)
    }

    private func groups(_ nodes: [ResultNode], _ keys: [BoundGroupKey]) -> [GroupRow] {
        var counts: [[String]: Int] = [:]
        for n in nodes {
            let row = keys.map { k -> String in
                switch k {
                case .kind: return n.node.kind.description
                case .state:
                    switch n.node.kind {
                    case .artifact: return snapshot.artifacts[Int(n.node.index)].state?.description ?? "(none)"
                    case .execution: return snapshot.executions[Int(n.node.index)].lastKnownState?.description ?? "(none)"
                    case .context: return "(none)"
                    }
                case .operand(let o, _):
                    switch key(o, n.node) {
                    case nil: return "(none)"
                    case .string(let s)?: return s
                    case .int(let i)?: return Self.enumName(o, i) ?? String(i)
                    case .double(let d)?: return String(d)
                    case .bool(let b)?: return String(b)
                    }
                }
            }
            counts[row, default: 0] += 1
        }
        return counts.map { GroupRow(keys: $0.key, count: $0.value) }.sorted { $0.keys.lexicographicallyPrecedes($1.keys) }
    }

    /// State values print by name.
    static func enumName(_ o: BoundOperand, _ raw: Int64) -> String? {
        switch o.leaf {
        case .artifactState: ArtifactState(rawValue: Int(raw))?.description
        case .executionState: ExecutionState(rawValue: Int(raw))?.description
        case .event(_, .type): EventType(rawValue: Int(raw))?.description
        default: nil
        }
    }

    // MARK: Paths

    /// One shortest path from any source to a node matching the step's target.
    private func shortestPath(_ plan: Plan, from sources: [NodeRef]) throws(QueryAbort) -> QueryResult {
        let step = plan.steps[0].step
        if case .bidirectional(let targetPlans) = plan.steps[0].strategy {
            return result(.paths(try meetInTheMiddle(step, from: sources, targets: try select(step.target!, targetPlans)).map { [$0] } ?? []), plan: plan)
        }
        var parent: [NodeRef: (NodeRef, Int32)] = [:]
        var seen = Set(sources)
        var frontier = sources.sorted()
        var depth = 0
        func path(to n: NodeRef) -> LineagePath {
            var nodes = [n], events: [Int32] = []
            var at = n
            while let (p, e) = parent[at] {
                nodes.append(p)
                events.append(e)
                at = p
            }
            return LineagePath(nodes: nodes.reversed(), events: events.reversed())
        }
        if step.min == 0, let hit = frontier.first(where: { n in step.target.map { passes($0, n) } ?? true }) {
            return result(.paths([path(to: hit)]), plan: plan)
        }
        while !frontier.isEmpty, step.max.map({ depth < $0 }) ?? true {
            var next: [NodeRef] = []
            var hits: [NodeRef] = []
            for n in frontier {
                if depth > 0, isUntil(step, n) { continue }
                try forEachEdge(n, step.direction, step.eventTypes) { (far, e) throws(QueryAbort) in
                    guard seen.insert(far).inserted else { return }
                    try visit()
                    if isPruned(step, far) || !passesWhere(step, far) { return }
                    parent[far] = (n, e)
                    next.append(far)
                    if depth + 1 >= step.min, step.target.map({ passes($0, far) }) ?? true { hits.append(far) }
                }
            }
            if let first = hits.min(by: { id(of: $0) < id(of: $1) }) { return result(.paths([path(to: first)]), plan: plan) }
            frontier = next
            depth += 1
        }
        return result(.paths([]), plan: plan)
    }

    /// Breadth-first from the sources forward and from the targets backward, one level at a time
    /// on the smaller frontier, until they meet; the path through the meeting node is a shortest
    /// one. Inner nodes must pass `where` and be neither `prune` nor `until` nodes; targets must
    /// pass `where` and not be pruned.
    private func meetInTheMiddle(_ step: BoundStep, from sources: [NodeRef], targets allTargets: [NodeRef]) throws(QueryAbort) -> LineagePath? {
        let targets = allTargets.filter { !isPruned(step, $0) && passesWhere(step, $0) }
        guard !sources.isEmpty, !targets.isEmpty else { return nil }
        if step.min == 0, let both = sources.sorted().first(where: { Set(targets).contains($0) }) {
            return LineagePath(nodes: [both], events: [])
        }
        let back: Step.Direction = step.direction == .downstream ? .upstream : step.direction == .upstream ? .downstream : .both
        // parent pointers: forward side towards a source, backward side towards a target.
        var fromSource: [NodeRef: (NodeRef, Int32)?] = Dictionary(uniqueKeysWithValues: sources.map { ($0, nil) })
        var fromTarget: [NodeRef: (NodeRef, Int32)?] = Dictionary(targets.map { ($0, nil) }, uniquingKeysWith: { a, _ in a })
        var forwardFrontier = sources.sorted(), backwardFrontier = targets.sorted()
        var forwardDepth = 0, backwardDepth = 0
        func isInner(_ n: NodeRef) -> Bool { passesWhere(step, n) && !isPruned(step, n) && !isUntil(step, n) }
        func path(through m: NodeRef) -> LineagePath {
            var head: [NodeRef] = [m], headEvents: [Int32] = []
            var at = m
            while case let (p, e)?? = fromSource[at] { head.append(p); headEvents.append(e); at = p }
            var tail: [NodeRef] = [], tailEvents: [Int32] = []
            at = m
            while case let (n, e)?? = fromTarget[at] { tail.append(n); tailEvents.append(e); at = n }
            return LineagePath(nodes: head.reversed() + tail, events: headEvents.reversed() + tailEvents)
        }
        while !forwardFrontier.isEmpty || !backwardFrontier.isEmpty {
            if let max = step.max, forwardDepth + backwardDepth >= max { return nil }
            let expandForward = !forwardFrontier.isEmpty && (backwardFrontier.isEmpty || forwardFrontier.count <= backwardFrontier.count)
            var next: [NodeRef] = []
            var meetings: [NodeRef] = []
            let frontier = expandForward ? forwardFrontier : backwardFrontier
            for n in frontier {
                // A node may be walked past only if it is a source (forward side), a target
                // (backward side) or a valid inner node.
                let isEnd = expandForward ? fromSource[n]! == nil : fromTarget[n]! == nil
                if !isEnd && !isInner(n) { continue }
                try forEachEdge(n, expandForward ? step.direction : back, step.eventTypes) { (far, e) throws(QueryAbort) in
                    if expandForward {
                        guard fromSource[far] == nil else { return }
                        try visit()
                        fromSource[far] = .some((n, e))
                        if fromTarget[far] != nil { meetings.append(far) } else { next.append(far) }
                    } else {
                        guard fromTarget[far] == nil else { return }
                        try visit()
                        fromTarget[far] = .some((n, e))
                        if fromSource[far] != nil { meetings.append(far) } else { next.append(far) }
                    }
                }
            }
            if expandForward { forwardDepth += 1 } else { backwardDepth += 1 }
            // A meeting node is valid if it is an end of its own side or a valid inner node.
            let valid = meetings.filter { m in
                (fromSource[m]! == nil || fromTarget[m]! == nil || isInner(m)) && forwardDepth + backwardDepth >= step.min
            }
            if let m = valid.min(by: { ($0.kind == .artifact ? 0 : 1, id(of: $0)) < ($1.kind == .artifact ? 0 : 1, id(of: $1)) }) {
                return path(through: m)
            }
            if expandForward { forwardFrontier = next } else { backwardFrontier = next }
        }
        return nil
    }

    /// Every acyclic path from a source to a target within the bounds (depth-first).
    private func allPaths(_ plan: Plan, from sources: [NodeRef]) throws(QueryAbort) -> QueryResult {
        let step = plan.steps[0].step
        var paths: [LineagePath] = []
        var nodes: [NodeRef] = []
        var events: [Int32] = []
        var onPath: Set<NodeRef> = []
        let cap = plan.query.limit
        var truncated = false
        func dfs(_ n: NodeRef) throws(QueryAbort) {
            if let cap, paths.count >= cap {
                truncated = true
                return
            }
            let depth = events.count
            if depth >= step.min, depth > 0, step.target.map({ passes($0, n) }) ?? true {
                paths.append(LineagePath(nodes: nodes, events: events))
                if paths.count > limits.maxPaths {
                    throw QueryAbort(reason: .pathBudget, description: "the query found more than \(limits.maxPaths) paths, its budget; add a limit or narrow it")
                }
            }
            if let max = step.max, depth >= max { return }
            if depth > 0, isUntil(step, n) { return }
            var edges: [(NodeRef, Int32)] = []
            try forEachEdge(n, step.direction, step.eventTypes) { (far, e) throws(QueryAbort) in edges.append((far, e)) }
            for (far, e) in edges where !onPath.contains(far) {
                try visit()
                if isPruned(step, far) || !passesWhere(step, far) { continue }
                onPath.insert(far)
                nodes.append(far)
                events.append(e)
                try dfs(far)
                nodes.removeLast()
                events.removeLast()
                onPath.remove(far)
            }
        }
        for s in sources.sorted() {
            nodes = [s]
            onPath = [s]
            if step.min == 0, step.target.map({ passes($0, s) }) ?? true { paths.append(LineagePath(nodes: [s], events: [])) }
            try dfs(s)
        }
        var r = result(.paths(paths), plan: plan)
        if truncated, let cap { r.truncated = Truncation(returned: cap, omitted: nil, reason: "limit \(cap)") }
        return r
    }
}
