internal import Dispatch
public import PedigreeModel

/// Async forms of the writes: each runs on a background queue, so a caller on the cooperative
/// pool never blocks it while SQLite syncs to disk. Reads need no async form: a snapshot read
/// never waits.
extension MetadataStore {
    private static let queue = DispatchQueue(label: "pedigree.writes", qos: .userInitiated)

    /// Runs a blocking store call off the cooperative thread pool.
    public func perform<T: Sendable>(_ body: @escaping @Sendable (MetadataStore) throws -> T) async throws -> T {
        let receipt = Self.receipt
        return try await withCheckedThrowingContinuation { continuation in
            Self.queue.async {
                continuation.resume(with: Result { try Self.$receipt.withValue(receipt) { try body(self) } })
            }
        }
    }

    @discardableResult
    public func putType(_ type: NodeType, canAddFields: Bool = false, canOmitFields: Bool = false) async throws -> TypeID {
        try await perform { try $0.putType(type, canAddFields: canAddFields, canOmitFields: canOmitFields) }
    }

    @discardableResult
    public func putArtifacts(
        _ artifacts: [Artifact], updateMask: [String] = [], abortIfLatestUpdatedTimeChanged: Bool = false
    ) async throws -> [ArtifactID] {
        try await perform {
            try $0.putArtifacts(artifacts, updateMask: updateMask, abortIfLatestUpdatedTimeChanged: abortIfLatestUpdatedTimeChanged)
        }
    }

    @discardableResult
    public func putExecutions(_ executions: [Execution], updateMask: [String] = []) async throws -> [ExecutionID] {
        try await perform { try $0.putExecutions(executions, updateMask: updateMask) }
    }

    @discardableResult
    public func putContexts(_ contexts: [Context], updateMask: [String] = []) async throws -> [ContextID] {
        try await perform { try $0.putContexts(contexts, updateMask: updateMask) }
    }

    public func putEvents(_ events: [Event]) async throws {
        try await perform { try $0.putEvents(events) }
    }

    public func putAttributionsAndAssociations(_ attributions: [Attribution], _ associations: [Association]) async throws {
        try await perform { try $0.putAttributionsAndAssociations(attributions, associations) }
    }

    public func putParentContexts(_ links: [ParentContext]) async throws {
        try await perform { try $0.putParentContexts(links) }
    }

    @discardableResult
    public func putExecution(
        _ execution: Execution, artifactsAndEvents: [ArtifactAndEvent], contexts: [Context],
        reuseContextIfAlreadyExist: Bool = false, reuseArtifactIfAlreadyExistByExternalID: Bool = false,
        forceUpdateTime: Bool = false, forceReuseContext: Bool = false
    ) async throws -> PutExecutionResult {
        try await perform {
            try $0.putExecution(
                execution, artifactsAndEvents: artifactsAndEvents, contexts: contexts,
                reuseContextIfAlreadyExist: reuseContextIfAlreadyExist,
                reuseArtifactIfAlreadyExistByExternalID: reuseArtifactIfAlreadyExistByExternalID,
                forceUpdateTime: forceUpdateTime, forceReuseContext: forceReuseContext)
        }
    }

    @discardableResult
    public func putLineageSubgraph(
        executions: [Execution], artifacts: [Artifact], contexts: [Context], edges: [EventEdge],
        reuseContextIfAlreadyExist: Bool = false, reuseArtifactIfAlreadyExistByExternalID: Bool = false
    ) async throws -> PutLineageSubgraphResult {
        try await perform {
            try $0.putLineageSubgraph(
                executions: executions, artifacts: artifacts, contexts: contexts, edges: edges,
                reuseContextIfAlreadyExist: reuseContextIfAlreadyExist,
                reuseArtifactIfAlreadyExistByExternalID: reuseArtifactIfAlreadyExistByExternalID)
        }
    }

    /// Opens a store without blocking the caller's thread.
    public static func open(path: String, mode: OpenMode = .create) async throws -> MetadataStore {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try MetadataStore(path: path, mode: mode) }) }
        }
    }
}
