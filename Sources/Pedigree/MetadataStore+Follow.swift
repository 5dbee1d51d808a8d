internal import PedigreeStore
@_spi(Engine) internal import PedigreeGraph
internal import PedigreeModel

/// Following the file: what other connections commit to it (ml-metadata writing in process, as
/// TFX does, or another Pedigree) becomes part of the graph.
extension MetadataStore {
    /// How far back before the previous read the update window reaches, in milliseconds. MLMD stamps
    /// `last_update_time_since_epoch` inside its transaction, before it commits; a transaction that
    /// stamped an update before one of our reads but committed after it is still found, as long as
    /// it took less than this from stamp to commit.
    static let updateOverlap: Int64 = 10_000

    /// Applies what other connections committed to the file since the graph last caught up, and
    /// publishes it as a new snapshot. Returns whether another connection had committed (and so a
    /// snapshot was published). Cheap when nothing changed: one query (SQLite's `PRAGMA data_version`). A store in
    /// memory has nothing to follow.
    @discardableResult
    public func follow() throws -> Bool {
        try writer.withLock { (w: inout Writer) throws -> Bool in
            guard let db = w.db else { throw MetadataError.failedPrecondition("the store is closed") }
            guard let position = w.position else { return false }
            do {
                let checked = Self.now()
                let version: Int64
                do {
                    version = try MLMDTables(db).dataVersion()
                } catch let error as DatabaseError where error.kind == .unavailable {
                    // The server dropped the connection since the last poll: open it again.
                    try db.reconnect()
                    version = try MLMDTables(db).dataVersion()
                }
                guard version != position.dataVersion else {
                    // Nothing was committed elsewhere before `checked`: the update window can start there.
                    w.position?.readTime = checked
                    return false
                }
                try db.beginRead()
                defer { if db.isInTransaction { try? db.commit() } }
                let (graph, next) = try Self.catchUp(db, graph: published.withLock { $0 }, position: position)
                w.position = next
                guard let graph else { return false }
                publish(graph)
                return true
            } catch let error as DatabaseError {
                throw Self.translate(error, location: path)
            }
        }
    }

    /// Inside a transaction of `db`: if another connection committed since `position`, the graph
    /// brought up to date (nil if nothing changed), and the new position.
    ///
    /// Incremental: every type (types are few), the nodes with ids above the position or updated
    /// within the window, the edges with ids above the position, applied through the same graph
    /// updates as Pedigree's own writes. Rows that are already in the graph as read (Pedigree's
    /// own, or an update that is not one) are skipped, so reading a row twice is harmless. A full
    /// reload instead, in the same transaction, when an incremental update would not be sound:
    /// a type was removed or changed its kind or the kind of a property (the graph's nodes were
    /// read under the old type), an edge names a node that does not exist (the graph keeps such
    /// rows apart, as a full load does), or there are fewer parent-context links than the graph
    /// holds (something was deleted). MLMD never deletes nodes, events or memberships; a deletion
    /// of those by another process is not seen until the store is opened again.
    static func catchUp(
        _ db: any SQLDatabase, graph: GraphSnapshot, position: MLMDPosition
    ) throws -> (GraphSnapshot?, MLMDPosition) {
        let tables = MLMDTables(db)
        let readTime = now()
        guard try tables.dataVersion() != position.dataVersion else {
            var same = position
            same.readTime = readTime
            return (nil, same)
        }
        let changes = try tables.changes(
            since: position, updatedSince: min(position.readTime, readTime) - updateOverlap,
            parentContextCount: graph.parentContexts.count + graph.orphanParentContexts.count, readTime: readTime)
        var next = graph
        if Self.apply(changes, to: &next) { return (next, changes.position) }
        var builder = GraphSnapshot.Builder()
        try tables.load(into: &builder)
        return (builder.finish(), try tables.position(readTime: readTime))
    }

    /// Puts the nodes that differ from the graph's (or are new to it).
    private static func putChanged<N: WritableStoredNode>(_ nodes: [(id: N.ID, node: N)], into graph: inout GraphSnapshot) {
        for (id, node) in nodes where graph.node(id, as: N.self).map({ !$0.isSameRecord(as: node) }) ?? true {
            graph.put(node, id: id)
        }
    }

    /// Applies `changes` to `graph`; false (with `graph` partly updated) when only a full reload is
    /// sound (see `catchUp`).
    static func apply(_ changes: MLMDChanges, to graph: inout GraphSnapshot) -> Bool {
        let stored = Dictionary(uniqueKeysWithValues: changes.types)
        for (id, type) in zip(graph.typeIDs, graph.types) {
            guard let current = stored[id], current.kind == type.kind else { return false }
            for (name, kind) in type.properties where current.properties[name] != kind { return false }
        }
        for (id, type) in changes.types where graph.type(id) != type { graph.putType(type, id: id) }
        putChanged(changes.artifacts, into: &graph)
        putChanged(changes.executions, into: &graph)
        putChanged(changes.contexts, into: &graph)

        for (rowID, event) in changes.events {
            guard let a = event.artifactID.flatMap({ graph.index(of: $0) }), event.executionID.flatMap({ graph.index(of: $0) }) != nil
            else { return false }
            // (artifact, execution, type) is unique in the table: the same triple is this row.
            let present = graph.artifactEvents.items(a).contains { e in
                let known = graph.event(Int(e))
                return known.executionID == event.executionID && known.type == event.type
            }
            if !present { graph.addEvent(rowID: rowID, event) }
        }
        for (rowID, link) in changes.attributions {
            guard let c = graph.index(of: link.contextID), let a = graph.index(of: link.artifactID) else { return false }
            if !graph.contextArtifacts.items(c).contains(a) { graph.addAttribution(rowID: rowID, link) }
        }
        for (rowID, link) in changes.associations {
            guard let c = graph.index(of: link.contextID), let e = graph.index(of: link.executionID) else { return false }
            if !graph.contextExecutions.items(c).contains(e) { graph.addAssociation(rowID: rowID, link) }
        }
        if let links = changes.parentContexts {
            guard links.count >= graph.parentContexts.count + graph.orphanParentContexts.count else { return false }
            for link in links {
                guard let child = graph.index(of: link.childID), let parent = graph.index(of: link.parentID) else { return false }
                if !graph.contextParents.items(child).contains(parent) { graph.addParentContext(link) }
            }
        }
        return true
    }
}

extension MLMDPosition {
    /// Moves past what a write of this connection added between two graphs (`to` extends `from`:
    /// nodes and edges are appended), so that the next catch-up does not read them again.
    mutating func advance(from old: GraphSnapshot, to new: GraphSnapshot) {
        for i in old.artifacts.count..<new.artifacts.count { artifactID = max(artifactID, new.artifactIDs[i]) }
        for i in old.executions.count..<new.executions.count { executionID = max(executionID, new.executionIDs[i]) }
        for i in old.contexts.count..<new.contexts.count { contextID = max(contextID, new.contexts.ids[i]) }
        for i in old.events.count..<new.events.count { eventID = max(eventID, new.events.rowIDs[i]) }
        for i in old.orphanEvents.count..<new.orphanEvents.count { eventID = max(eventID, new.orphanEvents[i].rowID) }
        for i in old.attributions.count..<new.attributions.count { attributionID = max(attributionID, new.attributions[i].rowID) }
        for i in old.orphanAttributions.count..<new.orphanAttributions.count {
            attributionID = max(attributionID, new.orphanAttributions[i].rowID)
        }
        for i in old.associations.count..<new.associations.count { associationID = max(associationID, new.associations[i].rowID) }
        for i in old.orphanAssociations.count..<new.orphanAssociations.count {
            associationID = max(associationID, new.orphanAssociations[i].rowID)
        }
    }
}
