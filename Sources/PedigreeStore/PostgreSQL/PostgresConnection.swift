internal import CLibPQ
internal import Foundation

/// One connection to a PostgreSQL server through libpq: statements prepared once per text and
/// run with text parameters; rows streamed one at a time (single-row mode), so reading a large
/// table never holds it all.
///
/// Not thread-safe by itself: the owner serialises every use.
package final class PostgresConnection: SQLDatabase {
    private var connection: OpaquePointer?
    package let address: DatabaseServer
    package var engine: SQLEngine { .postgresql }
    package var location: String { address.redacted }
    private var statements = StatementCache<PostgresStatement>()
    private var prepared = 0
    /// Tables given explicit ids in this transaction: their id sequences are moved past the
    /// highest id before it commits (PostgreSQL does not advance a SERIAL on an explicit id).
    private var explicitIDTables: Set<String> = []

    /// Connects to `address` (or to its server's `database` instead of the address's own).
    package init(_ address: DatabaseServer, database: String? = nil) throws(DatabaseError) {
        self.address = address
        var parameters: [(String, String)] = [
            ("host", address.host), ("port", String(address.port)), ("user", address.user),
            ("dbname", database ?? address.database), ("connect_timeout", "10"),
            ("application_name", "pedigree"), ("client_encoding", "UTF8"),
        ]
        if let password = address.password { parameters.append(("password", password)) }
        for key in ["sslmode", "sslrootcert", "sslcert", "sslkey"] {
            if let value = address.options[key] { parameters.append((key, value)) }
        }
        connection = Self.withCStrings(parameters.map(\.0)) { keys in
            Self.withCStrings(parameters.map(\.1)) { values in PQconnectdbParams(keys, values, 0) }
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.message(connection)
            PQfinish(connection)
            connection = nil
            throw Self.connectError(message, sql: nil)
        }
        try execute("SET client_min_messages = WARNING")
    }

    deinit { close() }

    package func close() {
        statements.removeAll()
        if let connection { PQfinish(connection) }
        connection = nil
    }

    static func message(_ connection: OpaquePointer?) -> String {
        guard let connection, let text = PQerrorMessage(connection) else { return "no connection" }
        return String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Classifies a failure to connect by libpq's message (it gives no code for these).
    static func connectError(_ message: String, sql: String?) -> DatabaseError {
        let kind: DatabaseError.Kind =
            if message.contains("password authentication failed") || message.contains("no password supplied")
                || message.contains("role") && message.contains("does not exist") { .authentication }
            else if message.contains("database") && message.contains("does not exist") { .missingDatabase }
            else { .unavailable }
        return DatabaseError(engine: .postgresql, code: 0, message: message, sql: sql, kind: kind)
    }

    /// The error of a failed result (SQLSTATE classified), or of a lost connection.
    func error(_ result: OpaquePointer?, sql: String?) -> DatabaseError { Self.error(connection, result, sql: sql) }

    static func error(_ connection: OpaquePointer?, _ result: OpaquePointer?, sql: String?) -> DatabaseError {
        guard PQstatus(connection) == CONNECTION_OK else {
            return DatabaseError(engine: .postgresql, code: 0, message: "the connection to the server was lost: \(Self.message(connection))", sql: sql, kind: .unavailable)
        }
        let state = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) }
        let text = result.flatMap { PQresultErrorMessage($0) }.map { String(cString: $0) } ?? message(connection)
        let kind: DatabaseError.Kind =
            switch state {
            case .some(let s) where s.hasPrefix("23"): .constraint
            case .some(let s) where s.hasPrefix("08") || s.hasPrefix("57P"): .unavailable
            case .some(let s) where s.hasPrefix("28"): .authentication
            case "3D000": .missingDatabase
            case "40001", "40P01", "55P03": .busy
            case "XX001", "XX002": .corruption
            case "22003", "22P02", "22P03", "22021": .invalidValue
            default: .other
            }
        return DatabaseError(
            engine: .postgresql, code: 0, sqlState: state, message: text.trimmingCharacters(in: .whitespacesAndNewlines),
            sql: sql, kind: kind)
    }

    /// The connection, reconnected if the server dropped it (its prepared statements went with it).
    /// Only between transactions: inside one, a lost connection fails the transaction instead
    /// (a new connection would run the rest of it outside any transaction).
    @discardableResult
    private func live(reconnect: Bool = false) throws(DatabaseError) -> OpaquePointer {
        guard let connection else {
            throw DatabaseError(engine: .postgresql, code: 0, message: "the connection is closed", sql: nil, kind: .unavailable)
        }
        if PQstatus(connection) == CONNECTION_OK { return connection }
        guard reconnect else { throw error(nil, sql: nil) }
        try self.reconnect()
        return connection
    }

    package func execute(_ sql: String) throws(DatabaseError) {
        let text = SQLTemplate(sql, quote: "").render { _, _ in "?" }
        let result = PQexec(try live(), text)
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else { throw error(result, sql: sql) }
    }

    private func prepare(_ sql: String) throws(DatabaseError) -> PostgresStatement {
        let connection = try live()
        let template = SQLTemplate(sql, quote: "")
        let order = template.denseOrder
        let text = template.render { _, parameter in "$\((order.firstIndex(of: parameter) ?? 0) + 1)" }
        let name = "p\(prepared)"
        prepared += 1
        let result = PQprepare(connection, name, text, Int32(order.count), nil)
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COMMAND_OK else { throw error(result, sql: sql) }
        return PostgresStatement(sql: sql, name: name, order: order, handle: connection)
    }

    package func withStatement<T>(_ sql: String, _ body: (inout Statement) throws(DatabaseError) -> T) throws(DatabaseError) -> T {
        try run(try statements.value(for: sql, make: prepare), body)
    }

    package func withStatement<T>(_ slot: StatementSlot, _ body: (inout Statement) throws(DatabaseError) -> T) throws(DatabaseError) -> T {
        try run(try statements.value(for: slot, make: prepare), body)
    }

    private func run<T>(_ statement: PostgresStatement, _ body: (inout Statement) throws(DatabaseError) -> T) throws(DatabaseError) -> T {
        var handle = Statement(server: statement)
        defer { statement.reset() }
        return try body(&handle)
    }

    package func lastInsertRowID() throws(DatabaseError) -> Int64 {
        try scalar("SELECT lastval()")?.int64 ?? 0
    }

    /// Notes that a row of `table` was written with its id given (see `commit`).
    package func noteExplicitID(table: String) { explicitIDTables.insert(table) }

    package var isInTransaction: Bool {
        guard let connection else { return false }
        let status = PQtransactionStatus(connection)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    package func beginRead() throws(DatabaseError) {
        try begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    }

    package func beginWrite() throws(DatabaseError) {
        explicitIDTables.removeAll()
        try begin("BEGIN")
    }

    /// Starts a transaction, reconnecting once if the server had dropped the connection (libpq
    /// only notices that when a command fails, and nothing was written yet).
    private func begin(_ sql: String) throws(DatabaseError) {
        try live(reconnect: true)
        do {
            try execute(sql)
        } catch where error.kind == .unavailable {
            try reconnect()
            try execute(sql)
        }
    }

    package func reconnect() throws(DatabaseError) {
        guard let connection else { return }
        statements.removeAll()
        PQreset(connection)
        if PQstatus(connection) != CONNECTION_OK { throw Self.connectError(Self.message(connection), sql: nil) }
    }

    package func commit() throws(DatabaseError) {
        for table in explicitIDTables.sorted() {
            try execute("SELECT setval(pg_get_serial_sequence('\(table.lowercased())', 'id'), max(id)) FROM \(table) HAVING max(id) IS NOT NULL")
        }
        explicitIDTables.removeAll()
        try execute("COMMIT")
    }

    package func rollback() {
        explicitIDTables.removeAll()
        if isInTransaction, let connection { PQclear(PQexec(connection, "ROLLBACK")) }
    }

    static func withCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
        pointers.append(nil)
        defer { for p in pointers { free(p) } }
        return body(pointers.map { $0.map { UnsafePointer($0) } })
    }
}

/// A prepared statement on a PostgreSQL connection, run on its first `step` after binding.
final class PostgresStatement: ServerStatement {
    let sql: String
    var parameters: [SQLValue] = []
    private(set) var row: [SQLValue] = []
    private(set) var changes = 0
    private let name: String
    /// The bound parameters sent, in `$1`... order.
    private let order: [Int]
    /// The connection's libpq handle (PQreset keeps it; statements die with their connection).
    private let handle: OpaquePointer
    private var running = false
    private var finished = false

    init(sql: String, name: String, order: [Int], handle: OpaquePointer) {
        self.name = name
        self.order = order
        self.handle = handle
        self.sql = sql
    }

    func step() throws(DatabaseError) -> Bool {
        if finished { return false }
        if !running {
            let values: [String?] = order.map { i in i <= parameters.count ? Self.text(parameters[i - 1]) : nil }
            let sent = PostgresConnection.withCStrings(values) { pointers in
                PQsendQueryPrepared(handle, name, Int32(order.count), pointers, nil, nil, 0)
            }
            guard sent == 1 else { throw PostgresConnection.error(handle, nil, sql: sql) }
            PQsetSingleRowMode(handle)
            running = true
        }
        guard let result = PQgetResult(handle) else {
            finished = true
            return false
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_SINGLE_TUPLE:
            row = (0..<PQnfields(result)).map { Self.value(result, column: $0) }
            return true
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
            changes = PQcmdTuples(result).flatMap { Int(String(cString: $0)) } ?? 0
            drain()
            return false
        default:
            let error = PostgresConnection.error(handle, result, sql: sql)
            drain()
            throw error
        }
    }

    func reset() {
        if running && !finished { drain() }
        running = false
        finished = false
        row = []
        parameters.removeAll(keepingCapacity: true)
    }

    private func drain() {
        while let result = PQgetResult(handle) { PQclear(result) }
        finished = true
    }

    /// A parameter as PostgreSQL's text input reads it.
    static func text(_ value: SQLValue) -> String? {
        switch value {
        case .null: nil
        case .integer(let v): String(v)
        // -0.0 as 0: SQLite and MySQL keep no negative zero, and exports must match across engines.
        case .real(let v): v.isNaN ? "NaN" : v.isInfinite ? (v < 0 ? "-Infinity" : "Infinity") : v == 0 ? "0" : "\(v)"
        case .text(let s): s
        case .blob(let b): "\\x" + b.map { String(format: "%02x", $0) }.joined()
        }
    }

    /// A column of the current row, typed by the column's type.
    static func value(_ result: OpaquePointer, column: Int32) -> SQLValue {
        if PQgetisnull(result, 0, column) == 1 { return .null }
        let length = Int(PQgetlength(result, 0, column))
        let bytes = UnsafeRawBufferPointer(start: PQgetvalue(result, 0, column), count: length)
        switch PQftype(result, column) {
        case 16: return .integer(bytes.first == UInt8(ascii: "t") ? 1 : 0)  // boolean
        case 20, 21, 23, 26: return .integer(Int64(String(decoding: bytes, as: UTF8.self)) ?? 0)
        case 700, 701, 1700: return .real(Double(String(decoding: bytes, as: UTF8.self)) ?? .nan)
        case 17: return .blob(hexDecode(bytes))  // bytea, in hex output
        default: return .text(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// Decodes bytea's hex output (`\x` then two hex digits per byte).
    static func hexDecode(_ text: UnsafeRawBufferPointer) -> [UInt8] {
        guard text.count >= 2, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x") else { return Array(text) }
        func nibble(_ c: UInt8) -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            default: c - UInt8(ascii: "A") + 10
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity((text.count - 2) / 2)
        var i = 2
        while i + 1 < text.count {
            out.append(nibble(text[i]) << 4 | nibble(text[i + 1]))
            i += 2
        }
        return out
    }
}
