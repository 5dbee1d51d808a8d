internal import PedigreeModel
@_spi(Engine) package import PedigreeGraph

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
package final class Executor {
    package let snapshot: GraphSnapshot
    package let limits: QueryLimits
    let evaluator: PredicateEvaluator
    private let clock = ContinuousClock()
    private let deadline: ContinuousClock.Instant
    private let isCancelled: @Sendable () -> Bool
    /// What each operator did, in the order they finished.
    private var profile: [OperatorProfile] = []
    /// The time and visits of the operators run inside the one being measured.
    private var innerNanoseconds: UInt64 = 0
    private var innerVisits = 0
    /// The start pattern's matches, once its filter has run.
    private var startNodes: [NodeRef] = []
    var visits = 0

    /// `storage`: how struct and proto properties read as text, for predicates bound with
    /// ml-metadata's filter semantics (the MLMD lineage walks).
    package init(snapshot: GraphSnapshot, limits: QueryLimits = QueryLimits(), storage: MLMDStorageText = .placeholder,
                isCancelled: @escaping @Sendable () -> Bool = { Task.isCancelled }) {
        self.snapshot = snapshot
        self.limits = limits
        self.evaluator = PredicateEvaluator(snapshot, storage: storage)
        self.deadline = ContinuousClock().now.advanced(by: limits.timeout)
        self.isCancelled = isCancelled
    }

    // MARK: Budgets

    @inline(__always)
    func visit() throws(QueryAbort) {
        visits += 1
        if visits & 4095 == 0 { try checkpoint() }
    }

    func checkpoint() throws(QueryAbort) {
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

    func passesWhere(_ step: BoundStep, _ n: NodeRef) -> Bool { step.whereTests.allSatisfy { passes($0, n) } }
    func isPruned(_ step: BoundStep, _ n: NodeRef) -> Bool { step.pruneTests.contains { passes($0, n) } }
    func isUntil(_ step: BoundStep, _ n: NodeRef) -> Bool { step.untilTests.contains { passes($0, n) } }

    /// The nodes an index yields (before the pattern's full test).
    func candidates(_ access: IndexAccess) -> [Int32] {
        let g = snapshot
        /// The node of a kind with this name, of each type of the kind.
        func named(_ kind: NodeKind, _ name: String) -> [Int32] {
            zip(g.typeIDs, g.types).filter { $1.kind == kind }.compactMap { g.nodeIndex(kind: kind, typeID: $0.0, name: name) }
        }
        switch access {
        case .byID(let kind, let id): return g.nodeIndex(kind: kind, id: id).map { [$0] } ?? []
        case .byExternalID(let kind, let e): return g.nodeIndex(kind: kind, externalID: e).map { [$0] } ?? []
        case .byName(let kind, let t, _, let name): return g.nodeIndex(kind: kind, typeID: t, name: name).map { [$0] } ?? []
        case .byNameAnyType(let kind, let name): return named(kind, name).sorted()
        case .byURI(let u): return g.artifactIndices(uri: u).sorted()
        case .byType(_, let t, _): return g.nodeIndices(ofType: t)
        case .byScope(let kind, let scope, let name):
            let contexts: [Int32] =
                if let name {
                    named(.context, name)
                } else {
                    (0..<Int32(g.nodeCount(.context))).filter { evaluator.matches(scope, kind: .context, index: $0) }
                }
            var members = Set<Int32>()
            for c in contexts { members.formUnion(kind == .artifact ? g.contextArtifacts.items(c) : g.contextExecutions.items(c)) }
            return members.sorted()
        case .byState(let kind, let s):
            return kind == .artifact
                ? g.artifactIndices(state: s.flatMap { ArtifactState(rawValue: $0) })
                : g.executionIndices(state: s.flatMap { ExecutionState(rawValue: $0) })
        }
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


    // MARK: Running a plan

    /// Runs the plan's operator tree.
    package func run(_ plan: Plan) throws(QueryAbort) -> QueryResult {
        let root = plan.root
        var result = QueryResult(rows: .count(0), truncated: nil, visited: 0, profile: [], plan: plan, withDepth: false, startNodes: [])
        switch root.op {
        case .shortestPath, .meetInTheMiddle, .allPaths:
            let (paths, truncated) = try measure(root) { () throws(QueryAbort) in try self.paths(root) } rows: { $0.0.count }
            result.rows = .paths(paths)
            result.truncated = truncated
            result.startNodes = Self.unique(paths.compactMap { $0.nodes.first })
            result.foundNodes = Self.unique(paths.compactMap { $0.nodes.last })
        case .count:
            let n = try measure(root) { () throws(QueryAbort) in try nodes(root.inputs[0]).found.count } rows: { _ in 1 }
            result.rows = .count(n)
        case .group(let keys), .groupByColumns(let keys):
            let rows = try measure(root) { () throws(QueryAbort) in
                let found = try nodes(root.inputs[0]).found
                if case .groupByColumns = root.op { return groupsByColumns(found, keys) }
                return groups(found, keys)
            } rows: { $0.count }
            result.rows = .groups(rows)
        case .project(.subgraph):
            let (subgraph, found) = try measure(root) { () throws(QueryAbort) in
                let flow = try nodes(root.inputs[0])
                let region = flow.region ?? Region(nodes: Set(flow.found.map(\.0)), edges: [])
                return (self.subgraph(region.nodes, region.edges), flow.found.map(\.0))
            } rows: { $0.0.artifacts.count + $0.0.executions.count }
            result.rows = .subgraph(subgraph)
            result.foundNodes = found
        case .project(.nodes(let withDepth)):
            let list = try measure(root) { () throws(QueryAbort) in try self.list(root.inputs[0]) } rows: { $0.nodes.count }
            result.rows = .nodes(list.nodes)
            result.truncated = list.truncated
            result.withDepth = withDepth
        default:
            let list = try self.list(root)
            result.rows = .nodes(list.nodes)
            result.truncated = list.truncated
        }
        if case .paths = result.rows {} else { result.startNodes = startNodes }
        result.visited = visits
        result.profile = profile
        return result
    }

    /// Runs a path operator: its paths, and why they are fewer than matched.
    private func paths(_ node: PlanNode) throws(QueryAbort) -> ([LineagePath], Truncation?) {
        let sources = try nodes(node.inputs[0]).found.map { $0.0 }
        switch node.op {
        case .shortestPath(let step):
            return (try shortestPath(step, from: sources).map { [$0] } ?? [], nil)
        case .meetInTheMiddle(let step):
            let targets = try nodes(node.inputs[1]).found.map { $0.0 }
            return (try meetInTheMiddle(step, from: sources, targets: targets).map { [$0] } ?? [], nil)
        case .allPaths(let step, let cap):
            let (paths, cut) = try allPaths(step, from: sources, cap: cap)
            guard cut, let cap else { return (paths, nil) }
            return (paths, Truncation(returned: cap, omitted: nil, reason: "limit \(cap)"))
        default:
            preconditionFailure("\(node.op.name) does not yield paths")
        }
    }

    /// The nodes and edges a subgraph query's walks kept.
    struct Region {
        var nodes: Set<NodeRef>
        var edges: Set<Int32>
    }

    /// What a node operator yields: nodes with their depths, in the order found.
    struct NodeFlow {
        var found: [(NodeRef, Int)]
        /// For a subgraph: the start nodes and what lies on the walks from them to the results.
        var region: Region?
        /// A walk ended once enough results were certain: more may match.
        var stoppedEarly = false
        /// Each depth's nodes are already in (kind, id) order.
        var sortedWithinDepth = false
        /// `found` as result rows in their final order (then `found` is empty), where they were
        /// asked for and the operator could give them so.
        var rows: [ResultNode]?
    }

    /// Result nodes in their final order, and whether a limit cut them.
    struct NodeList {
        var nodes: [ResultNode]
        var truncated: Truncation?
        var stoppedEarly: Bool
    }

    /// Runs a node operator (a leaf, a filter, a union or a walk). `asRows`: the caller wants
    /// result rows (see `NodeFlow.rows`).
    func nodes(_ node: PlanNode, asRows: Bool = false) throws(QueryAbort) -> NodeFlow {
        try measure(node) { () throws(QueryAbort) in
            switch node.op {
            case .scan(let kind):
                return NodeFlow(found: (0..<Int32(snapshot.nodeCount(kind))).map { (NodeRef(kind, $0), 0) })
            case .indexLookup(let access):
                return NodeFlow(found: candidates(access).map { (NodeRef(access.kind, $0), 0) })
            case .union:
                var found: [(NodeRef, Int)] = []
                for input in node.inputs { found += try nodes(input).found }
                return NodeFlow(found: found)
            case .filter(let test):
                var found: [(NodeRef, Int)] = []
                for (n, depth) in try nodes(node.inputs[0]).found {
                    try visit()
                    if passes(test, n) { found.append((n, depth)) }
                }
                // The deepest filter is the start pattern's: it runs first.
                if startNodes.isEmpty { startNodes = found.map(\.0) }
                return NodeFlow(found: found)
            case .extend(let step, let stopAfter, let recordEdges):
                let input = try nodes(node.inputs[0])
                let sources = input.found.map(\.0)
                let outcome = try forward(step, from: sources, stopAfter: stopAfter, recordEdges: recordEdges, asRows: asRows)
                var flow = NodeFlow(found: outcome.results, stoppedEarly: input.stoppedEarly || outcome.stoppedEarly,
                                    sortedWithinDepth: outcome.sortedWithinDepth, rows: outcome.rows)
                if recordEdges {
                    var region = input.region ?? Region(nodes: Set(sources), edges: [])
                    addPaths(outcome, to: &region.nodes, &region.edges)
                    flow.region = region
                }
                // The walk checks its budget every 4096 visits; a step's end checks it exactly.
                try checkpoint()
                return flow
            case .reverseExtend(let step):
                let input = try nodes(node.inputs[0])
                let targets = try nodes(node.inputs[1]).found.map(\.0)
                let outcome = try reverse(step, targets: targets, from: input.found.map(\.0))
                try checkpoint()
                return NodeFlow(found: outcome.results, stoppedEarly: input.stoppedEarly)
            default:
                preconditionFailure("\(node.op.name) does not yield nodes")
            }
        } rows: { $0.rows?.count ?? $0.found.count }
    }

    /// Runs an operator that yields result nodes in order: order and limit over a node operator.
    func list(_ node: PlanNode) throws(QueryAbort) -> NodeList {
        switch node.op {
        case .order(let keys):
            return try measure(node) { () throws(QueryAbort) in
                var list = try self.list(node.inputs[0])
                list.nodes = order(list.nodes, by: keys)
                return list
            } rows: { $0.nodes.count }
        case .limit(let limit):
            return try measure(node) { () throws(QueryAbort) in
                var list = try self.list(node.inputs[0])
                if list.nodes.count > limit || list.stoppedEarly {
                    // A walk that stopped early may have left more matches unsearched: uncounted.
                    list.truncated = Truncation(
                        returned: min(limit, list.nodes.count), omitted: list.stoppedEarly ? nil : list.nodes.count - limit,
                        reason: "limit \(limit)")
                    list.nodes = Array(list.nodes.prefix(limit))
                }
                return list
            } rows: { $0.nodes.count }
        default:
            let flow = try nodes(node, asRows: true)
            let nodes = flow.rows ?? (flow.sortedWithinDepth ? resultNodes(flow.found) : ordered(flow.found))
            return NodeList(nodes: nodes, truncated: nil, stoppedEarly: flow.stoppedEarly)
        }
    }

    /// Runs `body` as the operator `node`, recording its own rows, visits and time (those of the
    /// operators it runs inside are theirs).
    private func measure<T>(_ node: PlanNode, _ body: () throws(QueryAbort) -> T, rows: (T) -> Int) throws(QueryAbort) -> T {
        let (outerNanoseconds, outerVisits) = (innerNanoseconds, innerVisits)
        (innerNanoseconds, innerVisits) = (0, 0)
        let (t0, v0) = (clock.now, visits)
        let value = try body()
        let elapsed = clock.now - t0
        let total = UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000)
        let visited = visits - v0
        profile.append(OperatorProfile(
            node: node.id, name: node.op.name, rows: rows(value), visited: visited - innerVisits,
            nanoseconds: total - min(innerNanoseconds, total)))
        (innerNanoseconds, innerVisits) = (outerNanoseconds + total, outerVisits + visited)
        return value
    }

    /// The nodes in first-seen order, each once.
    static func unique(_ nodes: [NodeRef]) -> [NodeRef] {
        var seen: Set<NodeRef> = []
        return nodes.filter { seen.insert($0).inserted }
    }
}
