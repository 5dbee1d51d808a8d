public import PedigreeModel

/// MLMD's writes. Each call is one transaction: all of it or none of it.
extension MetadataStore {
    /// Inserts or matches an artifact, execution or context type; returns its id.
    @discardableResult
    public func putType(_ type: NodeType, canAddFields: Bool = false, canOmitFields: Bool = false) throws -> TypeID {
        try write { try $0.putType(type, canAddFields: canAddFields, canOmitFields: canOmitFields) }
    }

    /// Several types in one transaction (MLMD's PutTypes).
    @discardableResult
    public func putTypes(_ types: [NodeType], canAddFields: Bool = false, canOmitFields: Bool = false) throws -> [TypeID] {
        try write { ctx in try types.map { try ctx.putType($0, canAddFields: canAddFields, canOmitFields: canOmitFields) } }
    }

    /// Inserts (no id) or updates (id) artifacts; returns their ids in order. With an
    /// `updateMask`, updates change only the named fields (`uri`, `state`, `external_id`,
    /// `properties.NAME`, ...). With `abortIfLatestUpdatedTimeChanged`, an update fails if the
    /// stored artifact's last-update time differs from the one given.
    @discardableResult
    public func putArtifacts(
        _ artifacts: [Artifact], updateMask: [String] = [], abortIfLatestUpdatedTimeChanged: Bool = false
    ) throws -> [ArtifactID] {
        try write { ctx in
            try artifacts.map { artifact in
                if abortIfLatestUpdatedTimeChanged, let id = artifact.id, let stored = ctx.graph.artifact(id),
                    stored.updateTime != (artifact.updateTime ?? 0)
                {
                    throw MetadataError.failedPrecondition(
                        "`abort_if_latest_updated_time_changed` is set, and the stored artifact with id = \(id) has a different last_update_time_since_epoch: \(stored.updateTime ?? 0) from the one in the given artifact: \(artifact.updateTime ?? 0)")
                }
                return try ctx.upsert(artifact, updateMask: updateMask)
            }
        }
    }

    @discardableResult
    public func putExecutions(_ executions: [Execution], updateMask: [String] = []) throws -> [ExecutionID] {
        try write { ctx in try executions.map { try ctx.upsert($0, updateMask: updateMask) } }
    }

    @discardableResult
    public func putContexts(_ contexts: [Context], updateMask: [String] = []) throws -> [ContextID] {
        try write { ctx in try contexts.map { try ctx.upsert($0, updateMask: updateMask) } }
    }

    public func putEvents(_ events: [Event]) throws {
        try write { ctx in for e in events { try ctx.putEvent(e) } }
    }

    public func putAttributionsAndAssociations(_ attributions: [Attribution], _ associations: [Association]) throws {
        try write { ctx in
            for a in attributions { try ctx.putAttribution(a) }
            for a in associations { try ctx.putAssociation(a) }
        }
    }

    public func putParentContexts(_ links: [ParentContext]) throws {
        try write { ctx in for link in links { try ctx.putParentContext(link) } }
    }

    /// One artifact of a `putExecution` call, with the event that links it to the execution.
    public struct ArtifactAndEvent: Sendable {
        public var artifact: Artifact?
        public var event: Event?
        public init(artifact: Artifact?, event: Event?) {
            self.artifact = artifact
            self.event = event
        }
    }

    public struct PutExecutionResult: Sendable, Equatable {
        public var executionID: ExecutionID
        public var artifactIDs: [ArtifactID?]
        public var contextIDs: [ContextID]
    }

    /// MLMD's PutExecution, atomically: the artifacts, the execution, the events between them, the
    /// contexts, and an attribution and association tying everything to every context. With
    /// `forceReuseContext`, a context that has an id is only checked to exist, not updated.
    @discardableResult
    public func putExecution(
        _ execution: Execution, artifactsAndEvents: [ArtifactAndEvent], contexts: [Context],
        reuseContextIfAlreadyExist: Bool = false, reuseArtifactIfAlreadyExistByExternalID: Bool = false,
        forceUpdateTime: Bool = false, forceReuseContext: Bool = false
    ) throws -> PutExecutionResult {
        try write { ctx in
            var artifactIDs: [ArtifactID?] = []
            for pair in artifactsAndEvents {
                guard var artifact = pair.artifact else {
                    artifactIDs.append(pair.event?.artifactID)
                    continue
                }
                if reuseArtifactIfAlreadyExistByExternalID, artifact.id == nil, let ext = artifact.externalID, !ext.isEmpty,
                    let index = ctx.graph.artifacts.index(externalID: ext)
                {
                    artifact.id = ctx.graph.artifacts[Int(index)].id
                }
                artifactIDs.append(try ctx.upsert(artifact))
            }
            let executionID = try ctx.upsert(execution, forceUpdateTime: forceUpdateTime)
            for (pair, artifactID) in zip(artifactsAndEvents, artifactIDs) {
                guard var event = pair.event else { continue }
                if let given = event.executionID, given != executionID {
                    throw MetadataError.invalidArgument(
                        "Request's event.execution_id does not match with the given execution: \(given) vs \(executionID)")
                }
                if pair.artifact != nil, let given = event.artifactID, given != artifactID {
                    throw MetadataError.invalidArgument("Given event.artifact_id is not aligned with the artifact: \(given)")
                }
                if pair.artifact == nil, event.artifactID == nil {
                    throw MetadataError.invalidArgument("If no artifact is present, given event must have an artifact_id")
                }
                event.executionID = executionID
                event.artifactID = artifactID
                try ctx.putEvent(event)
            }
            let contextIDs = try contexts.map { context in
                // force_reuse_context: a context given by id is only looked up, never updated.
                if forceReuseContext, let id = context.id {
                    guard ctx.graph.context(id) != nil else {
                        throw MetadataError.notFound("Context with ID \(id) was not found in MLMD")
                    }
                    return id
                }
                return try ctx.upsertContext(context, reuseIfExists: reuseContextIfAlreadyExist)
            }
            for contextID in contextIDs {
                try ctx.putAssociation(Association(contextID: contextID, executionID: executionID))
                for id in Set(artifactIDs.compactMap { $0 }).sorted() {
                    try ctx.putAttribution(Attribution(contextID: contextID, artifactID: id))
                }
            }
            return PutExecutionResult(executionID: executionID, artifactIDs: artifactIDs, contextIDs: contextIDs)
        }
    }

    /// An event between the `executionIndex`-th execution and the `artifactIndex`-th artifact of
    /// a `putLineageSubgraph` call (or the ids the event names).
    public struct EventEdge: Sendable {
        public var executionIndex: Int?
        public var artifactIndex: Int?
        public var event: Event
        public init(executionIndex: Int?, artifactIndex: Int?, event: Event) {
            self.executionIndex = executionIndex
            self.artifactIndex = artifactIndex
            self.event = event
        }
    }

    public struct PutLineageSubgraphResult: Sendable, Equatable {
        public var executionIDs: [ExecutionID]
        public var artifactIDs: [ArtifactID]
        public var contextIDs: [ContextID]
    }

    /// MLMD's PutLineageSubgraph: nodes, every node attributed to / associated with every context,
    /// and the events of `edges`.
    @discardableResult
    public func putLineageSubgraph(
        executions: [Execution], artifacts: [Artifact], contexts: [Context], edges: [EventEdge],
        reuseContextIfAlreadyExist: Bool = false, reuseArtifactIfAlreadyExistByExternalID: Bool = false
    ) throws -> PutLineageSubgraphResult {
        for edge in edges {
            if edge.executionIndex == nil && edge.event.executionID == nil {
                throw MetadataError.invalidArgument("Event_edge is missing an execution. Could not find either an execution_index or an event.execution_id")
            }
            if edge.artifactIndex == nil && edge.event.artifactID == nil {
                throw MetadataError.invalidArgument("Event_edge is missing an artifact. Could not find either an artifact_index or an event.artifact_id")
            }
            if let i = edge.executionIndex, !executions.indices.contains(i) {
                throw MetadataError(.invalidArgument, "The event_edge has an execution_index \(i) that is outside the bounds of the request's executions list, [0, \(executions.count)).")
            }
            if let i = edge.artifactIndex, !artifacts.indices.contains(i) {
                throw MetadataError(.invalidArgument, "The event_edge has an artifact_index \(i) that is outside the bounds of the request's artifacts list, [0, \(artifacts.count)).")
            }
            if let i = edge.executionIndex, let id = edge.event.executionID, executions[i].id != id {
                throw MetadataError.invalidArgument("Execution ID mismatch: execution_index \(i) does not have the event_edge's event.execution_id of \(id)")
            }
            if let i = edge.artifactIndex, let id = edge.event.artifactID, artifacts[i].id != id {
                throw MetadataError.invalidArgument("Artifact ID mismatch: artifact_index \(i) does not have the event_edge's event.artifact_id of \(id)")
            }
        }
        return try write { ctx in
            let contextIDs = try contexts.map { try ctx.upsertContext($0, reuseIfExists: reuseContextIfAlreadyExist) }
            var artifactIDs: [ArtifactID] = []
            for var artifact in artifacts {
                if reuseArtifactIfAlreadyExistByExternalID, artifact.id == nil, let ext = artifact.externalID, !ext.isEmpty,
                    let index = ctx.graph.artifacts.index(externalID: ext)
                {
                    artifact.id = ctx.graph.artifacts[Int(index)].id
                }
                artifactIDs.append(try ctx.upsert(artifact))
            }
            let executionIDs = try executions.map { try ctx.upsert($0) }
            for contextID in contextIDs {
                for id in executionIDs { try ctx.putAssociation(Association(contextID: contextID, executionID: id)) }
                for id in artifactIDs { try ctx.putAttribution(Attribution(contextID: contextID, artifactID: id)) }
            }
            for edge in edges {
                var event = edge.event
                if let i = edge.executionIndex { event.executionID = executionIDs[i] }
                if let i = edge.artifactIndex { event.artifactID = artifactIDs[i] }
                try ctx.putEvent(event)
            }
            return PutLineageSubgraphResult(executionIDs: executionIDs, artifactIDs: artifactIDs, contextIDs: contextIDs)
        }
    }
}

extension WriteContext {
    /// A context upsert that, when asked, reuses the existing context of the same type and name.
    mutating func upsertContext(_ context: Context, reuseIfExists: Bool) throws -> ContextID {
        if reuseIfExists, context.id == nil, let index = graph.contexts.index(typeID: context.typeID, name: context.name) {
            return graph.contexts.id(at: index)
        }
        return try upsert(context)
    }
}
