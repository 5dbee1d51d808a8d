package import PedigreeModel

/// How far a reader has followed an MLMD file: SQLite's `data_version` as of its last read, the
/// highest row id it holds of each insert-only table and node table, and when that read began.
///
/// MLMD's ids are `INTEGER PRIMARY KEY AUTOINCREMENT` and SQLite commits one writer at a time, so
/// ids grow in commit order: the rows inserted after a position are exactly those with higher ids.
/// Updates are found by `last_update_time_since_epoch` (see `MLMDTables.changes`).
package struct MLMDPosition: Sendable, Equatable {
    /// `PRAGMA data_version` inside the read that reached this position; it changes when another
    /// connection commits.
    package var dataVersion: Int64
    package var artifactID: Int64
    package var executionID: Int64
    package var contextID: Int64
    package var eventID: Int64
    package var attributionID: Int64
    package var associationID: Int64
    /// Milliseconds since the epoch, taken just before the read transaction began.
    package var readTime: Int64
}

/// What a file holds beyond a position: every type as stored now; the nodes inserted since, or
/// updated within the window, with all their properties; the edges inserted since; and every
/// parent-context link when their number differs from what the reader holds (the table has no
/// stable id of its own).
package struct MLMDChanges: Sendable {
    package var types: [(id: TypeID, type: NodeType)] = []
    package var artifacts: [(id: ArtifactID, node: Artifact)] = []
    package var executions: [(id: ExecutionID, node: Execution)] = []
    package var contexts: [(id: ContextID, node: Context)] = []
    package var events: [(rowID: Int64, event: Event)] = []
    package var attributions: [(rowID: Int64, attribution: Attribution)] = []
    package var associations: [(rowID: Int64, association: Association)] = []
    /// nil when the table holds as many links as the reader; otherwise the whole table.
    package var parentContexts: [ParentContext]?
    /// The position these changes bring the reader to.
    package var position: MLMDPosition
}

extension MLMDTables {
    /// A number that differs once another connection has committed. On SQLite, `PRAGMA
    /// data_version` (unchanged by this connection's own commits); on a server, a fingerprint of
    /// the highest ids, the latest update times and the counts of the tables without ids, which
    /// this connection's own commits change too (the catch-up then finds its rows already held).
    package func dataVersion() throws -> Int64 {
        guard db.engine != .sqlite else { return try db.scalar("PRAGMA data_version")?.int64 ?? 0 }
        var fingerprint = Hasher()
        try db.query(Self.serverFingerprint) { (row: borrowing Row) in
            for column in 0..<Int32(row.columnCount) { fingerprint.combine(row.optionalInt64(column)) }
        }
        return Int64(fingerprint.finalize())
    }

    private static let serverFingerprint =
        "SELECT " + ["Artifact", "Execution", "Context"].flatMap {
            ["(SELECT max(id) FROM \($0))", "(SELECT max(last_update_time_since_epoch) FROM \($0))"]
        }.joined(separator: ", ")
        + ", (SELECT max(id) FROM Event), (SELECT count(*) FROM EventPath), (SELECT max(id) FROM Attribution)"
        + ", (SELECT max(id) FROM Association), (SELECT count(*) FROM ParentContext), (SELECT count(*) FROM `Type`)"
        + ", (SELECT count(*) FROM TypeProperty), (SELECT count(*) FROM ParentType)"

    /// The position of what this connection reads now. Call inside the read transaction that
    /// loaded the graph, so that both describe the same commit.
    package func position(readTime: Int64) throws -> MLMDPosition {
        func max(_ table: String) throws -> Int64 { try db.scalar("SELECT max(id) FROM \(table)")?.int64 ?? 0 }
        return MLMDPosition(
            dataVersion: try dataVersion(), artifactID: try max("Artifact"), executionID: try max("Execution"),
            contextID: try max("Context"), eventID: try max("Event"), attributionID: try max("Attribution"),
            associationID: try max("Association"), readTime: readTime)
    }

    /// Everything committed beyond `since`, read in the caller's transaction (one commit point).
    /// Nodes are those with an id above the position or a `last_update_time_since_epoch` at or
    /// after `updatedSince` (the caller's window, which overlaps the previous read so that a
    /// transaction that stamped its update before that read but committed after it is not missed).
    /// `parentContextCount` is how many parent-context links the reader holds.
    package func changes(since: MLMDPosition, updatedSince: Int64, parentContextCount: Int, readTime: Int64) throws -> MLMDChanges {
        var changes = MLMDChanges(position: try position(readTime: readTime))
        changes.types = try loadTypes()
        changes.artifacts = try changedNodes(after: since.artifactID, updatedSince: updatedSince)
        changes.executions = try changedNodes(after: since.executionID, updatedSince: updatedSince)
        changes.contexts = try changedNodes(after: since.contextID, updatedSince: updatedSince)

        // Events and their paths (paths are written with their event, in the same transaction).
        var paths: [Int64: [EventStep]] = [:]
        let steps = try eventPathSteps(after: since.eventID)
        for (event, step) in zip(steps.events, steps.steps) { paths[event, default: []].append(step) }
        try db.query(
            "SELECT id, artifact_id, execution_id, type, milliseconds_since_epoch FROM Event WHERE id > ? ORDER BY id",
            [.integer(since.eventID)]
        ) { (row: borrowing Row) in
            let rowID = row.int64(0)
            changes.events.append(
                (rowID,
                 Event(
                    artifactID: ArtifactID(row.int64(1)), executionID: ExecutionID(row.int64(2)),
                    type: EventType(rawValue: Int(row.int64(3))) ?? .unknown, path: paths[rowID] ?? [],
                    time: row.optionalInt64(4))))
        }
        try db.query("SELECT id, context_id, artifact_id FROM Attribution WHERE id > ? ORDER BY id", [.integer(since.attributionID)]) {
            (row: borrowing Row) in
            changes.attributions.append((row.int64(0), Attribution(contextID: ContextID(row.int64(1)), artifactID: ArtifactID(row.int64(2)))))
        }
        try db.query("SELECT id, context_id, execution_id FROM Association WHERE id > ? ORDER BY id", [.integer(since.associationID)]) {
            (row: borrowing Row) in
            changes.associations.append((row.int64(0), Association(contextID: ContextID(row.int64(1)), executionID: ExecutionID(row.int64(2)))))
        }
        // ParentContext's only key is (context_id, parent_context_id); its rowids are not stable
        // (VACUUM may renumber them), so a change in the count is what says to read it again.
        if try db.scalar("SELECT count(*) FROM ParentContext")?.int64 != Int64(parentContextCount) {
            var links: [ParentContext] = []
            try db.query("SELECT context_id, parent_context_id FROM ParentContext ORDER BY context_id, parent_context_id") {
                (row: borrowing Row) in
                links.append(ParentContext(childID: ContextID(row.int64(0)), parentID: ContextID(row.int64(1))))
            }
            changes.parentContexts = links
        }
        return changes
    }

    /// The nodes of one kind with an id above `after` or updated at or after `updatedSince`, in
    /// id order, with their properties.
    private func changedNodes<N: MLMDNodeRow>(after: Int64, updatedSince: Int64) throws -> [(id: N.ID, node: N)] {
        let table = N.table
        let bounds: [SQLValue] = [.integer(after), .integer(updatedSince)]
        let rows = "SELECT id FROM \(table.name) WHERE id > ?1 OR last_update_time_since_epoch >= ?2"
        var nodes: [(id: N.ID, node: N)] = []
        var slot: [Int64: Int] = [:]
        try db.query("SELECT \(table.columns.joined(separator: ", ")) FROM \(table.name) WHERE id IN (\(rows)) ORDER BY id", bounds) {
            (row: borrowing Row) in
            slot[row.int64(0)] = nodes.count
            nodes.append((N.ID(row.int64(0)), N(row: row)))
        }
        guard !nodes.isEmpty else { return [] }
        try db.query("SELECT \(Self.propertyColumns(table)) FROM \(table.propertyTable) WHERE \(table.owner) IN (\(rows))", bounds) {
            (row: borrowing Row) in
            guard let i = slot[row.int64(0)], let name = row.string(1), let value = Self.decodeValue(row) else { return }
            if row.int64(2) != 0 { nodes[i].node.customProperties[name] = value } else { nodes[i].node.properties[name] = value }
        }
        return nodes
    }
}
