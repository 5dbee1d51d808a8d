/// The database engines a store can live in.
package enum SQLEngine: String, Sendable {
    case sqlite = "SQLite"
    case mysql = "MySQL"
    case postgresql = "PostgreSQL"
}

/// A failed database call: the engine's code (and SQLSTATE where it has one), its message, and
/// the statement text (arguments are never included, so a password or a value never leaks).
package struct DatabaseError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, as the layers above need to tell it apart.
    package enum Kind: Sendable {
        /// A unique key or other constraint refused the row.
        case constraint
        /// The file or data is corrupt, or not a database.
        case corruption
        /// The server cannot be reached, or the connection was lost.
        case unavailable
        /// The server refused the user or password.
        case authentication
        /// The named database does not exist.
        case missingDatabase
        /// Another writer holds the lock too long, or a deadlock or serialisation failure.
        case busy
        /// A value the column cannot hold (out of range, or not a number the engine stores).
        case invalidValue
        case other
    }

    package var engine: SQLEngine
    package var code: Int32
    package var extendedCode: Int32
    package var sqlState: String?
    package var message: String
    package var sql: String?
    package var kind: Kind

    package init(
        engine: SQLEngine, code: Int32, extendedCode: Int32? = nil, sqlState: String? = nil, message: String,
        sql: String?, kind: Kind
    ) {
        self.engine = engine
        self.code = code
        self.extendedCode = extendedCode ?? code
        self.sqlState = sqlState
        self.message = message
        self.sql = sql
        self.kind = kind
    }

    /// An SQLite result code, classified.
    package init(sqlite code: Int32, extendedCode: Int32, message: String, sql: String?) {
        let kind: Kind =
            switch code {
            case 19: .constraint
            case 11, 26: .corruption
            case 5, 6: .busy
            default: .other
            }
        self.init(engine: .sqlite, code: code, extendedCode: extendedCode, message: message, sql: sql, kind: kind)
    }

    package var description: String {
        var text =
            switch engine {
            case .sqlite: "SQLite error \(code) (extended \(extendedCode)): \(message)"
            case .mysql: "MySQL error \(code)\(sqlState.map { " (\($0))" } ?? ""): \(message)"
            case .postgresql: "PostgreSQL error\(sqlState.map { " \($0)" } ?? ""): \(message)"
            }
        if let sql { text += " [SQL: \(sql)]" }
        return text
    }

    package var isConstraint: Bool { kind == .constraint }
    package var isCorruption: Bool { kind == .corruption }
}
