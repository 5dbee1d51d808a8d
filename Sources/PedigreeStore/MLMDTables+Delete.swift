/// Removing nodes with every row that refers to them (a purge), and the log of applied deletes.
extension MLMDTables {
    /// What a purge removes: nodes, and event, attribution and association rows, by id.
    package struct PurgeSet: Sendable {
        package var artifacts: [Int64]
        package var executions: [Int64]
        package var contexts: [Int64]
        package var events: [Int64]
        package var attributions: [Int64]
        package var associations: [Int64]

        package init(
            artifacts: [Int64], executions: [Int64], contexts: [Int64], events: [Int64], attributions: [Int64], associations: [Int64]
        ) {
            self.artifacts = artifacts
            self.executions = executions
            self.contexts = contexts
            self.events = events
            self.attributions = attributions
            self.associations = associations
        }
    }

    /// The rows a purge removed, by table.
    package struct PurgeCounts: Sendable, Equatable {
        package var artifacts = 0, executions = 0, contexts = 0
        package var events = 0, eventPathSteps = 0, attributions = 0, associations = 0, parentContexts = 0
        package var properties = 0

        package init() {}
    }

    /// Deletes the rows of `set` in the caller's transaction: the events' paths, the events,
    /// attributions and associations (by id: the caller found those that name its nodes), the
    /// parent-context links at either end of its contexts, the nodes' properties, then the nodes.
    /// Returns what each table lost.
    package func purge(_ set: PurgeSet) throws -> PurgeCounts {
        var counts = PurgeCounts()
        func delete(_ sql: String, _ ids: [Int64]) throws -> Int {
            var removed = 0
            for list in Self.padded(ids) {
                try db.withStatement(sql.replacingOccurrences(of: "(?)", with: "(\(Self.purgeParameters))")) {
                    (s: inout Statement) throws(DatabaseError) in
                    try s.bind(list)
                    removed += try s.executeCountingChanges()
                }
            }
            return removed
        }
        counts.eventPathSteps = try delete("DELETE FROM EventPath WHERE event_id IN (?)", set.events)
        counts.events = try delete("DELETE FROM Event WHERE id IN (?)", set.events)
        counts.attributions = try delete("DELETE FROM Attribution WHERE id IN (?)", set.attributions)
        counts.associations = try delete("DELETE FROM Association WHERE id IN (?)", set.associations)
        counts.parentContexts += try delete("DELETE FROM ParentContext WHERE context_id IN (?)", set.contexts)
        counts.parentContexts += try delete("DELETE FROM ParentContext WHERE parent_context_id IN (?)", set.contexts)
        counts.properties += try delete("DELETE FROM ArtifactProperty WHERE artifact_id IN (?)", set.artifacts)
        counts.properties += try delete("DELETE FROM ExecutionProperty WHERE execution_id IN (?)", set.executions)
        counts.properties += try delete("DELETE FROM ContextProperty WHERE context_id IN (?)", set.contexts)
        counts.artifacts = try delete("DELETE FROM Artifact WHERE id IN (?)", set.artifacts)
        counts.executions = try delete("DELETE FROM Execution WHERE id IN (?)", set.executions)
        counts.contexts = try delete("DELETE FROM Context WHERE id IN (?)", set.contexts)
        return counts
    }

    /// Ids bound to one purge statement (the list padded with its last id, so that each statement
    /// has one text).
    static let idsPerPurge = 256

    private static let purgeParameters = (1...idsPerPurge).map { "?\($0)" }.joined(separator: ", ")

    private static func padded(_ ids: [Int64]) -> [[SQLValue]] {
        stride(from: 0, to: ids.count, by: idsPerPurge).map { start in
            let chunk = ids[start..<min(start + idsPerPurge, ids.count)]
            return (0..<idsPerPurge).map { .integer(chunk[min(chunk.startIndex + $0, chunk.endIndex - 1)]) }
        }
    }

    // MARK: The deletion log

    /// The log of applied deletes: a table of Pedigree's own beside MLMD's (ml-metadata ignores
    /// it). Other servers on the same database read its highest id to learn that rows were
    /// removed.
    package static let deletionLog = "PedigreeDeletion"

    /// One applied delete, as logged.
    package struct DeletionRecord: Sendable {
        package var time: Int64
        package var actor: String
        package var mode: String
        package var query: String
        package var token: String
        /// The counts, as JSON.
        package var summary: String

        package init(time: Int64, actor: String, mode: String, query: String, token: String, summary: String) {
            self.time = time
            self.actor = actor
            self.mode = mode
            self.query = query
            self.token = token
            self.summary = summary
        }
    }

    /// Creates the log if it does not exist. Outside a transaction: MySQL commits the open one
    /// at a CREATE TABLE.
    package func createDeletionLog() throws {
        let id =
            switch db.engine {
            case .sqlite: "id INTEGER PRIMARY KEY AUTOINCREMENT"
            case .mysql: "id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY"
            case .postgresql: "id BIGSERIAL PRIMARY KEY"
            }
        let text = db.engine == .mysql ? "MEDIUMTEXT" : "TEXT"
        try db.execute(
            "CREATE TABLE IF NOT EXISTS \(Self.deletionLog) (\(id), time_since_epoch BIGINT NOT NULL, actor \(text), mode \(text), query_text \(text), token \(text), summary \(text))")
    }

    /// Whether the log exists.
    package func hasDeletionLog() throws -> Bool {
        let sql =
            switch db.engine {
            case .sqlite: "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '\(Self.deletionLog)'"
            case .mysql:
                "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '\(Self.deletionLog)'"
            case .postgresql:
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '\(Self.deletionLog.lowercased())'"
            }
        return (try db.scalar(sql)?.int64 ?? 0) > 0
    }

    /// Appends to the log (which must exist) in the caller's transaction; returns the entry's id.
    package func logDeletion(_ record: DeletionRecord) throws -> Int64 {
        try db.run(
            "INSERT INTO \(Self.deletionLog) (time_since_epoch, actor, mode, query_text, token, summary) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            [.integer(record.time), .text(record.actor), .text(record.mode), .text(record.query), .text(record.token), .text(record.summary)])
        return try db.lastInsertRowID()
    }

    /// The log, oldest first.
    package func deletions() throws -> [(id: Int64, record: DeletionRecord)] {
        guard try hasDeletionLog() else { return [] }
        var found: [(id: Int64, record: DeletionRecord)] = []
        try db.query("SELECT id, time_since_epoch, actor, mode, query_text, token, summary FROM \(Self.deletionLog) ORDER BY id") {
            (row: borrowing Row) in
            found.append(
                (row.int64(0),
                 DeletionRecord(
                    time: row.int64(1), actor: row.string(2) ?? "", mode: row.string(3) ?? "", query: row.string(4) ?? "",
                    token: row.string(5) ?? "", summary: row.string(6) ?? "")))
        }
        return found
    }
}
