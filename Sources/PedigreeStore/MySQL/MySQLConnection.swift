internal import CMariaDB
internal import Foundation

/// One connection to a MySQL or MariaDB server through the MariaDB C client. Statements are
/// written out with their parameters as escaped literals (the text protocol, as ml-metadata's own
/// MySQL source does) and rows are streamed (`mysql_use_result`), so reading a large table never
/// holds it all.
///
/// The connection's character set is latin1, as ml-metadata's is: the library writes its UTF-8
/// bytes through a latin1 connection, so only a latin1 connection reads them back as written.
///
/// Not thread-safe by itself: the owner serialises every use.
package final class MySQLConnection: SQLDatabase {
    private var connection: UnsafeMutablePointer<MYSQL>?
    package let address: DatabaseServer
    package var engine: SQLEngine { .mysql }
    package var location: String { address.redacted }
    private var templates = StatementCache<SQLTemplate>()
    private var inTransaction = false
    /// The statement whose rows are being read, if any (MySQL reads one result at a time).
    private var open: MySQLStatement?

    /// Connects to `address` (or, with `database: ""`, to the server without choosing a database).
    package init(_ address: DatabaseServer, database: String? = nil) throws(DatabaseError) {
        self.address = address
        connection = try Self.connect(address, database: database ?? address.database)
    }

    private static func connect(_ address: DatabaseServer, database: String) throws(DatabaseError) -> UnsafeMutablePointer<MYSQL> {
        guard let handle = mysql_init(nil) else {
            throw DatabaseError(engine: .mysql, code: 0, message: "cannot allocate a MySQL client", sql: nil, kind: .other)
        }
        var timeout: UInt32 = 10
        mysql_options(handle, MYSQL_OPT_CONNECT_TIMEOUT, &timeout)
        mysql_options(handle, MYSQL_SET_CHARSET_NAME, "latin1")
        for (key, option) in [("ssl_ca", MYSQL_OPT_SSL_CA), ("ssl_cert", MYSQL_OPT_SSL_CERT), ("ssl_key", MYSQL_OPT_SSL_KEY)] {
            if let value = address.options[key] { mysql_options(handle, option, value) }
        }
        if address.options["ssl_mode"].map({ ["required", "verify_ca", "verify_identity"].contains($0.lowercased()) }) == true {
            var on: UInt8 = 1
            mysql_options(handle, MYSQL_OPT_SSL_ENFORCE, &on)
            if address.options["ssl_mode"]?.lowercased() != "required" { mysql_options(handle, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on) }
        }
        let connected = mysql_real_connect(
            handle, address.socket == nil ? address.host : nil, address.user, address.password,
            database.isEmpty ? nil : database, UInt32(address.port), address.socket, 0)
        guard connected != nil else {
            let error = Self.error(handle, sql: nil)
            mysql_close(handle)
            throw error
        }
        return handle
    }

    deinit { close() }

    package func close() {
        open = nil
        if let connection { mysql_close(connection) }
        connection = nil
    }

    /// The connection's last error, classified by MySQL's error number.
    static func error(_ handle: UnsafeMutablePointer<MYSQL>?, sql: String?) -> DatabaseError {
        let code = Int32(handle.map { mysql_errno($0) } ?? 2006)
        let message = handle.flatMap { mysql_error($0) }.map { String(cString: $0) } ?? "no connection"
        let state = handle.flatMap { mysql_sqlstate($0) }.map { String(cString: $0) }
        let kind: DatabaseError.Kind =
            switch code {
            case 1062, 1022, 1169, 1586, 1557: .constraint
            case 2002, 2003, 2005, 2006, 2013, 2026, 2055: .unavailable
            case 1045, 1698: .authentication
            case 1049: .missingDatabase
            case 1205, 1213: .busy
            case 1264, 1365, 1366, 1367, 1406: .invalidValue
            default: .other
            }
        return DatabaseError(engine: .mysql, code: code, sqlState: state, message: message, sql: sql, kind: kind)
    }

    /// The connection, reconnected if the server dropped it: only between transactions (inside
    /// one, a lost connection fails the transaction instead).
    @discardableResult
    private func live(reconnect: Bool = false) throws(DatabaseError) -> UnsafeMutablePointer<MYSQL> {
        guard let connection else {
            throw DatabaseError(engine: .mysql, code: 2006, message: "the connection is closed", sql: nil, kind: .unavailable)
        }
        guard reconnect, !inTransaction, mysql_ping(connection) != 0 else { return connection }
        try self.reconnect()
        return self.connection ?? connection
    }

    package func reconnect() throws(DatabaseError) {
        open = nil
        if let connection { mysql_close(connection) }
        connection = nil
        inTransaction = false
        connection = try Self.connect(address, database: address.database)
    }

    /// Runs `text` (no parameters); its rows, if any, are left to the caller to read.
    fileprivate func send(_ text: String, sql: String) throws(DatabaseError) -> UnsafeMutablePointer<MYSQL> {
        open?.finish()
        let handle = try live()
        let status = text.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.withMemoryRebound(to: CChar.self) { mysql_real_query(handle, $0.baseAddress, UInt(bytes.count)) }
        } ?? mysql_real_query(handle, text, UInt(text.utf8.count))
        if status != 0 {
            let error = Self.error(handle, sql: sql)
            if error.kind == .unavailable { inTransaction = false }
            throw error
        }
        return handle
    }

    package func execute(_ sql: String) throws(DatabaseError) {
        let handle = try send(SQLTemplate(sql, quote: "`").render { _, _ in "?" }, sql: sql)
        if let result = mysql_store_result(handle) { mysql_free_result(result) }
    }

    package func withStatement<T>(_ sql: String, _ body: (inout Statement) throws(DatabaseError) -> T) throws(DatabaseError) -> T {
        let template = try templates.value(for: sql) { SQLTemplate($0, quote: "`") }
        return try run(MySQLStatement(sql: sql, template: template, connection: self), body)
    }

    package func withStatement<T>(_ slot: StatementSlot, _ body: (inout Statement) throws(DatabaseError) -> T) throws(DatabaseError) -> T {
        let template = try templates.value(for: slot) { SQLTemplate($0, quote: "`") }
        return try run(MySQLStatement(sql: slot.sql, template: template, connection: self), body)
    }

    private func run<T>(_ statement: MySQLStatement, _ body: (inout Statement) throws(DatabaseError) -> T) throws(DatabaseError) -> T {
        var handle = Statement(server: statement)
        defer { statement.reset() }
        return try body(&handle)
    }

    /// Starts reading `statement`'s rows (a statement still being read is finished first).
    fileprivate func begin(_ statement: MySQLStatement) throws(DatabaseError) -> OpaquePointer? {
        let handle = try send(statement.text(escaping: self), sql: statement.sql)
        open = statement
        guard let result = mysql_use_result(handle) else {
            statement.changes = Int(mysql_affected_rows(handle))
            return nil
        }
        return OpaquePointer(result)
    }

    fileprivate func ended(_ statement: MySQLStatement) {
        if open === statement { open = nil }
    }

    /// A string literal for `text`, escaped for this connection.
    fileprivate func literal(_ text: String) -> String {
        guard let connection else { return "NULL" }
        var bytes = Array(text.utf8)
        var escaped = [CChar](repeating: 0, count: bytes.count * 2 + 1)
        let length = bytes.withUnsafeMutableBufferPointer { source in
            source.withMemoryRebound(to: CChar.self) { mysql_real_escape_string(connection, &escaped, $0.baseAddress, UInt(source.count)) }
        }
        return "'" + String(decoding: escaped[0..<Int(length)].map { UInt8(bitPattern: $0) }, as: UTF8.self) + "'"
    }

    package func lastInsertRowID() throws(DatabaseError) -> Int64 {
        Int64(mysql_insert_id(try live()))
    }

    package func noteExplicitID(table: String) {}

    package var isInTransaction: Bool { inTransaction }

    package func beginRead() throws(DatabaseError) {
        try live(reconnect: true)
        try execute("START TRANSACTION READ ONLY")
        inTransaction = true
    }

    package func beginWrite() throws(DatabaseError) {
        try live(reconnect: true)
        try execute("START TRANSACTION")
        inTransaction = true
    }

    package func commit() throws(DatabaseError) {
        defer { inTransaction = false }
        try execute("COMMIT")
    }

    package func rollback() {
        guard inTransaction else { return }
        inTransaction = false
        try? execute("ROLLBACK")
    }
}

/// A statement on a MySQL connection: written out with its parameters when first stepped, its
/// rows read one at a time.
final class MySQLStatement: ServerStatement {
    let sql: String
    var parameters: [SQLValue] = []
    private(set) var row: [SQLValue] = []
    fileprivate(set) var changes = 0
    private let template: SQLTemplate
    private unowned let connection: MySQLConnection
    private var result: OpaquePointer?
    private var started = false
    private var columns: [(type: enum_field_types, binary: Bool)] = []

    init(sql: String, template: SQLTemplate, connection: MySQLConnection) {
        self.sql = sql
        self.template = template
        self.connection = connection
    }

    /// The statement's text with every parameter written as a literal.
    fileprivate func text(escaping connection: MySQLConnection) -> String {
        template.render { _, parameter in
            let value = parameter <= parameters.count ? parameters[parameter - 1] : .null
            switch value {
            case .null: return "NULL"
            case .integer(let v): return String(v)
            case .real(let v): return v.isFinite ? "\(v)" : connection.literal("\(v)")
            case .text(let s): return connection.literal(s)
            case .blob(let b): return b.isEmpty ? "''" : "X'" + b.map { String(format: "%02x", $0) }.joined() + "'"
            }
        }
    }

    func step() throws(DatabaseError) -> Bool {
        if !started {
            started = true
            result = try connection.begin(self)
            if let result, let fields = mysql_fetch_fields(UnsafeMutablePointer(result)) {
                let count = Int(mysql_num_fields(UnsafeMutablePointer(result)))
                columns = (0..<count).map { (fields[$0].type, fields[$0].charsetnr == 63) }
            }
        }
        guard let result else { return false }
        let raw = UnsafeMutablePointer<MYSQL_RES>(result)
        guard let values = mysql_fetch_row(raw) else {
            // The end, or a failure while streaming.
            let failed = mysql_errno(raw.pointee.handle) != 0
            let error = failed ? MySQLConnection.error(raw.pointee.handle, sql: sql) : nil
            finish()
            if let error { throw error }
            return false
        }
        let lengths = mysql_fetch_lengths(raw)
        row = columns.indices.map { i in
            guard let value = values[i], let lengths else { return .null }
            let bytes = UnsafeRawBufferPointer(start: value, count: Int(lengths[i]))
            return Self.value(bytes, columns[i])
        }
        return true
    }

    /// A column's value, typed by the column's type (binary blobs stay bytes).
    static func value(_ bytes: UnsafeRawBufferPointer, _ column: (type: enum_field_types, binary: Bool)) -> SQLValue {
        switch column.type {
        case MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_LONG, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_INT24, MYSQL_TYPE_YEAR:
            return .integer(Int64(String(decoding: bytes, as: UTF8.self)) ?? 0)
        case MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE, MYSQL_TYPE_DECIMAL, MYSQL_TYPE_NEWDECIMAL:
            return .real(Double(String(decoding: bytes, as: UTF8.self)) ?? .nan)
        case MYSQL_TYPE_TINY_BLOB, MYSQL_TYPE_MEDIUM_BLOB, MYSQL_TYPE_LONG_BLOB, MYSQL_TYPE_BLOB:
            return column.binary ? .blob(Array(bytes)) : .text(String(decoding: bytes, as: UTF8.self))
        default:
            return .text(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// Reads what is left of the result (MySQL needs it read before the next statement).
    func finish() {
        if let result { mysql_free_result(UnsafeMutablePointer(result)) }
        result = nil
        connection.ended(self)
    }

    func reset() {
        finish()
        started = false
        row = []
        parameters.removeAll(keepingCapacity: true)
    }
}
