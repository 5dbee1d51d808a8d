internal import CSQLite

/// SQLite's `SQLITE_TRANSIENT`, which Swift does not import.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One SQLite connection with a prepared-statement cache.
///
/// Not thread-safe by itself: the owner serialises every use (see `SQLiteBox`).
package final class SQLiteConnection {
    package enum Mode: Sendable { case readOnly, readWrite, readWriteCreate }

    private var handle: OpaquePointer?
    private var cache: [String: OpaquePointer] = [:]
    /// Statements kept by slot (see `withStatement(_:)`): found by index, not by hashing their text.
    private var slots: [OpaquePointer?] = []
    package let path: String

    package init(path: String, mode: Mode) throws(SQLiteError) {
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
            let error = SQLiteError(
                code: rc, extendedCode: db.map { sqlite3_extended_errcode($0) } ?? rc,
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
        for (_, statement) in cache { sqlite3_finalize(statement) }
        cache.removeAll()
        for case let statement? in slots { sqlite3_finalize(statement) }
        slots.removeAll()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    private func error(_ rc: Int32, sql: String?) -> SQLiteError {
        SQLiteError(
            code: rc & 0xff, extendedCode: rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    /// Runs one or more statements that return no rows.
    package func execute(_ sql: String) throws(SQLiteError) {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        if rc != SQLITE_OK { throw error(rc, sql: sql) }
    }

    /// Runs `body` with the cached prepared statement for `sql`, reset and unbound afterwards.
    package func withStatement<T>(
        _ sql: String, _ body: (inout Statement) throws(SQLiteError) -> T
    ) throws(SQLiteError) -> T {
        let raw: OpaquePointer
        if let cached = cache[sql] {
            raw = cached
        } else {
            var prepared: OpaquePointer?
            let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
            guard rc == SQLITE_OK, let prepared else { throw error(rc, sql: sql) }
            cache[sql] = prepared
            raw = prepared
        }
        var statement = Statement(raw: raw, sql: sql, connection: self)
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
        _ slot: StatementSlot, _ body: (inout Statement) throws(SQLiteError) -> T
    ) throws(SQLiteError) -> T {
        let raw: OpaquePointer
        if slot.index < slots.count, let prepared = slots[slot.index] {
            raw = prepared
        } else {
            var prepared: OpaquePointer?
            let rc = sqlite3_prepare_v3(handle, slot.sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
            guard rc == SQLITE_OK, let prepared else { throw error(rc, sql: slot.sql) }
            if slot.index >= slots.count { slots.append(contentsOf: repeatElement(nil, count: slot.index + 1 - slots.count)) }
            slots[slot.index] = prepared
            raw = prepared
        }
        var statement = Statement(raw: raw, sql: slot.sql, connection: self)
        defer { sqlite3_reset(raw) }
        return try body(&statement)
    }

    /// Runs `sql` with `arguments`, for statements that return no rows.
    package func run(_ sql: String, _ arguments: [SQLValue] = []) throws(SQLiteError) {
        try withStatement(sql) { (statement: inout Statement) throws(SQLiteError) in
            try statement.bind(arguments)
            while try statement.step() {}
        }
    }

    /// Runs a query and calls `row` for every result row.
    package func query(
        _ sql: String, _ arguments: [SQLValue] = [], row: (borrowing Row) throws(SQLiteError) -> Void
    ) throws(SQLiteError) {
        try withStatement(sql) { (statement: inout Statement) throws(SQLiteError) in
            try statement.bind(arguments)
            while try statement.step() { try row(Row(raw: statement.raw)) }
        }
    }

    /// The first column of the first row, if any.
    package func scalar(_ sql: String, _ arguments: [SQLValue] = []) throws(SQLiteError) -> SQLValue? {
        var result: SQLValue?
        try query(sql, arguments) { (row: borrowing Row) in
            if result == nil { result = row.value(0) }
        }
        return result
    }

    package var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    package var changes: Int { Int(sqlite3_changes(handle)) }
    package var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction; commits if it returns, rolls back if it throws.
    package func transaction<T, E: Error>(_ body: () throws(E) -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            if isInTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }

    fileprivate func bindError(_ rc: Int32, sql: String) -> SQLiteError { error(rc, sql: sql) }

    fileprivate func bind(_ value: SQLValue, at index: Int32, raw: OpaquePointer) -> Int32 {
        switch value {
        case .null: return sqlite3_bind_null(raw, index)
        case .integer(let v): return sqlite3_bind_int64(raw, index, v)
        case .real(let v): return sqlite3_bind_double(raw, index, v)
        case .text(let v): return sqlite3_bind_text(raw, index, v, -1, transient)
        case .blob(let v):
            return v.withUnsafeBytes { sqlite3_bind_blob(raw, index, $0.baseAddress, Int32($0.count), transient) }
        }
    }
}

/// A value as SQLite stores it.
package enum SQLValue: Hashable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    package init(_ value: String?) { self = value.map { .text($0) } ?? .null }
    package init(_ value: Int64?) { self = value.map { .integer($0) } ?? .null }
    package init(_ value: Int?) { self = value.map { .integer(Int64($0)) } ?? .null }

    package var int64: Int64? {
        switch self {
        case .integer(let v): v
        case .real(let v): Int64(exactly: v)
        case .text(let s): Int64(s)
        case .null, .blob: nil
        }
    }

    package var string: String? {
        switch self {
        case .text(let s): s
        case .integer(let v): String(v)
        case .real(let v): String(v)
        case .blob(let b): String(decoding: b, as: UTF8.self)
        case .null: nil
        }
    }

    package var isNull: Bool { self == .null }
}

/// A statement kept by a connection under a fixed index (`SQLiteConnection.withStatement(_:)`).
/// Each slot's index names one SQL text for the whole program: the owner of the slots (say, a
/// table writer) numbers its statements densely from 0 and never reuses an index for other text.
package struct StatementSlot: Sendable {
    package let index: Int
    package let sql: String

    package init(_ index: Int, _ sql: String) {
        self.index = index
        self.sql = sql
    }
}

/// A prepared statement in use; only reachable inside `withStatement`.
package struct Statement {
    fileprivate let raw: OpaquePointer
    package let sql: String
    fileprivate unowned let connection: SQLiteConnection

    package mutating func bind(_ arguments: [SQLValue]) throws(SQLiteError) {
        for (offset, value) in arguments.enumerated() {
            let rc = connection.bind(value, at: Int32(offset + 1), raw: raw)
            if rc != SQLITE_OK { throw connection.bindError(rc, sql: sql) }
        }
    }

    // Typed binds (parameters count from 1), for statements run once per row: no `SQLValue`.

    package mutating func bind(_ index: Int32, _ value: Int64) throws(SQLiteError) {
        try check(sqlite3_bind_int64(raw, index, value))
    }

    package mutating func bind(_ index: Int32, _ value: Int64?) throws(SQLiteError) {
        try check(value.map { sqlite3_bind_int64(raw, index, $0) } ?? sqlite3_bind_null(raw, index))
    }

    package mutating func bind(_ index: Int32, _ value: Double) throws(SQLiteError) {
        try check(sqlite3_bind_double(raw, index, value))
    }

    package mutating func bind(_ index: Int32, _ value: String?) throws(SQLiteError) {
        guard var value else { return try check(sqlite3_bind_null(raw, index)) }
        // Native strings are contiguous UTF-8: bound with their length, copied once by SQLite.
        let raw = self.raw
        let rc = value.withUTF8 { bytes -> Int32 in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return sqlite3_bind_text(raw, index, "", 0, transient) }
            return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                sqlite3_bind_text(raw, index, $0, Int32(bytes.count), transient)
            }
        }
        try check(rc)
    }

    package mutating func bindNull(_ index: Int32) throws(SQLiteError) {
        try check(sqlite3_bind_null(raw, index))
    }

    /// Steps a statement that returns no rows to its end.
    package mutating func execute() throws(SQLiteError) {
        let rc = sqlite3_step(raw)
        if rc == SQLITE_DONE { return }
        if rc == SQLITE_ROW { while try step() {} ; return }
        throw connection.bindError(rc, sql: sql)
    }

    private func check(_ rc: Int32) throws(SQLiteError) {
        if rc != SQLITE_OK { throw connection.bindError(rc, sql: sql) }
    }

    /// Advances; true while a row is available.
    package mutating func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(raw)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw connection.bindError(rc, sql: sql)
    }

    package var row: Row { Row(raw: raw) }
}

/// The current row of a statement.
package struct Row: ~Copyable {
    fileprivate let raw: OpaquePointer

    package var columnCount: Int { Int(sqlite3_column_count(raw)) }

    package func isNull(_ column: Int32) -> Bool { sqlite3_column_type(raw, column) == SQLITE_NULL }

    package func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(raw, column) }

    package func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }

    package func double(_ column: Int32) -> Double { sqlite3_column_double(raw, column) }

    package func string(_ column: Int32) -> String? {
        guard let text = sqlite3_column_text(raw, column) else { return nil }
        let count = Int(sqlite3_column_bytes(raw, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    package func bytes(_ column: Int32) -> [UInt8]? {
        let type = sqlite3_column_type(raw, column)
        if type == SQLITE_NULL { return nil }
        let count = Int(sqlite3_column_bytes(raw, column))
        guard count > 0, let pointer = sqlite3_column_blob(raw, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    package func value(_ column: Int32) -> SQLValue {
        switch sqlite3_column_type(raw, column) {
        case SQLITE_INTEGER: .integer(int64(column))
        case SQLITE_FLOAT: .real(double(column))
        case SQLITE_TEXT: .text(string(column) ?? "")
        case SQLITE_BLOB: .blob(bytes(column) ?? [])
        default: .null
        }
    }
}
