internal import CSQLite

/// One connection to a database that holds MLMD's schema: an SQLite file or a MySQL or
/// PostgreSQL server. Everything above (`MLMDTables`, the store) speaks to it in one SQL
/// spelling (backquoted identifiers, `?` or `?N` parameters) that each engine translates once per
/// statement text, and reads rows through `Row` whatever the engine.
///
/// Not thread-safe by itself: the owner serialises every use.
package protocol SQLDatabase: AnyObject {
    var engine: SQLEngine { get }
    /// Where the database is, for messages: a path, `:memory:`, or a URL without its password.
    var location: String { get }

    /// Runs one or more statements that take no parameters and return no rows.
    func execute(_ sql: String) throws(DatabaseError)

    /// Runs `body` with the prepared statement for `sql` (kept for the connection's life), reset
    /// and unbound afterwards.
    func withStatement<T>(_ sql: String, _ body: (inout Statement) throws(DatabaseError) -> T) throws(DatabaseError) -> T

    /// Runs `body` with the statement of `slot`: the path of statements run once per row, found by
    /// index rather than by text. `body` binds every parameter and steps.
    func withStatement<T>(_ slot: StatementSlot, _ body: (inout Statement) throws(DatabaseError) -> T) throws(DatabaseError) -> T

    /// The id the last insert without an explicit id was given.
    func lastInsertRowID() throws(DatabaseError) -> Int64
    /// Notes that a row of `table` was inserted with its id given, in the open write transaction
    /// (PostgreSQL then moves the table's id sequence past it before committing).
    func noteExplicitID(table: String)
    var isInTransaction: Bool { get }

    /// Starts a transaction that reads one consistent state of the database.
    func beginRead() throws(DatabaseError)
    /// Starts a write transaction (SQLite takes its write lock at once).
    func beginWrite() throws(DatabaseError)
    func commit() throws(DatabaseError)
    /// Rolls back the open transaction, if any; never throws (a lost connection has none).
    func rollback()
    /// Opens the connection again after the server dropped it (outside a transaction); a no-op
    /// for a file.
    func reconnect() throws(DatabaseError)
    func close()
}

extension SQLDatabase {
    /// Runs `sql` with `arguments`, for statements that return no rows.
    package func run(_ sql: String, _ arguments: [SQLValue] = []) throws(DatabaseError) {
        try withStatement(sql) { (statement: inout Statement) throws(DatabaseError) in
            try statement.bind(arguments)
            while try statement.step() {}
        }
    }

    /// Runs a query and calls `row` for every result row.
    package func query(
        _ sql: String, _ arguments: [SQLValue] = [], row: (borrowing Row) throws(DatabaseError) -> Void
    ) throws(DatabaseError) {
        try withStatement(sql) { (statement: inout Statement) throws(DatabaseError) in
            try statement.bind(arguments)
            while try statement.step() { try row(statement.row) }
        }
    }

    /// The first column of the first row, if any.
    package func scalar(_ sql: String, _ arguments: [SQLValue] = []) throws(DatabaseError) -> SQLValue? {
        var result: SQLValue?
        try query(sql, arguments) { (row: borrowing Row) in
            if result == nil { result = row.value(0) }
        }
        return result
    }

    /// Runs `body` in one write transaction; commits if it returns, rolls back if it throws.
    package func transaction<T, E: Error>(_ body: () throws(E) -> T) throws -> T {
        try beginWrite()
        do {
            let result = try body()
            try commit()
            return result
        } catch {
            rollback()
            throw error
        }
    }
}

/// A value as the database stores it.
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

/// A statement kept by a connection under a fixed index (`SQLDatabase.withStatement(_:)`).
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

/// A server engine's prepared statement: parameters bound as values, rows read as values. Each
/// server connection has its own (`step` runs the statement on its first call after binding).
package protocol ServerStatement: AnyObject {
    var sql: String { get }
    var parameters: [SQLValue] { get set }
    /// The current row, once `step` returned true.
    var row: [SQLValue] { get }
    /// Runs the statement (first call) or moves to the next row; true while a row is available.
    func step() throws(DatabaseError) -> Bool
    /// The rows the latest run inserted, updated or deleted (once it has run).
    var changes: Int { get }
    /// Ends the statement's current run: unread rows are dropped, parameters cleared.
    func reset()
}

extension ServerStatement {
    func set(_ index: Int32, _ value: SQLValue) {
        let i = Int(index) - 1
        if i >= parameters.count { parameters.append(contentsOf: repeatElement(.null, count: i + 1 - parameters.count)) }
        parameters[i] = value
    }
}

/// SQLite's `SQLITE_TRANSIENT`, which Swift does not import.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement in use; only reachable inside `withStatement`.
package struct Statement {
    enum Handle {
        case sqlite(OpaquePointer)
        case server(any ServerStatement)
    }

    let handle: Handle
    package let sql: String

    init(sqlite raw: OpaquePointer, sql: String) {
        handle = .sqlite(raw)
        self.sql = sql
    }

    package init(server: any ServerStatement) {
        handle = .server(server)
        sql = server.sql
    }

    package mutating func bind(_ arguments: [SQLValue]) throws(DatabaseError) {
        for (offset, value) in arguments.enumerated() { try bind(Int32(offset + 1), value) }
    }

    package mutating func bind(_ index: Int32, _ value: SQLValue) throws(DatabaseError) {
        switch value {
        case .null: try bindNull(index)
        case .integer(let v): try bind(index, v)
        case .real(let v): try bind(index, v)
        case .text(let v): try bind(index, v)
        case .blob(let v):
            switch handle {
            case .sqlite(let raw):
                try check(v.withUnsafeBytes { sqlite3_bind_blob(raw, index, $0.baseAddress, Int32($0.count), transient) })
            case .server(let s): s.set(index, value)
            }
        }
    }

    // Typed binds (parameters count from 1), for statements run once per row: no `SQLValue` on SQLite.

    package mutating func bind(_ index: Int32, _ value: Int64) throws(DatabaseError) {
        switch handle {
        case .sqlite(let raw): try check(sqlite3_bind_int64(raw, index, value))
        case .server(let s): s.set(index, .integer(value))
        }
    }

    package mutating func bind(_ index: Int32, _ value: Int64?) throws(DatabaseError) {
        guard let value else { return try bindNull(index) }
        try bind(index, value)
    }

    package mutating func bind(_ index: Int32, _ value: Double) throws(DatabaseError) {
        switch handle {
        case .sqlite(let raw): try check(sqlite3_bind_double(raw, index, value))
        case .server(let s): s.set(index, .real(value))
        }
    }

    package mutating func bind(_ index: Int32, _ value: String?) throws(DatabaseError) {
        guard var value else { return try bindNull(index) }
        switch handle {
        case .sqlite(let raw):
            // Native strings are contiguous UTF-8: bound with their length, copied once by SQLite.
            let rc = value.withUTF8 { bytes -> Int32 in
                guard let base = bytes.baseAddress, !bytes.isEmpty else { return sqlite3_bind_text(raw, index, "", 0, transient) }
                return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    sqlite3_bind_text(raw, index, $0, Int32(bytes.count), transient)
                }
            }
            try check(rc)
        case .server(let s): s.set(index, .text(value))
        }
    }

    package mutating func bindNull(_ index: Int32) throws(DatabaseError) {
        switch handle {
        case .sqlite(let raw): try check(sqlite3_bind_null(raw, index))
        case .server(let s): s.set(index, .null)
        }
    }

    /// Steps a statement that returns no rows to its end.
    package mutating func execute() throws(DatabaseError) {
        while try step() {}
    }

    /// `execute`, and the number of rows it inserted, updated or deleted.
    package mutating func executeCountingChanges() throws(DatabaseError) -> Int {
        try execute()
        switch handle {
        case .sqlite(let raw): return Int(sqlite3_changes(sqlite3_db_handle(raw)))
        case .server(let s): return s.changes
        }
    }

    private func check(_ rc: Int32) throws(DatabaseError) {
        if rc != SQLITE_OK, case .sqlite(let raw) = handle { throw SQLiteConnection.error(rc, statement: raw, sql: sql) }
    }

    /// Advances; true while a row is available.
    package mutating func step() throws(DatabaseError) -> Bool {
        switch handle {
        case .sqlite(let raw):
            let rc = sqlite3_step(raw)
            if rc == SQLITE_ROW { return true }
            if rc == SQLITE_DONE { return false }
            throw SQLiteConnection.error(rc, statement: raw, sql: sql)
        case .server(let s):
            return try s.step()
        }
    }

    package var row: Row {
        switch handle {
        case .sqlite(let raw): Row(source: .sqlite(raw))
        case .server(let s): Row(source: .server(s))
        }
    }
}

/// The current row of a statement.
package struct Row: ~Copyable {
    enum Source {
        case sqlite(OpaquePointer)
        case server(any ServerStatement)
    }

    let source: Source

    package var columnCount: Int {
        switch source {
        case .sqlite(let raw): Int(sqlite3_column_count(raw))
        case .server(let s): s.row.count
        }
    }

    package func isNull(_ column: Int32) -> Bool {
        switch source {
        case .sqlite(let raw): sqlite3_column_type(raw, column) == SQLITE_NULL
        case .server(let s): s.row[Int(column)] == .null
        }
    }

    /// An integer column (a server's boolean reads as 1 or 0); 0 for NULL.
    package func int64(_ column: Int32) -> Int64 {
        switch source {
        case .sqlite(let raw): return sqlite3_column_int64(raw, column)
        case .server(let s):
            switch s.row[Int(column)] {
            case .integer(let v): return v
            case .real(let v): return Int64(v)
            case .text(let t): return Int64(t) ?? 0
            case .null, .blob: return 0
            }
        }
    }

    package func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }

    package func double(_ column: Int32) -> Double {
        switch source {
        case .sqlite(let raw): return sqlite3_column_double(raw, column)
        case .server(let s):
            switch s.row[Int(column)] {
            case .real(let v): return v
            case .integer(let v): return Double(v)
            case .text(let t): return Double(t) ?? 0
            case .null, .blob: return 0
            }
        }
    }

    package func string(_ column: Int32) -> String? {
        switch source {
        case .sqlite(let raw):
            guard let text = sqlite3_column_text(raw, column) else { return nil }
            let count = Int(sqlite3_column_bytes(raw, column))
            return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
        case .server(let s): return s.row[Int(column)].string
        }
    }

    package func bytes(_ column: Int32) -> [UInt8]? {
        switch source {
        case .sqlite(let raw):
            let type = sqlite3_column_type(raw, column)
            if type == SQLITE_NULL { return nil }
            let count = Int(sqlite3_column_bytes(raw, column))
            guard count > 0, let pointer = sqlite3_column_blob(raw, column) else { return [] }
            return Array(UnsafeRawBufferPointer(start: pointer, count: count))
        case .server(let s):
            switch s.row[Int(column)] {
            case .null: return nil
            case .blob(let b): return b
            case let other: return other.string.map { Array($0.utf8) }
            }
        }
    }

    package func value(_ column: Int32) -> SQLValue {
        switch source {
        case .sqlite(let raw):
            switch sqlite3_column_type(raw, column) {
            case SQLITE_INTEGER: .integer(int64(column))
            case SQLITE_FLOAT: .real(double(column))
            case SQLITE_TEXT: .text(string(column) ?? "")
            case SQLITE_BLOB: .blob(bytes(column) ?? [])
            default: .null
            }
        case .server(let s): s.row[Int(column)]
        }
    }
}
