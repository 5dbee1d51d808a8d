public import GRPCCore
public import PedigreeWire
internal import Pedigree
internal import SwiftProtobuf

// MLMD's RPCs of events, attributions, associations and parent contexts, and of the nodes reached
// through them.
extension MetadataStoreService {
    // MARK: Writes

    public func putEvents(request: MlMetadata_PutEventsRequest, context: ServerContext) async throws -> MlMetadata_PutEventsResponse {
        let events: [Event]
        do { events = try request.events.map { (e) throws(MetadataError) in try Event(wire: e) } } catch { throw rpcError(error) }
        try await write { try $0.putEvents(events) }
        return MlMetadata_PutEventsResponse()
    }

    public func putExecution(request: MlMetadata_PutExecutionRequest, context: ServerContext) async throws
        -> MlMetadata_PutExecutionResponse
    {
        guard request.hasExecution else {
            throw RPCError(code: .invalidArgument, message: "No execution is found: \(request.textFormatString())")
        }
        let execution: Execution
        let pairs: [MetadataStore.ArtifactAndEvent]
        let contexts: [Context]
        do {
            execution = try Execution(wire: request.execution)
            pairs = try request.artifactEventPairs.map { (p) throws(MetadataError) in
                MetadataStore.ArtifactAndEvent(
                    artifact: p.hasArtifact ? try Artifact(wire: p.artifact) : nil,
                    event: p.hasEvent ? try Event(wire: p.event) : nil)
            }
            contexts = try request.contexts.map(Self.upsertableContext)
        } catch { throw rpcError(error) }
        let o = request.options
        let result = try await write {
            try $0.putExecution(
                execution, artifactsAndEvents: pairs, contexts: contexts,
                reuseContextIfAlreadyExist: o.reuseContextIfAlreadyExist,
                reuseArtifactIfAlreadyExistByExternalID: o.reuseArtifactIfAlreadyExistByExternalID,
                forceUpdateTime: o.forceUpdateTime, forceReuseContext: o.forceReuseContext)
        }
        var response = MlMetadata_PutExecutionResponse()
        response.executionID = result.executionID.rawValue
        response.artifactIds = result.artifactIDs.map { $0?.rawValue ?? -1 }
        response.contextIds = result.contextIDs.map(\.rawValue)
        return response
    }

    public func putLineageSubgraph(request: MlMetadata_PutLineageSubgraphRequest, context: ServerContext) async throws
        -> MlMetadata_PutLineageSubgraphResponse
    {
        let executions: [Execution], artifacts: [Artifact], contexts: [Context], edges: [MetadataStore.EventEdge]
        do {
            executions = try request.executions.map { (x) throws(MetadataError) in try Execution(wire: x) }
            artifacts = try request.artifacts.map { (a) throws(MetadataError) in try Artifact(wire: a) }
            contexts = try request.contexts.map(Self.upsertableContext)
            edges = try request.eventEdges.map { (e) throws(MetadataError) in
                MetadataStore.EventEdge(
                    executionIndex: e.hasExecutionIndex ? Int(e.executionIndex) : nil,
                    artifactIndex: e.hasArtifactIndex ? Int(e.artifactIndex) : nil,
                    event: try Event(wire: e.event))
            }
        } catch { throw rpcError(error) }
        let o = request.options
        let result = try await write {
            try $0.putLineageSubgraph(
                executions: executions, artifacts: artifacts, contexts: contexts, edges: edges,
                reuseContextIfAlreadyExist: o.reuseContextIfAlreadyExist,
                reuseArtifactIfAlreadyExistByExternalID: o.reuseArtifactIfAlreadyExistByExternalID)
        }
        var response = MlMetadata_PutLineageSubgraphResponse()
        response.executionIds = result.executionIDs.map(\.rawValue)
        response.artifactIds = result.artifactIDs.map(\.rawValue)
        response.contextIds = result.contextIDs.map(\.rawValue)
        return response
    }

    public func putAttributionsAndAssociations(
        request: MlMetadata_PutAttributionsAndAssociationsRequest, context: ServerContext
    ) async throws -> MlMetadata_PutAttributionsAndAssociationsResponse {
        let attributions = request.attributions.map {
            Attribution(contextID: ContextID($0.contextID), artifactID: ArtifactID($0.artifactID))
        }
        let associations = request.associations.map {
            Association(contextID: ContextID($0.contextID), executionID: ExecutionID($0.executionID))
        }
        try await write { try $0.putAttributionsAndAssociations(attributions, associations) }
        return MlMetadata_PutAttributionsAndAssociationsResponse()
    }

    public func putParentContexts(request: MlMetadata_PutParentContextsRequest, context: ServerContext) async throws
        -> MlMetadata_PutParentContextsResponse
    {
        let links = request.parentContexts.map { ParentContext(childID: ContextID($0.childID), parentID: ContextID($0.parentID)) }
        try await write { try $0.putParentContexts(links) }
        return MlMetadata_PutParentContextsResponse()
    }

    /// A context of put_execution or put_lineage_subgraph: these need its type id and name even
    /// to update it (ml-metadata's UpsertContextWithOptions).
    private static func upsertableContext(_ c: MlMetadata_Context) throws(MetadataError) -> Context {
        guard c.hasTypeID else { throw .invalidArgument("Context is missing a type_id: \(c.textFormatString())") }
        guard c.hasName else { throw .invalidArgument("Context is missing a name: \(c.textFormatString())") }
        return try Context(wire: c)
    }


    // MARK: Reads

    public func getEventsByExecutionIDs(request: MlMetadata_GetEventsByExecutionIDsRequest, context: ServerContext) async throws
        -> MlMetadata_GetEventsByExecutionIDsResponse
    {
        try read { g in .with { $0.events = g.events(executionIDs: request.executionIds.map(ExecutionID.init)).map(\.wire) } }
    }

    public func getEventsByArtifactIDs(request: MlMetadata_GetEventsByArtifactIDsRequest, context: ServerContext) async throws
        -> MlMetadata_GetEventsByArtifactIDsResponse
    {
        try read { g in .with { $0.events = g.events(artifactIDs: request.artifactIds.map(ArtifactID.init)).map(\.wire) } }
    }

    /// NotFound when the artifact is in no context (or does not exist), as ml-metadata answers.
    public func getContextsByArtifact(request: MlMetadata_GetContextsByArtifactRequest, context: ServerContext) async throws
        -> MlMetadata_GetContextsByArtifactResponse
    {
        try nodes(into: \.contexts) { g in try g.contexts(artifact: ArtifactID(request.artifactID)) }
    }

    /// NotFound when the execution is in no context (or does not exist), as ml-metadata answers.
    public func getContextsByExecution(request: MlMetadata_GetContextsByExecutionRequest, context: ServerContext) async throws
        -> MlMetadata_GetContextsByExecutionResponse
    {
        try nodes(into: \.contexts) { g in try g.contexts(execution: ExecutionID(request.executionID)) }
    }

    public func getArtifactsByContext(request: MlMetadata_GetArtifactsByContextRequest, context: ServerContext) async throws
        -> MlMetadata_GetArtifactsByContextResponse
    {
        try page(request, into: \.artifacts) { g, options in try g.artifacts(context: ContextID(request.contextID), options: options) }
    }

    public func getExecutionsByContext(request: MlMetadata_GetExecutionsByContextRequest, context: ServerContext) async throws
        -> MlMetadata_GetExecutionsByContextResponse
    {
        try page(request, into: \.executions) { g, options in try g.executions(context: ContextID(request.contextID), options: options) }
    }

    public func getParentContextsByContext(request: MlMetadata_GetParentContextsByContextRequest, context: ServerContext) async throws
        -> MlMetadata_GetParentContextsByContextResponse
    {
        try nodes(into: \.contexts) { g in g.parentContexts(of: ContextID(request.contextID)) }
    }

    public func getChildrenContextsByContext(request: MlMetadata_GetChildrenContextsByContextRequest, context: ServerContext) async throws
        -> MlMetadata_GetChildrenContextsByContextResponse
    {
        try nodes(into: \.contexts) { g in g.childContexts(of: ContextID(request.contextID)) }
    }

    public func getParentContextsByContexts(request: MlMetadata_GetParentContextsByContextsRequest, context: ServerContext) async throws
        -> MlMetadata_GetParentContextsByContextsResponse
    {
        try read { g in .with { $0.contexts = related(request.contextIds, into: \.parentContexts, in: g) { g.parentContexts(of: $0) } } }
    }

    public func getChildrenContextsByContexts(
        request: MlMetadata_GetChildrenContextsByContextsRequest, context: ServerContext
    ) async throws -> MlMetadata_GetChildrenContextsByContextsResponse {
        try read { g in .with { $0.contexts = related(request.contextIds, into: \.childrenContexts, in: g) { g.childContexts(of: $0) } } }
    }

    /// GetParentContextsByContexts, GetChildrenContextsByContexts: for each context that has any,
    /// an entry with the contexts `find` gives.
    private func related<Entry: SwiftProtobuf.Message>(
        _ ids: [Int64], into field: WritableKeyPath<Entry, [MlMetadata_Context]>, in g: GraphSnapshot,
        _ find: (ContextID) -> [Context]
    ) -> [Int64: Entry] {
        var entries: [Int64: Entry] = [:]
        for id in Set(ids) {
            let found = find(ContextID(id))
            guard !found.isEmpty else { continue }
            var entry = Entry()
            entry[keyPath: field] = found.map { $0.wire(in: g) }
            entries[id] = entry
        }
        return entries
    }
}
