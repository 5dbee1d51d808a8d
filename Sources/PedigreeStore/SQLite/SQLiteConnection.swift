internal import CSQLite

/// One SQLite connection with a prepared-statement cache.
///
/// Not thread-safe by itself: the owner serialises every use.
package final class SQLiteConnection: SQLDatabase {
    package enum Mode: Sendable { case readOnly, readWrite, readWriteCreate }

    private var handle: OpaquePointer?
    private var statements = StatementCache<OpaquePointer>()
    package let path: String
    package var engine: SQLEngine { .sqlite }
    package var location: String { path }

    package init(path: String, mode: Mode) throws(DatabaseError) {
        self.path = path
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        switch mode {
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .readWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        }
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        handle = db
        if rc != SQLITE_OK {
            let error = DatabaseError(
                sqlite: rc, extendedCode: db.map { sqlite3_extended_errcode($0) } ?? rc,
                message: db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open", sql: nil)
            sqlite3_close_v2(db)
            handle = nil
            throw error
        }
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, 5_000)
    }

    deinit { close() }

    package func close() {
        statements.removeAll { sqlite3_finalize($0) }
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    private func error(_ rc: Int32, sql: String?) -> DatabaseError {
        DatabaseError(sqlite: rc & 0xff, extendedCode: rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    /// The error of a failed call on `statement` (its connection holds the message).
    static func error(_ rc: Int32, statement: OpaquePointer, sql: String) -> DatabaseError {
        DatabaseError(sqlite: rc & 0xff, extendedCode: rc, message: String(cString: sqlite3_errmsg(sqlite3_db_handle(statement))), sql: sql)
    }

    /// Runs one or more statements that return no rows.
    package func execute(_ sql: String) throws(DatabaseError) {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        if rc != SQLITE_OK { throw error(rc, sql: sql) }
    }

    /// A statement prepared to be kept for the connection's life.
    private func prepare(_ sql: String) throws(DatabaseError) -> OpaquePointer {
        var prepared: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
        guard rc == SQLITE_OK, let prepared else { throw error(rc, sql: sql) }
        return prepared
    }

    /// Runs `body` with the cached prepared statement for `sql`, reset and unbound afterwards.
    package func withStatement<T>(
        _ sql: String, _ body: (inout Statement) throws(DatabaseError) -> T
    ) throws(DatabaseError) -> T {
        let raw = try statements.value(for: sql, make: prepare)
        var statement = Statement(sqlite: raw, sql: sql)
        defer {
            sqlite3_reset(raw)
            sqlite3_clear_bindings(raw)
        }
        return try body(&statement)
    }

    /// Runs `body` with the statement of `slot`, prepared on first use and kept for the
    /// connection's life: the path of statements run once per row (bulk inserts), which costs no
    /// lookup by SQL text and no argument array. `body` binds every parameter (with the typed
    /// `bind` methods; nil binds NULL) and steps; the statement is reset afterwards, its bindings
    /// left to be overwritten by the next call.
    package func withStatement<T>(
        _ slot: StatementSlot, _ body: (inout Statement) throws(DatabaseError) -> T
    ) throws(DatabaseError) -> T {
        let raw = try statements.value(for: slot, make: prepare)
        var statement = Statement(sqlite: raw, sql: slot.sql)
        defer { sqlite3_reset(raw) }
        return try body(&statement)
    }

    package func lastInsertRowID() -> Int64 { sqlite3_last_insert_rowid(handle) }
    package func noteExplicitID(table: String) {}
    package var changes: Int { Int(sqlite3_changes(handle)) }
    package var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    package func beginRead() throws(DatabaseError) { try execute("BEGIN") }
    package func beginWrite() throws(DatabaseError) { try execute("BEGIN IMMEDIATE") }
    package func commit() throws(DatabaseError) { try execute("COMMIT") }
    package func rollback() { if isInTransaction { try? execute("ROLLBACK") } }
    package func reconnect() {}

    /// What `PRAGMA integrity_check` finds wrong (nothing: an empty list).
    package func integrityProblems() throws(DatabaseError) -> [String] {
        var problems: [String] = []
        try query("PRAGMA integrity_check") { (row: borrowing Row) in
            if let line = row.string(0), line != "ok" { problems.append(line) }
        }
        return problems
    }
}
