internal import PedigreeModel

extension MLMDTables {
    /// A number that differs once another connection has committed: SQLite's `PRAGMA
    /// data_version` (unchanged by this connection's own commits). 0 on a server, which has no
    /// such number: a follower there reads what changed every time.
    package func dataVersion() throws -> Int64 {
        guard db.engine == .sqlite else { return 0 }
        return try db.scalar("PRAGMA data_version")?.int64 ?? 0
    }

    /// The database's transaction horizon now (see `TransactionHorizon`). `previous` is the
    /// source that worked before: a MySQL user without the PROCESS privilege is not asked again.
    package func horizon(now: Int64, previous: TransactionHorizon.Source? = nil) throws -> TransactionHorizon {
        let local = TransactionHorizon(source: .localClock, mark: now, oldestOpen: now - MLMDPosition.assumedLongest)
        switch db.engine {
        case .sqlite:
            return local
        case .postgresql:
            let ids = try row(
                "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
            guard let ids, let oldest = ids[0], let next = ids[1] else { return local }
            return TransactionHorizon(source: .transactionIDs, mark: next, oldestOpen: oldest)
        case .mysql:
            guard previous != .localClock else { return local }
            // Open transactions that may write (not this connection's own, nor declared read-only
            // ones such as other followers' reads); second resolution, rounded down.
            let asked = Result { () throws(DatabaseError) -> [Int64?]? in
                try row(
                    "SELECT CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED), (SELECT CAST(UNIX_TIMESTAMP(min(trx_started)) * 1000 AS SIGNED) FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id <> CONNECTION_ID() AND trx_is_read_only = 0)")
            }
            let times: [Int64?]?
            switch asked {
            case .success(let values): times = values
            case .failure(let error) where error.kind == .unavailable: throw error
            case .failure:
                // Most likely no PROCESS privilege: fall back to the assumed longest transaction.
                return local
            }
            guard let times, let mark = times[0] else { return local }
            return TransactionHorizon(source: .serverClock, mark: mark, oldestOpen: min(mark, times[1] ?? mark))
        }
    }

    /// The integer columns of the first row `sql` returns (nil for NULL), or nil without a row.
    private func row(_ sql: String) throws(DatabaseError) -> [Int64?]? {
        var values: [Int64?]?
        try db.query(sql) { (row: borrowing Row) in
            if values == nil { values = (0..<Int32(row.columnCount)).map { row.optionalInt64($0) } }
        }
        return values
    }

    /// The position of a complete read of the database: `ids` are every id read, by table.
    package func position(afterLoading ids: [[Int64]], horizon: TransactionHorizon, readTime: Int64) throws -> MLMDPosition {
        var position = MLMDPosition(horizon: horizon, readTime: readTime)
        position.dataVersion = try dataVersion()
        for table in MLMDIDTable.allCases {
            // On SQLite ids are handed out in commit order (one writer at a time): what is
            // missing below the highest was deleted, never still to come.
            if db.engine == .sqlite {
                position.highest[table.rawValue] = ids[table.rawValue].max() ?? 0
            } else {
                position.observe(table, ids: ids[table.rawValue])
            }
        }
        return position
    }

    /// `id` beyond what `position` holds of `table`: above its highest, or in one of its gaps.
    /// The highest is parameter `?1`; gaps are written out (they change seldom).
    private static func unseen(_ table: MLMDIDTable, column: String = "id", in position: MLMDPosition) -> String {
        ([column + " > ?1"] + position.gaps[table.rawValue].map { "\(column) BETWEEN \($0.first) AND \($0.last)" })
            .joined(separator: " OR ")
    }

    /// Everything committed beyond `since`, read in the caller's transaction. The horizon is taken
    /// first; then the edges, the nodes and the types, in that order, so that under READ COMMITTED
    /// (a write on PostgreSQL) every node an edge names and every type a node has is read too.
    /// Nodes are those inserted beyond the position or updated since its update window began.
    /// `parentContextCount` is how many parent-context links the reader holds.
    package func changes(since: MLMDPosition, parentContextCount: Int, readTime: Int64) throws -> MLMDChanges {
        let horizon = try horizon(now: readTime, previous: since.horizon.source)
        var changes = MLMDChanges(position: since)
        changes.position.dataVersion = try dataVersion()

        // Events and their paths (paths are written with their event, in the same transaction).
        var events: [Int64: Int] = [:]
        let eventFilter = Self.unseen(.event, in: since)
        try db.query(
            "SELECT id, artifact_id, execution_id, type, milliseconds_since_epoch FROM Event WHERE \(eventFilter) ORDER BY id",
            [.integer(since.highest[MLMDIDTable.event.rawValue])]
        ) { (row: borrowing Row) in
            let rowID = row.int64(0)
            events[rowID] = changes.events.count
            changes.events.append(
                (rowID,
                 Event(
                    artifactID: ArtifactID(row.int64(1)), executionID: ExecutionID(row.int64(2)),
                    type: EventType(rawValue: Int(row.int64(3))) ?? .unknown, path: [], time: row.optionalInt64(4))))
        }
        if !events.isEmpty {
            let steps = try eventPathSteps(where: Self.unseen(.event, column: "event_id", in: since), since.highest[MLMDIDTable.event.rawValue])
            for (event, step) in zip(steps.events, steps.steps) {
                if let i = events[event] { changes.events[i].event.path.append(step) }
            }
        }
        try db.query(
            "SELECT id, context_id, artifact_id FROM Attribution WHERE \(Self.unseen(.attribution, in: since)) ORDER BY id",
            [.integer(since.highest[MLMDIDTable.attribution.rawValue])]
        ) { (row: borrowing Row) in
            changes.attributions.append((row.int64(0), Attribution(contextID: ContextID(row.int64(1)), artifactID: ArtifactID(row.int64(2)))))
        }
        try db.query(
            "SELECT id, context_id, execution_id FROM Association WHERE \(Self.unseen(.association, in: since)) ORDER BY id",
            [.integer(since.highest[MLMDIDTable.association.rawValue])]
        ) { (row: borrowing Row) in
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

        let updatedSince = since.updateWindowStart
        changes.artifacts = try changedNodes(.artifact, since: since, updatedSince: updatedSince)
        changes.executions = try changedNodes(.execution, since: since, updatedSince: updatedSince)
        changes.contexts = try changedNodes(.context, since: since, updatedSince: updatedSince)
        changes.types = try loadTypes()

        changes.position.observe(.artifact, ids: changes.artifacts.lazy.map { Int64($0.id.rawValue) })
        changes.position.observe(.execution, ids: changes.executions.lazy.map { Int64($0.id.rawValue) })
        changes.position.observe(.context, ids: changes.contexts.lazy.map { Int64($0.id.rawValue) })
        changes.position.observe(.event, ids: changes.events.lazy.map(\.rowID))
        changes.position.observe(.attribution, ids: changes.attributions.lazy.map(\.rowID))
        changes.position.observe(.association, ids: changes.associations.lazy.map(\.rowID))
        changes.position.finishRead(horizon: horizon, readTime: readTime)
        return changes
    }

    /// The nodes of one kind inserted beyond `since` or updated at or after `updatedSince`, in id
    /// order, with their properties.
    private func changedNodes<N: MLMDNodeRow>(_ kind: MLMDIDTable, since: MLMDPosition, updatedSince: Int64) throws -> [(id: N.ID, node: N)] {
        let table = N.table
        let bounds: [SQLValue] = [.integer(since.highest[kind.rawValue]), .integer(updatedSince)]
        let rows = "SELECT id FROM \(table.name) WHERE \(Self.unseen(kind, in: since)) OR last_update_time_since_epoch >= ?2"
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
