public import PedigreeModel

/// How the executor finds a node pattern's candidates.
public enum Access: Hashable, Sendable, CustomStringConvertible {
    case byID(NodeKind, Int64)
    case byExternalID(NodeKind, String)
    case byName(NodeKind, TypeID, typeName: String, name: String)
    /// A name without a type: one (type, name) lookup per type of the kind.
    case byNameAnyType(NodeKind, String)
    case byURI(String)
    case byState(NodeKind, Int?)
    case byType(NodeKind, TypeID, typeName: String)
    case scan(NodeKind)

    public var description: String {
        switch self {
        case .byID(let k, let id): "IndexLookup \(k) by id = \(id)"
        case .byExternalID(let k, let e): "IndexLookup \(k) by external_id = '\(e)'"
        case .byName(let k, _, let t, let n): "IndexLookup \(k) by (type, name) = ('\(t)', '\(n)')"
        case .byNameAnyType(let k, let n): "IndexLookup \(k) by (type, name) for each \(k) type, name = '\(n)'"
        case .byURI(let u): "IndexLookup artifact by uri = '\(u)'"
        case .byState(let k, let s): "StateScan \(k) state = \(Access.stateName(k, s))"
        case .byType(let k, _, let t): "TypeScan \(k) type = '\(t)'"
        case .scan(let k): "FullScan \(k)"
        }
    }

    static func stateName(_ kind: NodeKind, _ raw: Int?) -> String {
        guard let raw else { return "unset" }
        return kind == .artifact ? ArtifactState(rawValue: raw)?.description ?? "\(raw)" : ExecutionState(rawValue: raw)?.description ?? "\(raw)"
    }
}

/// One kind's way into a node pattern: an access path and the estimated rows it yields.
public struct AccessPlan: Hashable, Sendable {
    public var access: Access
    public var estimate: Int
    public var kind: NodeKind { access.kind }
}

extension Access {
    public var kind: NodeKind {
        switch self {
        case .byID(let k, _), .byExternalID(let k, _), .byName(let k, _, _, _), .byNameAnyType(let k, _), .byState(let k, _),
            .byType(let k, _, _), .scan(let k):
            k
        case .byURI: .artifact
        }
    }
}

/// How one step runs.
public enum StepStrategy: Hashable, Sendable {
    /// Breadth-first from the step's sources, testing target, where, until and prune as it goes.
    case forward
    /// From the target's few candidates back towards the sources, when the target is far more
    /// selective than the sources (`ReverseSelectiveStep`).
    case reverse([AccessPlan])
    /// Shortest path: breadth-first from both ends at once, expanding the smaller frontier,
    /// when both ends are index lookups (`SearchFromBothEnds`).
    case bidirectional([AccessPlan])
}

public struct StepPlan: Sendable {
    public var step: BoundStep
    public var strategy: StepStrategy
    public var estimate: Int
    /// The rules that decided this step's plan, for explain.
    public var rules: [String]
}

/// The plan the executor runs; `explain` prints it.
public struct Plan: Sendable {
    public var query: BoundQuery
    public var startAccess: [AccessPlan]
    public var startEstimate: Int
    public var steps: [StepPlan]
    /// Stop expanding once this many results are certain (a limit without order by).
    public var earlyStopAfter: Int?
    /// The rules that fired, in order, for explain.
    public var rules: [String]
}
