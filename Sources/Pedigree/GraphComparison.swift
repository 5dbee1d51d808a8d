/// Compares two snapshots record by record: `check` uses it to compare the live graph with one
/// freshly built from the database.
enum GraphComparison {
    static func differences(_ live: GraphSnapshot, _ fresh: GraphSnapshot, limit: Int = 20) -> [String] {
        var out: [String] = []
        func note(_ s: String) { if out.count < limit { out.append(s) } }

        if live.types != fresh.types { note("types differ: graph has \(live.types.count), database \(fresh.types.count)") }
        let (a, b) = (live.statistics, fresh.statistics)
        if a.nodesByType.filter({ $0.value != 0 }) != b.nodesByType.filter({ $0.value != 0 })
            || a.artifactsByState != b.artifactsByState || a.executionsByState != b.executionsByState
        {
            note("statistics differ: graph \(a), database \(b)")
        }
        for state in [nil] + ArtifactState.allCases.map(Optional.some)
        where live.artifactIndices(state: state).count != a.artifacts(in: state) {
            note("the state index of \(state?.description ?? "unset") artifacts disagrees with its count")
        }
        for state in [nil] + ExecutionState.allCases.map(Optional.some)
        where live.executionIndices(state: state).count != a.executions(in: state) {
            note("the state index of \(state?.description ?? "unset") executions disagrees with its count")
        }
        compareNodes(live.artifacts, fresh.artifacts, "artifact", note)
        compareNodes(live.executions, fresh.executions, "execution", note)
        compareNodes(live.contexts, fresh.contexts, "context", note)

        let liveEvents = Set((0..<live.events.count).map { EventKey(live.events.rowIDs[$0], live.event($0)) } + live.orphanEvents.map { EventKey($0.rowID, $0.event) })
        let freshEvents = Set((0..<fresh.events.count).map { EventKey(fresh.events.rowIDs[$0], fresh.event($0)) } + fresh.orphanEvents.map { EventKey($0.rowID, $0.event) })
        for e in liveEvents.subtracting(freshEvents).prefix(5) { note("event \(e.rowID) is in the graph but not in the database") }
        for e in freshEvents.subtracting(liveEvents).prefix(5) { note("event \(e.rowID) is in the database but not in the graph") }

        // Adjacency must agree with the event list, both ways.
        let ev = live.events
        for i in 0..<ev.count {
            let a = ev.artifacts[i], x = ev.executions[i], rowID = ev.rowIDs[i], type = ev.types[i]
            if !live.artifactEvents.items(a).contains(Int32(i)) { note("event \(rowID) missing from its artifact's adjacency") }
            if !live.executionEvents.items(x).contains(Int32(i)) { note("event \(rowID) missing from its execution's adjacency") }
            if let far = neighbour(of: Int32(i), in: live.artifactEvents.items(a), live.artifactNeighbours.items(a)),
                far != GraphSnapshot.neighbour(x, type)
            {
                note("event \(rowID): its artifact's neighbour list disagrees with the event")
            }
            if let far = neighbour(of: Int32(i), in: live.executionEvents.items(x), live.executionNeighbours.items(x)),
                far != GraphSnapshot.neighbour(a, type)
            {
                note("event \(rowID): its execution's neighbour list disagrees with the event")
            }
        }
        if live.artifactNeighbours.itemCount != live.events.count || live.executionNeighbours.itemCount != live.events.count {
            note("neighbour lists hold \(live.artifactNeighbours.itemCount)/\(live.executionNeighbours.itemCount) entries for \(live.events.count) events")
        }
        if live.artifactEvents.itemCount != live.events.count || live.executionEvents.itemCount != live.events.count {
            note("event adjacency holds \(live.artifactEvents.itemCount)/\(live.executionEvents.itemCount) entries for \(live.events.count) events")
        }

        // Membership and parent adjacency must agree with the rows, both ways.
        for r in live.attributions where !live.contextArtifacts.items(r.context).contains(r.member) || !live.artifactContexts.items(r.member).contains(r.context) {
            note("attribution \(r.rowID) missing from the adjacency")
        }
        for r in live.associations where !live.contextExecutions.items(r.context).contains(r.member) || !live.executionContexts.items(r.member).contains(r.context) {
            note("association \(r.rowID) missing from the adjacency")
        }
        if live.contextArtifacts.itemCount != live.attributions.count || live.artifactContexts.itemCount != live.attributions.count
            || live.contextExecutions.itemCount != live.associations.count || live.executionContexts.itemCount != live.associations.count
            || live.contextParents.itemCount != live.parentContexts.count || live.contextChildren.itemCount != live.parentContexts.count
        {
            note("membership adjacency sizes disagree with the attribution, association and parent rows")
        }

        func members(_ g: GraphSnapshot, _ records: ChunkedArray<MembershipRecord>, kind: NodeKind) -> Set<[Int64]> {
            Set(records.map { r in
                let member: Int64 =
                    switch kind {
                    case .artifact: g.artifacts[Int(r.member)].id!.rawValue
                    case .execution: g.executions[Int(r.member)].id!.rawValue
                    case .context: g.contexts[Int(r.member)].id!.rawValue
                    }
                return [r.rowID, g.contexts[Int(r.context)].id!.rawValue, member]
            })
        }
        if members(live, live.attributions, kind: .artifact) != members(fresh, fresh.attributions, kind: .artifact) {
            note("attributions differ between graph and database")
        }
        if members(live, live.associations, kind: .execution) != members(fresh, fresh.associations, kind: .execution) {
            note("associations differ between graph and database")
        }
        if Set(live.parentContexts) != Set(fresh.parentContexts) { note("parent contexts differ between graph and database") }
        return out
    }

    private struct EventKey: Hashable {
        var rowID: Int64
        var event: Event
        init(_ rowID: Int64, _ event: Event) {
            self.rowID = rowID
            self.event = event
        }
    }

    private static func compareNodes<N: StoredNode>(
        _ live: NodeTable<N>, _ fresh: NodeTable<N>, _ kind: String, _ note: (String) -> Void
    ) {
        if live.count != fresh.count { note("\(kind) count: graph \(live.count), database \(fresh.count)") }
        var byID: [N.ID: N] = [:]
        for n in fresh { byID[n.id!] = n }
        var reported = 0
        for n in live where reported < 5 {
            guard let f = byID[n.id!] else {
                note("\(kind) \(n.id!) is in the graph but not in the database")
                reported += 1
                continue
            }
            if !n.isSameRecord(as: f) {
                note("\(kind) \(n.id!) differs between graph and database")
                reported += 1
            }
        }
    }
}

/// The neighbour item at the position of `event` in a node's event list.
private func neighbour(of event: Int32, in events: ArraySlice<Int32>, _ neighbours: ArraySlice<Int32>) -> Int32? {
    guard events.count == neighbours.count, let at = events.firstIndex(of: event) else { return nil }
    return neighbours[neighbours.startIndex + events.distance(from: events.startIndex, to: at)]
}
