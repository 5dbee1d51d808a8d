/// The three kinds of MLMD node; raw values are `Type.type_kind` in the store.
public enum NodeKind: Int, Sendable, NamedCases {
    case execution = 0, artifact = 1, context = 2

    public var description: String {
        switch self {
        case .artifact: "artifact"
        case .execution: "execution"
        case .context: "context"
        }
    }
}

/// MLMD's system-defined base types. Each names one of the built-in `mlmd.*` types that a new
/// store contains; a type's base type is a `ParentType` row pointing at it.
public enum BaseType: String, Sendable, CaseIterable {
    // Artifact base types.
    case dataset = "DATASET", model = "MODEL", metrics = "METRICS", statistics = "STATISTICS"
    // Execution base types.
    case train = "TRAIN", transform = "TRANSFORM", process = "PROCESS", evaluate = "EVALUATE", deploy = "DEPLOY"

    public var kind: NodeKind {
        switch self {
        case .dataset, .model, .metrics, .statistics: .artifact
        case .train, .transform, .process, .evaluate, .deploy: .execution
        }
    }

    /// The name of the built-in type, for example `mlmd.Dataset`.
    public var builtinTypeName: String {
        let word = rawValue.prefix(1) + rawValue.dropFirst().lowercased()
        return "mlmd." + word
    }

    /// The enum number in MLMD's protos (`SystemDefinedBaseType`).
    public var protoNumber: Int {
        switch self {
        case .dataset, .train: 1
        case .model, .transform: 2
        case .metrics, .process: 3
        case .statistics, .evaluate: 4
        case .deploy: 5
        }
    }

    public init?(kind: NodeKind, protoNumber: Int) {
        guard let match = Self.allCases.first(where: { $0.kind == kind && $0.protoNumber == protoNumber })
        else { return nil }
        self = match
    }

    /// The built-in types in the order MLMD creates them in a new store (ids 1 to 9).
    public static let builtinOrder: [BaseType] = [
        .dataset, .model, .metrics, .statistics, .train, .transform, .process, .evaluate, .deploy,
    ]
}

/// An artifact, execution or context type.
public struct NodeType: Hashable, Sendable {
    public var id: TypeID?
    public var kind: NodeKind
    public var name: String
    public var version: String?
    public var description: String?
    public var externalID: String?
    public var baseType: BaseType?
    public var properties: [String: PropertyType]
    /// `Type.input_type` / `output_type` of execution types, kept verbatim.
    public var inputType: String?
    public var outputType: String?

    public init(
        id: TypeID? = nil, kind: NodeKind, name: String, version: String? = nil,
        description: String? = nil, externalID: String? = nil, baseType: BaseType? = nil,
        properties: [String: PropertyType] = [:], inputType: String? = nil, outputType: String? = nil
    ) {
        self.id = id
        self.kind = kind
        self.name = name
        self.version = version
        self.description = description
        self.externalID = externalID
        self.baseType = baseType
        self.properties = properties
        self.inputType = inputType
        self.outputType = outputType
    }
}
