internal import PedigreeModel
internal import PedigreeGraph

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
