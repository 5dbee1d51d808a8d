package import PedigreeModel

/// Exact counts that every write keeps up to date: what the query planner estimates from.
package struct GraphStatistics: Sendable, Equatable {
    /// Nodes of each type.
    package var nodesByType: [TypeID: Int]
    /// Artifacts by state: slot 0 has no state, slot s + 1 has the state of raw value s.
    package var artifactsByState: [Int]
    /// Executions by state, slotted like `artifactsByState`.
    package var executionsByState: [Int]

    package init(nodesByType: [TypeID: Int], artifactsByState: [Int], executionsByState: [Int]) {
        self.nodesByType = nodesByType
        self.artifactsByState = artifactsByState
        self.executionsByState = executionsByState
    }

    package func artifacts(in state: ArtifactState?) -> Int { artifactsByState[state.map { $0.rawValue + 1 } ?? 0] }
    package func executions(in state: ExecutionState?) -> Int { executionsByState[state.map { $0.rawValue + 1 } ?? 0] }
}
