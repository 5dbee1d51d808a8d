internal import PedigreeModel
@_spi(Engine) internal import PedigreeGraph

extension Executor {
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
        /// The results as result rows in their final order, in place of `results`, when they were
        /// asked for and the walk could give them so.
        var rows: [ResultNode]?
    }

    /// Breadth-first from `sources`; `stopAfter`: end after the depth at which that many results exist.
    /// `asRows`: the caller wants result rows (see `StepOutcome.rows`).
    func forward(_ step: BoundStep, from sources: [NodeRef], stopAfter: Int?, recordEdges: Bool, asRows: Bool = false) throws(QueryAbort) -> StepOutcome {
        if !recordEdges, stopAfter == nil, step.eventTypes == nil, step.whereTests.isEmpty, step.untilTests.isEmpty,
            step.pruneTests.isEmpty
        {
            return try plainWalk(step, from: sources, asRows: asRows)
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
    /// As a plain breadth-first search, the nodes go into one queue (each node once, each depth a
    /// run of it) that is also the list of results, so nothing is copied per depth; the results
    /// array is made once at the end, at its exact size. Where dense indices follow ids, each
    /// depth's run is sorted in place as it is found, so the results come out in their final order
    /// and the next depth is read in memory order.
    private func plainWalk(_ step: BoundStep, from sources: [NodeRef], asRows: Bool) throws(QueryAbort) -> StepOutcome {
        let g = snapshot
        let wordsA = (g.artifacts.count + 63) >> 6, wordsE = (g.executions.count + 63) >> 6
        func bits(_ words: Int) -> UnsafeMutablePointer<UInt64> {
            let p = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, words))
            p.initialize(repeating: 0, count: max(1, words))
            return p
        }
        // Nodes reached, and (scratch, empty between depths) the nodes new at this depth.
        let seenA = bits(wordsA), seenE = bits(wordsE), freshA = bits(wordsA), freshE = bits(wordsE)
        @inline(__always) func insert(_ seen: UnsafeMutablePointer<UInt64>, _ i: Int32) -> Bool {
            let w = Int(i) >> 6, bit: UInt64 = 1 << UInt64(Int(i) & 63)
            if seen[w] & bit != 0 { return false }
            seen[w] |= bit
            return true
        }
        // Every node enters the queue at most once (the sources too): at most every artifact and
        // execution. Pages are touched only as far as the walk goes.
        let capacity = max(1, g.artifacts.count + g.executions.count + sources.count)
        let queue = UnsafeMutablePointer<NodeRef>.allocate(capacity: capacity)
        // With a target, the nodes that pass it, compacted (without one, the queue itself).
        let byType = step.target.flatMap { TypeFilter($0, g) }
        let hits = step.target == nil ? queue : UnsafeMutablePointer<NodeRef>.allocate(capacity: capacity)
        defer {
            for p in [seenA, seenE, freshA, freshE] { p.deallocate() }
            if hits != queue { hits.deallocate() }
            queue.deallocate()
        }
        let sortEachDepth = g.artifactIndicesFollowIDs && g.executionIndicesFollowIDs
        var outcome = StepOutcome(results: [], reached: [:], edges: [])
        outcome.sortedWithinDepth = sortEachDepth
        // The results by depth: (depth, first, end) runs of `hits`.
        var runs: [(depth: Int, start: Int, end: Int)] = []
        var hitCount = 0
        /// Records the queue's run [from, to) as the nodes found at `depth`.
        func keep(_ depth: Int, _ from: Int, _ to: Int) {
            guard depth >= step.min, to > from else { return }
            let start = hitCount
            if let target = step.target {
                if let byType {
                    for i in from..<to where byType.passes(queue[i]) {
                        hits[hitCount] = queue[i]
                        hitCount += 1
                    }
                } else {
                    for i in from..<to where passes(target, queue[i]) {
                        hits[hitCount] = queue[i]
                        hitCount += 1
                    }
                }
            } else {
                hitCount = to
            }
            if hitCount > start { runs.append((depth, step.target == nil ? from : start, hitCount)) }
        }
        var tail = 0
        for s in sources where insert(s.kind == .artifact ? seenA : seenE, s.index) {
            queue[tail] = s
            tail += 1
        }
        if sortEachDepth {
            var start = UnsafeMutableBufferPointer(start: queue, count: tail)
            start.sort()
        }
        keep(0, 0, tail)
        let both = step.direction == .both
        let downstream = step.direction == .downstream
        // Which packed event types (bit n for type n) a hop follows: input-kind events (2, 3, 5)
        // point artifact -> execution, output-kind ones (1, 4, 6, 7) execution -> artifact; both
        // ways follows every type, UNKNOWN (0) too.
        let inputTypes: UInt32 = 1 << 2 | 1 << 3 | 1 << 5, outputTypes: UInt32 = 1 << 1 | 1 << 4 | 1 << 6 | 1 << 7
        let artifactNeighbours = g.artifactNeighbours, executionNeighbours = g.executionNeighbours
        var head = 0
        var depth = 0
        // This depth's new nodes of one kind: how many, and (when sorting) their index range, with
        // their bits set in that kind's fresh set.
        var countA = 0, lowA = Int32.max, highA = Int32.min
        var countE = 0, lowE = Int32.max, highE = Int32.min
        @inline(__always) func expand(
            _ items: UnsafeBufferPointer<Int32>, _ follow: UInt32, _ farKind: NodeKind, _ seen: UnsafeMutablePointer<UInt64>,
            _ fresh: UnsafeMutablePointer<UInt64>, _ count: inout Int, _ low: inout Int32, _ high: inout Int32
        ) {
            for item in items where follow >> UInt32(item & 7) & 1 != 0 {
                let far = item >> 3
                let w = Int(far) >> 6, bit: UInt64 = 1 << UInt64(Int(far) & 63)
                if seen[w] & bit != 0 { continue }
                seen[w] |= bit
                queue[tail] = NodeRef(farKind, far)
                tail += 1
                count += 1
                if sortEachDepth {
                    fresh[w] |= bit
                    low = min(low, far)
                    high = max(high, far)
                }
            }
        }
        while head < tail, step.max.map({ depth < $0 }) ?? true {
            let levelEnd = tail
            (countA, lowA, highA) = (0, .max, .min)
            (countE, lowE, highE) = (0, .max, .min)
            while head < levelEnd {
                let n = queue[head]
                head += 1
                // `g` keeps the maps alive and unchanged for the whole walk.
                if n.kind == .artifact {
                    let follow = both ? UInt32.max : downstream ? inputTypes : outputTypes
                    expand(artifactNeighbours.unsafeItems(n.index), follow, .execution, seenE, freshE, &countE, &lowE, &highE)
                } else {
                    let follow = both ? UInt32.max : downstream ? outputTypes : inputTypes
                    expand(executionNeighbours.unsafeItems(n.index), follow, .artifact, seenA, freshA, &countA, &lowA, &highA)
                }
            }
            let found = tail - levelEnd
            // The budget and the deadline, each time the visits pass a multiple of 4096.
            let before = visits
            visits += found
            if visits >> 12 != before >> 12 { try checkpoint() }
            if sortEachDepth {
                sortDepth(
                    UnsafeMutableBufferPointer(start: queue + levelEnd, count: found),
                    artifacts: (freshA, countA, lowA, highA), executions: (freshE, countE, lowE, highE))
            }
            keep(depth + 1, levelEnd, tail)
            depth += 1
        }
        let total = runs.reduce(0) { $0 + $1.end - $1.start }
        if asRows && sortEachDepth {
            // Straight to the rows, ids read from the id columns: no list of (node, depth) between.
            let artifactIDs = g.artifactIDs, executionIDs = g.executionIDs
            outcome.rows = Array(unsafeUninitializedCapacity: total) { buffer, count in
                var at = 0
                for run in runs {
                    for i in run.start..<run.end {
                        let n = hits[i]
                        let id: Int64 =
                            switch n.kind {
                            case .artifact: artifactIDs[Int(n.index)]
                            case .execution: executionIDs[Int(n.index)]
                            case .context: g.id(of: n)
                            }
                        (buffer.baseAddress! + at).initialize(to: ResultNode(node: n, id: id, depth: run.depth))
                        at += 1
                    }
                }
                count = at
            }
            return outcome
        }
        outcome.results = Array(unsafeUninitializedCapacity: total) { buffer, count in
            var at = 0
            for run in runs {
                for i in run.start..<run.end {
                    (buffer.baseAddress! + at).initialize(to: (hits[i], run.depth))
                    at += 1
                }
            }
            count = at
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

    /// One depth's new nodes of one kind, as the walk found them: their bits in a fresh set (empty
    /// between depths), how many, and their lowest and highest index.
    typealias FreshNodes = (bits: UnsafeMutablePointer<UInt64>, count: Int, low: Int32, high: Int32)

    /// Rewrites one depth's nodes in (kind, index) order and empties the fresh sets. Where each
    /// kind's nodes lie close together (as a walk's frontier does), by reading the fresh bits over
    /// their index range, in linear time; otherwise by a comparison sort.
    private func sortDepth(_ nodes: UnsafeMutableBufferPointer<NodeRef>, artifacts: FreshNodes, executions: FreshNodes) {
        func close(_ f: FreshNodes) -> Bool { f.count == 0 || (Int(f.high) >> 6) - (Int(f.low) >> 6) < 16 * f.count + 64 }
        guard close(artifacts), close(executions) else {
            for n in nodes { (n.kind == .artifact ? artifacts.bits : executions.bits)[Int(n.index) >> 6] = 0 }
            var all = nodes
            all.sort()
            return
        }
        var at = 0
        for (kind, f) in [(NodeKind.artifact, artifacts), (NodeKind.execution, executions)] where f.count > 0 {
            for w in (Int(f.low) >> 6)...(Int(f.high) >> 6) {
                var word = f.bits[w]
                f.bits[w] = 0
                while word != 0 {
                    nodes[at] = NodeRef(kind, Int32(w << 6 + word.trailingZeroBitCount))
                    at += 1
                    word &= word - 1
                }
            }
        }
    }

    /// From each target (the nodes that pass the step's target test) back towards `sources`: a
    /// target is a result at the length of its shortest valid path from a source, when that lies
    /// within the bounds.
    func reverse(_ step: BoundStep, targets: [NodeRef], from sources: [NodeRef]) throws(QueryAbort) -> StepOutcome {
        var isSourceA = Bitset(count: snapshot.artifacts.count)
        var isSourceE = Bitset(count: snapshot.executions.count)
        for s in sources { _ = s.kind == .artifact ? isSourceA.insert(s.index) : isSourceE.insert(s.index) }
        func isSource(_ n: NodeRef) -> Bool { n.kind == .artifact ? isSourceA.contains(n.index) : isSourceE.contains(n.index) }
        let back: Step.Direction = step.direction == .downstream ? .upstream : step.direction == .upstream ? .downstream : .both
        var outcome = StepOutcome(results: [], reached: [:], edges: [])
        for t in targets {
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
        return outcome
    }

}
