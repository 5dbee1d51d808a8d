/// MLMD's `Artifact.State`; raw values are the numbers stored in `Artifact.state`.
public enum ArtifactState: Int, Sendable, NamedCases {
    case unknown = 0, pending, live, markedForDeletion, deleted, abandoned, reference

    public var description: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .pending: "PENDING"
        case .live: "LIVE"
        case .markedForDeletion: "MARKED_FOR_DELETION"
        case .deleted: "DELETED"
        case .abandoned: "ABANDONED"
        case .reference: "REFERENCE"
        }
    }
}

/// MLMD's `Execution.State`; raw values are the numbers stored in `Execution.last_known_state`.
public enum ExecutionState: Int, Sendable, NamedCases {
    case unknown = 0, new, running, complete, failed, cached, canceled

    public var description: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .new: "NEW"
        case .running: "RUNNING"
        case .complete: "COMPLETE"
        case .failed: "FAILED"
        case .cached: "CACHED"
        case .canceled: "CANCELED"
        }
    }
}

public struct Artifact: Hashable, Sendable {
    public var id: ArtifactID?
    public var typeID: TypeID
    public var name: String?
    public var uri: String?
    public var state: ArtifactState?
    public var externalID: String?
    public var properties: Properties
    public var customProperties: Properties
    public var createTime: Int64?
    public var updateTime: Int64?

    public init(
        id: ArtifactID? = nil, typeID: TypeID, name: String? = nil, uri: String? = nil,
        state: ArtifactState? = nil, externalID: String? = nil, properties: Properties = [:],
        customProperties: Properties = [:], createTime: Int64? = nil, updateTime: Int64? = nil
    ) {
        self.id = id
        self.typeID = typeID
        self.name = name
        self.uri = uri
        self.state = state
        self.externalID = externalID
        self.properties = properties
        self.customProperties = customProperties
        self.createTime = createTime
        self.updateTime = updateTime
    }
}

public struct Execution: Hashable, Sendable {
    public var id: ExecutionID?
    public var typeID: TypeID
    public var name: String?
    public var lastKnownState: ExecutionState?
    public var externalID: String?
    public var properties: Properties
    public var customProperties: Properties
    public var createTime: Int64?
    public var updateTime: Int64?

    public init(
        id: ExecutionID? = nil, typeID: TypeID, name: String? = nil,
        lastKnownState: ExecutionState? = nil, externalID: String? = nil,
        properties: Properties = [:], customProperties: Properties = [:],
        createTime: Int64? = nil, updateTime: Int64? = nil
    ) {
        self.id = id
        self.typeID = typeID
        self.name = name
        self.lastKnownState = lastKnownState
        self.externalID = externalID
        self.properties = properties
        self.customProperties = customProperties
        self.createTime = createTime
        self.updateTime = updateTime
    }
}

public struct Context: Hashable, Sendable {
    public var id: ContextID?
    public var typeID: TypeID
    public var name: String
    public var externalID: String?
    public var properties: Properties
    public var customProperties: Properties
    public var createTime: Int64?
    public var updateTime: Int64?

    public init(
        id: ContextID? = nil, typeID: TypeID, name: String, externalID: String? = nil,
        properties: Properties = [:], customProperties: Properties = [:],
        createTime: Int64? = nil, updateTime: Int64? = nil
    ) {
        self.id = id
        self.typeID = typeID
        self.name = name
        self.externalID = externalID
        self.properties = properties
        self.customProperties = customProperties
        self.createTime = createTime
        self.updateTime = updateTime
    }
}
