/// A failed SQLite call: the result code, SQLite's message, and the statement text (arguments are
/// never included).
package struct SQLiteError: Error, CustomStringConvertible, Sendable {
    package var code: Int32
    package var extendedCode: Int32
    package var message: String
    package var sql: String?

    package var description: String {
        var text = "SQLite error \(code) (extended \(extendedCode)): \(message)"
        if let sql { text += " [SQL: \(sql)]" }
        return text
    }

    /// True for the result codes that mean "constraint violated".
    package var isConstraint: Bool { code == 19 }
    /// True for corruption and "not a database".
    package var isCorruption: Bool { code == 11 || code == 26 }
}
