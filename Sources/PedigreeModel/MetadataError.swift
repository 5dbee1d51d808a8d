/// An error with MLMD's status code, as the real library reports it.
public struct MetadataError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        case invalidArgument = "INVALID_ARGUMENT"
        case alreadyExists = "ALREADY_EXISTS"
        case notFound = "NOT_FOUND"
        case failedPrecondition = "FAILED_PRECONDITION"
        case aborted = "ABORTED"
        case dataLoss = "DATA_LOSS"
        case cancelled = "CANCELLED"
        case deadlineExceeded = "DEADLINE_EXCEEDED"
        case resourceExhausted = "RESOURCE_EXHAUSTED"
        case unimplemented = "UNIMPLEMENTED"
        /// The database server cannot be reached (or the connection was lost).
        case unavailable = "UNAVAILABLE"
        /// The database server refused the user or password.
        case unauthenticated = "UNAUTHENTICATED"
        case `internal` = "INTERNAL"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public static func invalidArgument(_ message: String) -> Self { .init(.invalidArgument, message) }
    public static func alreadyExists(_ message: String) -> Self { .init(.alreadyExists, message) }
    public static func notFound(_ message: String) -> Self { .init(.notFound, message) }
    public static func failedPrecondition(_ message: String) -> Self { .init(.failedPrecondition, message) }
    public static func `internal`(_ message: String) -> Self { .init(.internal, message) }
}
