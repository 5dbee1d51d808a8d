@_spi(Engine) internal import PedigreeGraph
internal import PedigreeModel

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
        compareNodes(live.artifacts, fresh.artifacts, "artifact", note)
        compareNodes(live.executions, fresh.executions, "execution", note)
        compareNodes(live.contexts, fresh.contexts, "context", note)

        let liveEvents = Set((0..<live.events.count).map { EventKey(live.events.rowIDs[$0], live.event($0)) } + live.orphanEvents.map { EventKey($0.rowID, $0.event) })
        let freshEvents = Set((0..<fresh.events.count).map { EventKey(fresh.events.rowIDs[$0], fresh.event($0)) } + fresh.orphanEvents.map { EventKey($0.rowID, $0.event) })
        for e in liveEvents.subtracting(freshEvents).prefix(5) { note("event \(e.rowID) is in the graph but not in the database") }
        for e in freshEvents.subtracting(liveEvents).prefix(5) { note("event \(e.rowID) is in the database but not in the graph") }

        // The live graph's own indexes and adjacency must agree with its rows.
        for violation in live.invariantViolations() { note(violation) }

        func members(_ g: GraphSnapshot, _ records: ChunkedArray<MembershipRecord>, kind: NodeKind) -> Set<[Int64]> {
            Set(records.map { r in
                [r.rowID, g.contexts.ids[Int(r.context)], g.ids(kind)[Int(r.member)]]
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
        _ live: NodeStore<N>, _ fresh: NodeStore<N>, _ kind: String, _ note: (String) -> Void
    ) {
        if live.count != fresh.count { note("\(kind) count: graph \(live.count), database \(fresh.count)") }
        var reported = 0
        for i in 0..<Int32(live.count) where reported < 5 {
            let id = live.id(at: i)
            guard let f = fresh.node(id) else {
                note("\(kind) \(id) is in the graph but not in the database")
                reported += 1
                continue
            }
            if !live[Int(i)].isSameRecord(as: f) {
                note("\(kind) \(id) differs between graph and database")
                reported += 1
            }
        }
    }
}
