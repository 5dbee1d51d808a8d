public import PedigreeModel

/// Exact counts that every write keeps up to date: what the query planner estimates from.
public struct GraphStatistics: Sendable, Equatable {
    /// Nodes of each type.
    public internal(set) var nodesByType: [TypeID: Int] = [:]
    /// Artifacts by state: slot 0 has no state, slot s + 1 has the state of raw value s.
    public internal(set) var artifactsByState = [Int](repeating: 0, count: 8)
    /// Executions by state, slotted like `artifactsByState`.
    public internal(set) var executionsByState = [Int](repeating: 0, count: 8)

    public init() {}

    public func artifacts(in state: ArtifactState?) -> Int { artifactsByState[state.map { $0.rawValue + 1 } ?? 0] }
    public func executions(in state: ExecutionState?) -> Int { executionsByState[state.map { $0.rawValue + 1 } ?? 0] }
}
