internal import PedigreeModel
internal import PedigreeGraph

extension Executor {
    // MARK: Paths

    /// One shortest path from any source to a node matching the step's target.
    func shortestPath(_ step: BoundStep, from sources: [NodeRef]) throws(QueryAbort) -> LineagePath? {
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
            return path(to: hit)
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
            if let first = hits.min(by: { id(of: $0) < id(of: $1) }) { return path(to: first) }
            frontier = next
            depth += 1
        }
        return nil
    }

    /// Breadth-first from the sources forward and from the targets backward, one level at a time
    /// on the smaller frontier, until they meet; the path through the meeting node is a shortest
    /// one. Inner nodes must pass `where` and be neither `prune` nor `until` nodes; targets must
    /// pass `where` and not be pruned.
    func meetInTheMiddle(_ step: BoundStep, from sources: [NodeRef], targets allTargets: [NodeRef]) throws(QueryAbort) -> LineagePath? {
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

    /// Every acyclic path from a source to a target within the bounds (depth-first), at most
    /// `cap`; whether more were left unsearched.
    func allPaths(_ step: BoundStep, from sources: [NodeRef], cap: Int?) throws(QueryAbort) -> (paths: [LineagePath], truncated: Bool) {
        var paths: [LineagePath] = []
        var nodes: [NodeRef] = []
        var events: [Int32] = []
        var onPath: Set<NodeRef> = []
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
        return (paths, truncated)
    }
}

