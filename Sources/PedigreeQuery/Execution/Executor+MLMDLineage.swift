package import PedigreeModel
@_spi(Engine) internal import PedigreeGraph

/// ml-metadata's GetLineageSubgraph traversal (QueryLineageSubgraph): breadth-first, alternating
/// artifacts and executions, direction by event type, ending nodes, and in a bidirectional walk
/// no events into nodes reached before.
package struct MLMDLineageSubgraphWalk: Sendable {
    package enum Direction: Sendable { case upstream, downstream, bidirectional }

    package var startKind: NodeKind
    /// Dense indices of the starting nodes.
    package var start: [Int32]
    package var maxHops: Int64
    package var direction: Direction
    /// Per kind, the `filter_query` of the ending nodes, bound with ml-metadata's semantics when
    /// the walk first needs it: as in ml-metadata, a filter that no reached node is tested
    /// against is never checked.
    package var ending: [NodeKind: @Sendable () throws -> BoundPredicate]
    /// Per kind, whether ending nodes (and the events into them) are kept.
    package var includeEnding: [NodeKind: Bool]

    package init(startKind: NodeKind, start: [Int32], maxHops: Int64, direction: Direction,
                ending: [NodeKind: @Sendable () throws -> BoundPredicate],
                includeEnding: [NodeKind: Bool]) {
        self.startKind = startKind
        self.start = start
        self.maxHops = maxHops
        self.direction = direction
        self.ending = ending
        self.includeEnding = includeEnding
    }
}

/// ml-metadata's older GetLineageGraph traversal: from artifacts, hop by hop through every event,
/// up to a number of hops and a number of nodes, entering only nodes that pass the boundary.
package struct MLMDLineageGraphWalk: Sendable {
    /// Dense indices of the query's artifacts.
    package var start: [Int32]
    package var maxHops: Int64
    /// Nodes the walk may add (beyond the start), at most.
    package var quota: Int64
    /// Per kind, the boundary filter (the nodes the walk may go on to), bound when first needed.
    package var boundary: [NodeKind: @Sendable () throws -> BoundPredicate]

    package init(start: [Int32], maxHops: Int64, quota: Int64, boundary: [NodeKind: @Sendable () throws -> BoundPredicate]) {
        self.start = start
        self.maxHops = maxHops
        self.quota = quota
        self.boundary = boundary
    }
}

/// What an MLMD lineage walk found, as dense indices.
package struct MLMDLineageFound: Sendable {
    /// In ml-metadata's order: by id for a subgraph; for a lineage graph, hop by hop and by id
    /// within a hop (the start first).
    package var artifacts: [Int32] = []
    package var executions: [Int32] = []
    /// Dense event indices, in the order the walk kept them.
    package var events: [Int32] = []
}

extension Executor {
    /// GetLineageSubgraph's walk, under this executor's budget, deadline and cancellation
    /// (`QueryAbort`); a filter that does not bind throws its binder's error.
    package func run(_ walk: MLMDLineageSubgraphWalk) throws -> MLMDLineageFound {
        let g = snapshot
        var bound: [NodeKind: BoundPredicate] = [:]
        func ending(_ kind: NodeKind, among candidates: some Collection<Int32>) throws -> Set<Int32> {
            guard let bind = walk.ending[kind], !candidates.isEmpty else { return [] }
            let p = try bound[kind] ?? bind()
            bound[kind] = p
            return Set(candidates.filter { evaluator.matches(p, kind: kind, index: $0) })
        }
        var visited: [NodeKind: Set<Int32>] = [.artifact: [], .execution: []]
        var ends: [NodeKind: Set<Int32>] = [.artifact: [], .execution: []]
        ends[walk.startKind] = try ending(walk.startKind, among: walk.start)
        var frontier = walk.start.filter { !ends[walk.startKind]!.contains($0) }
        visited[walk.startKind] = Set(frontier)
        var found = MLMDLineageFound()
        var seenEvents = Set<Int32>()
        var side = walk.startKind
        var hop: Int64 = 0
        while hop < walk.maxHops {
            let far: NodeKind = side == .artifact ? .execution : .artifact
            let fromArtifact = side == .artifact
            var candidateEvents: [Int32] = []
            for n in frontier {
                try visit()
                let adjacent = fromArtifact ? g.artifactEvents.items(n) : g.executionEvents.items(n)
                for e in adjacent where Self.keeps(g.events.types[Int(e)], fromArtifact: fromArtifact, walk.direction) {
                    candidateEvents.append(e)
                }
            }
            func farEnd(_ e: Int32) -> Int32 { fromArtifact ? g.events.executions[Int(e)] : g.events.artifacts[Int(e)] }
            var unvisited = Set<Int32>()
            for e in candidateEvents {
                let n = farEnd(e)
                if !visited[far]!.contains(n) && !ends[far]!.contains(n) { unvisited.insert(n) }
            }
            ends[far]!.formUnion(try ending(far, among: unvisited))
            unvisited.subtract(ends[far]!)
            for e in candidateEvents {
                let n = farEnd(e)
                let keep: Bool
                if !visited[far]!.contains(n) && !ends[far]!.contains(n) {
                    keep = true
                } else if ends[far]!.contains(n) {
                    keep = walk.includeEnding[far] ?? false
                } else {
                    keep = walk.direction != .bidirectional
                }
                if keep, seenEvents.insert(e).inserted { found.events.append(e) }
            }
            try checkpoint()
            if unvisited.isEmpty { break }
            visited[far]!.formUnion(unvisited)
            frontier = unvisited.sorted()
            side = far
            hop += 1
        }
        var artifacts = visited[.artifact]!
        var executions = visited[.execution]!
        if walk.includeEnding[.artifact] ?? false { artifacts.formUnion(ends[.artifact]!) }
        if walk.includeEnding[.execution] ?? false { executions.formUnion(ends[.execution]!) }
        let artifactIDs = g.artifactIDs, executionIDs = g.executionIDs
        found.artifacts = artifacts.sorted { artifactIDs[Int($0)] < artifactIDs[Int($1)] }
        found.executions = executions.sorted { executionIDs[Int($0)] < executionIDs[Int($1)] }
        return found
    }

    /// GetLineageGraph's walk, under this executor's budget, deadline and cancellation
    /// (`QueryAbort`); a filter that does not bind throws its binder's error.
    package func run(_ walk: MLMDLineageGraphWalk) throws -> MLMDLineageFound {
        let g = snapshot
        var bound: [NodeKind: BoundPredicate] = [:]
        var found = MLMDLineageFound(artifacts: walk.start)
        var quota = walk.quota
        var visited: [NodeKind: Set<Int32>] = [.artifact: [], .execution: []]
        var frontier = walk.start
        var side = NodeKind.artifact
        var hop: Int64 = 0
        while hop < walk.maxHops && quota > 0 && !frontier.isEmpty {
            let far: NodeKind = side == .artifact ? .execution : .artifact
            let fromArtifact = side == .artifact
            visited[side]!.formUnion(frontier)
            var adjacent: [Int32] = []
            for n in frontier {
                try visit()
                adjacent += fromArtifact ? g.artifactEvents.items(n) : g.executionEvents.items(n)
            }
            func farEnd(_ e: Int32) -> Int32 { fromArtifact ? g.events.executions[Int(e)] : g.events.artifacts[Int(e)] }
            var unvisited = Set(adjacent.map(farEnd)).subtracting(visited[far]!)
            // As in MLMD, a boundary condition selects the nodes the walk may go on to.
            if let bind = walk.boundary[far], !unvisited.isEmpty {
                let p = try bound[far] ?? bind()
                bound[far] = p
                unvisited = unvisited.filter { evaluator.matches(p, kind: far, index: $0) }
            }
            var next = unvisited.sorted { id(of: NodeRef(far, $0)) < id(of: NodeRef(far, $1)) }
            if Int64(next.count) > quota { next = Array(next.prefix(Int(quota))) }
            let chosen = Set(next)
            for e in adjacent where chosen.contains(farEnd(e)) { found.events.append(e) }
            try checkpoint()
            if next.isEmpty { break }
            if far == .artifact { found.artifacts += next } else { found.executions += next }
            quota -= Int64(next.count)
            frontier = next
            side = far
            hop += 1
        }
        return found
    }

    /// ml-metadata's FilterEventsByDirectionAndEventType, on a raw event type.
    static func keeps(_ raw: UInt8, fromArtifact: Bool, _ direction: MLMDLineageSubgraphWalk.Direction) -> Bool {
        let type = EventType(rawValue: Int(raw)) ?? .unknown
        switch direction {
        case .upstream: return fromArtifact ? !type.isInput && type != .unknown : type.isInput
        case .downstream: return fromArtifact ? type.isInput : !type.isInput && type != .unknown
        case .bidirectional: return true
        }
    }
}
