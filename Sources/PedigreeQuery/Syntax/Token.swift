/// A token: its kind and where it is. Its text is the source's bytes in `range`; tokens own no
/// storage.
package struct Token: Sendable, Equatable {
    package enum Kind: Sendable, Equatable, CustomStringConvertible {
        case identifier, quotedName, string, integer, decimal, parameter
        case leftParen, rightParen, leftBrace, rightBrace, comma, dot, star, plus, minus
        case equal, notEqual, less, lessEqual, greater, greaterEqual
        case end
        /// A character that starts no token, or an unterminated string or name.
        case invalid

        package var description: String {
            switch self {
            case .identifier: "a name"
            case .quotedName: "a `quoted name`"
            case .string: "a string"
            case .integer: "an integer"
            case .decimal: "a number"
            case .parameter: "a $parameter"
            case .leftParen: "'('"
            case .rightParen: "')'"
            case .leftBrace: "'{'"
            case .rightBrace: "'}'"
            case .comma: "','"
            case .dot: "'.'"
            case .star: "'*'"
            case .plus: "'+'"
            case .minus: "'-'"
            case .equal: "'='"
            case .notEqual: "'!='"
            case .less: "'<'"
            case .lessEqual: "'<='"
            case .greater: "'>'"
            case .greaterEqual: "'>='"
            case .end: "the end of the query"
            case .invalid: "an invalid character"
            }
        }
    }

    package var kind: Kind
    package var range: SourceRange
}
