public import PedigreeModel

/// Exact counts that every write keeps up to date: what the query planner estimates from.
public struct GraphStatistics: Sendable, Equatable {
    /// Nodes of each type.
    public var nodesByType: [TypeID: Int]
    /// Artifacts by state: slot 0 has no state, slot s + 1 has the state of raw value s.
    public var artifactsByState: [Int]
    /// Executions by state, slotted like `artifactsByState`.
    public var executionsByState: [Int]

    public init(nodesByType: [TypeID: Int], artifactsByState: [Int], executionsByState: [Int]) {
        self.nodesByType = nodesByType
        self.artifactsByState = artifactsByState
        self.executionsByState = executionsByState
    }

    public func artifacts(in state: ArtifactState?) -> Int { artifactsByState[state.map { $0.rawValue + 1 } ?? 0] }
    public func executions(in state: ExecutionState?) -> Int { executionsByState[state.map { $0.rawValue + 1 } ?? 0] }
}
