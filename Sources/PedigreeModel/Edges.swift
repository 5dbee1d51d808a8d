/// MLMD's `Event.Type`; raw values are the numbers stored in `Event.type`.
public enum EventType: Int, Sendable, NamedCases {
    case unknown = 0, declaredOutput, declaredInput, input, output, internalInput, internalOutput, pendingOutput

    public var description: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .declaredOutput: "DECLARED_OUTPUT"
        case .declaredInput: "DECLARED_INPUT"
        case .input: "INPUT"
        case .output: "OUTPUT"
        case .internalInput: "INTERNAL_INPUT"
        case .internalOutput: "INTERNAL_OUTPUT"
        case .pendingOutput: "PENDING_OUTPUT"
        }
    }

    /// Input-kind events point artifact -> execution; the others execution -> artifact.
    public var isInput: Bool { Self.isInput(raw: Int32(rawValue)) }

    /// `isInput` of a stored type number (DECLARED_INPUT 2, INPUT 3, INTERNAL_INPUT 5), for
    /// loops that read packed event types without making the enum.
    @inlinable
    public static func isInput(raw: Int32) -> Bool { raw == 2 || raw == 3 || raw == 5 }

    /// Whether a stored type number records an execution producing an artifact (DECLARED_OUTPUT 1,
    /// OUTPUT 4, INTERNAL_OUTPUT 6, PENDING_OUTPUT 7); UNKNOWN is neither input nor output.
    @inlinable
    public static func isOutput(raw: Int32) -> Bool { raw == 1 || raw == 4 || raw == 6 || raw == 7 }
}

public enum EventStep: Hashable, Sendable {
    case index(Int64)
    case key(String)
}

/// An edge between an artifact and an execution.
public struct Event: Hashable, Sendable {
    public var artifactID: ArtifactID?
    public var executionID: ExecutionID?
    public var type: EventType
    public var path: [EventStep]
    /// Milliseconds since the epoch; the store fills in the current time when absent.
    public var time: Int64?

    public init(
        artifactID: ArtifactID? = nil, executionID: ExecutionID? = nil, type: EventType,
        path: [EventStep] = [], time: Int64? = nil
    ) {
        self.artifactID = artifactID
        self.executionID = executionID
        self.type = type
        self.path = path
        self.time = time
    }
}

public struct Attribution: Hashable, Sendable {
    public var contextID: ContextID
    public var artifactID: ArtifactID
    public init(contextID: ContextID, artifactID: ArtifactID) {
        self.contextID = contextID
        self.artifactID = artifactID
    }
}

public struct Association: Hashable, Sendable {
    public var contextID: ContextID
    public var executionID: ExecutionID
    public init(contextID: ContextID, executionID: ExecutionID) {
        self.contextID = contextID
        self.executionID = executionID
    }
}

/// What attributions and associations have in common: a context and a member node of one kind.
package protocol ContextMembership: Hashable, Sendable {
    static var memberKind: NodeKind { get }
    var contextID: ContextID { get }
    /// The member's id (an artifact's for an attribution, an execution's for an association).
    var memberID: Int64 { get }
}

extension Attribution: ContextMembership {
    package static var memberKind: NodeKind { .artifact }
    package var memberID: Int64 { artifactID.rawValue }
}

extension Association: ContextMembership {
    package static var memberKind: NodeKind { .execution }
    package var memberID: Int64 { executionID.rawValue }
}

public struct ParentContext: Hashable, Sendable {
    public var childID: ContextID
    public var parentID: ContextID
    public init(childID: ContextID, parentID: ContextID) {
        self.childID = childID
        self.parentID = parentID
    }
}
