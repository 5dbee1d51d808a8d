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
            // ones such as other followers' reads), of sessions on this database or none;
            // second resolution, rounded down.
            let asked = Result { () throws(DatabaseError) -> [Int64?]? in
                try row(
                    "SELECT CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED), (SELECT CAST(UNIX_TIMESTAMP(min(trx_started)) * 1000 AS SIGNED) FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id <> CONNECTION_ID() AND trx_is_read_only = 0 AND trx_mysql_thread_id IN (SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE() OR DB IS NULL))")
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

    /// Brings the position's deletion log entry up to date: the latest purge (a tombstone only
    /// updates nodes, which a round reads as it reads any update).
    private func readDeletions(into position: inout MLMDPosition) throws {
        if !position.hasDeletionLog { position.hasDeletionLog = try hasDeletionLog() }
        guard position.hasDeletionLog else { return }
        position.deletions = try db.scalar("SELECT COALESCE(max(id), 0) FROM \(Self.deletionLog) WHERE mode = 'purge'")?.int64 ?? 0
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
        try readDeletions(into: &position)
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

    /// `column` beyond what `position` holds of `table`: above its highest (parameter `?1`), or in
    /// one of its gaps (two parameters per gap, after `?1` and the caller's `extra` parameters).
    /// The number of gap terms is rounded up to a few sizes (the last gap repeated), so that the
    /// statement texts, each prepared once per connection, stay few. Returns the condition and
    /// all its parameters.
    private static func unseen(
        _ table: MLMDIDTable, column: String = "id", in position: MLMDPosition, then extra: [SQLValue] = []
    ) -> (sql: String, arguments: [SQLValue]) {
        var sql = column + " > ?1"
        var arguments: [SQLValue] = [.integer(position.highest[table.rawValue])] + extra
        let gaps = position.gaps[table.rawValue]
        guard let last = gaps.last else { return (sql, arguments) }
        let slots = [4, 16, 64, MLMDPosition.maxGapRanges].first { $0 >= gaps.count } ?? gaps.count
        for i in 0..<slots {
            let gap = i < gaps.count ? gaps[i] : last
            sql += " OR \(column) BETWEEN ?\(arguments.count + 1) AND ?\(arguments.count + 2)"
            arguments += [.integer(gap.first), .integer(gap.last)]
        }
        return (sql, arguments)
    }

    /// Rows fetched by id, this many to a statement (the list padded with its last id).
    static let idsPerStatement = 64

    /// `ids` in statement-sized lists of parameters `?1...`, each padded to the full size.
    private static func idLists(_ ids: [Int64]) -> [[SQLValue]] {
        stride(from: 0, to: ids.count, by: idsPerStatement).map { start in
            let chunk = ids[start..<min(start + idsPerStatement, ids.count)]
            return (0..<idsPerStatement).map { .integer(chunk[min(chunk.startIndex + $0, chunk.endIndex - 1)]) }
        }
    }

    private static let idParameters = (1...idsPerStatement).map { "?\($0)" }.joined(separator: ", ")

    /// Everything committed beyond `since`, read in the caller's transaction. The horizon is taken
    /// first; then the edges, the nodes and the types, in that order, so that under READ COMMITTED
    /// (a write on PostgreSQL) every node an edge names and every type a node has is read too.
    /// Nodes are those inserted beyond the position or updated since its update window began.
    /// `parentContextCount` is how many parent-context links the reader holds.
    package func changes(
        since: MLMDPosition, parentContextCount: Int, readTime: Int64, isHeld: (MLMDIDTable, Int64, Int64?) -> Bool
    ) throws -> MLMDChanges {
        let horizon = try horizon(now: readTime, previous: since.horizon.source)
        var changes = MLMDChanges(position: since)
        changes.position.dataVersion = try dataVersion()
        try readDeletions(into: &changes.position)
        changes.deleted = changes.position.deletions != since.deletions

        // Events and their paths (paths are written with their event, in the same transaction).
        var events: [Int64: Int] = [:]
        let eventFilter = Self.unseen(.event, in: since)
        try db.query(
            "SELECT id, artifact_id, execution_id, type, milliseconds_since_epoch FROM Event WHERE \(eventFilter.sql) ORDER BY id",
            eventFilter.arguments
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
            let pathFilter = Self.unseen(.event, column: "event_id", in: since)
            let steps = try eventPathSteps(where: pathFilter.sql, pathFilter.arguments)
            for (event, step) in zip(steps.events, steps.steps) {
                if let i = events[event] { changes.events[i].event.path.append(step) }
            }
        }
        let attributionFilter = Self.unseen(.attribution, in: since)
        try db.query(
            "SELECT id, context_id, artifact_id FROM Attribution WHERE \(attributionFilter.sql) ORDER BY id",
            attributionFilter.arguments
        ) { (row: borrowing Row) in
            changes.attributions.append((row.int64(0), Attribution(contextID: ContextID(row.int64(1)), artifactID: ArtifactID(row.int64(2)))))
        }
        let associationFilter = Self.unseen(.association, in: since)
        try db.query(
            "SELECT id, context_id, execution_id FROM Association WHERE \(associationFilter.sql) ORDER BY id",
            associationFilter.arguments
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
        changes.artifacts = try changedNodes(.artifact, since: since, updatedSince: updatedSince, isHeld: isHeld)
        changes.executions = try changedNodes(.execution, since: since, updatedSince: updatedSince, isHeld: isHeld)
        changes.contexts = try changedNodes(.context, since: since, updatedSince: updatedSince, isHeld: isHeld)
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

    /// The nodes of one kind inserted beyond `since`, or updated at or after `updatedSince` and not
    /// as the reader holds them (`isHeld(table, id, last_update_time)`), in id order, with their
    /// properties. Two steps: the ids and update times of the candidates (an index range), then
    /// the rows and properties of those the reader lacks, by id. A write re-reads only what
    /// changed, however many nodes the window holds.
    private func changedNodes<N: MLMDNodeRow>(
        _ kind: MLMDIDTable, since: MLMDPosition, updatedSince: Int64, isHeld: (MLMDIDTable, Int64, Int64?) -> Bool
    ) throws -> [(id: N.ID, node: N)] {
        let table = N.table
        let filter = Self.unseen(kind, in: since, then: [.integer(updatedSince)])
        var wanted: [Int64] = []
        try db.query(
            "SELECT id, last_update_time_since_epoch FROM \(table.name) WHERE \(filter.sql) OR last_update_time_since_epoch >= ?2",
            filter.arguments
        ) { (row: borrowing Row) in
            let id = row.int64(0)
            if !isHeld(kind, id, row.optionalInt64(1)) { wanted.append(id) }
        }
        guard !wanted.isEmpty else { return [] }
        wanted.sort()
        var nodes: [(id: N.ID, node: N)] = []
        var slot: [Int64: Int] = [:]
        for ids in Self.idLists(wanted) {
            try db.query("SELECT \(table.columns.joined(separator: ", ")) FROM \(table.name) WHERE id IN (\(Self.idParameters))", ids) {
                (row: borrowing Row) in
                guard slot[row.int64(0)] == nil else { return }
                slot[row.int64(0)] = nodes.count
                nodes.append((N.ID(row.int64(0)), N(row: row)))
            }
            try db.query("SELECT \(Self.propertyColumns(table)) FROM \(table.propertyTable) WHERE \(table.owner) IN (\(Self.idParameters))", ids) {
                (row: borrowing Row) in
                guard let i = slot[row.int64(0)], let name = row.string(1), let value = Self.decodeValue(row) else { return }
                if row.int64(2) != 0 { nodes[i].node.customProperties[name] = value } else { nodes[i].node.properties[name] = value }
            }
        }
        // In id order; a row updated between the two steps may be read as of the later one, which
        // the next round's window then finds again.
        return nodes.sorted { $0.id < $1.id }
    }
}
