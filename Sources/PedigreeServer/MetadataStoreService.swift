internal import Foundation
public import GRPCCore
public import Pedigree
public import PedigreeWire
internal import SwiftProtobuf

/// ml-metadata's `MetadataStoreService` on a Pedigree store: every RPC, with MLMD's semantics and
/// status codes. Writes go through the store's single writer, off the cooperative pool; reads are
/// answered from the snapshot current when the call starts and never wait for a write.
public struct MetadataStoreService: MlMetadata_MetadataStoreService.SimpleServiceProtocol {
    public let store: MetadataStore
    public let lineage: LineageLimits

    public init(store: MetadataStore, lineage: LineageLimits = LineageLimits()) {
        self.store = store
        self.lineage = lineage
    }

    // MARK: Plumbing

    /// Runs a write on the store's writer queue; maps errors to statuses.
    private func write<T: Sendable>(_ body: @escaping @Sendable (MetadataStore) throws -> T) async throws -> T {
        do {
            return try await store.perform(body)
        } catch {
            throw rpcError(error)
        }
    }

    /// Answers from the current snapshot; maps errors to statuses.
    private func read<T>(_ body: (GraphSnapshot) throws -> T) throws -> T {
        do {
            return try body(store.snapshot)
        } catch {
            throw rpcError(error)
        }
    }

    // MARK: Types

    private func putType<W: WireType & Sendable>(
        _ wire: W, canAdd: Bool, canOmit: Bool, canDelete: Bool, allFieldsMatch: Bool, convert: (W) throws(MetadataError) -> NodeType
    ) async throws -> Int64 {
        try checkTypeFlags(canDelete: canDelete, allFieldsMatch: allFieldsMatch)
        let type: NodeType
        do { type = try convert(wire) } catch { throw rpcError(error) }
        return try await write { try $0.putType(type, canAddFields: canAdd, canOmitFields: canOmit) }.rawValue
    }

    private func checkTypeFlags(canDelete: Bool, allFieldsMatch: Bool) throws {
        if !allFieldsMatch { throw RPCError(code: .unimplemented, message: "Must match all fields.") }
        if canDelete { throw RPCError(code: .unimplemented, message: "Deleting fields is not supported.") }
    }

    public func putArtifactType(request: MlMetadata_PutArtifactTypeRequest, context: ServerContext) async throws
        -> MlMetadata_PutArtifactTypeResponse
    {
        var response = MlMetadata_PutArtifactTypeResponse()
        response.typeID = try await putType(
            request.artifactType, canAdd: request.canAddFields, canOmit: request.canOmitFields,
            canDelete: request.canDeleteFields, allFieldsMatch: request.allFieldsMatch, convert: NodeType.init(wire:))
        return response
    }

    public func putExecutionType(request: MlMetadata_PutExecutionTypeRequest, context: ServerContext) async throws
        -> MlMetadata_PutExecutionTypeResponse
    {
        var response = MlMetadata_PutExecutionTypeResponse()
        response.typeID = try await putType(
            request.executionType, canAdd: request.canAddFields, canOmit: request.canOmitFields,
            canDelete: request.canDeleteFields, allFieldsMatch: request.allFieldsMatch, convert: NodeType.init(executionType:))
        return response
    }

    public func putContextType(request: MlMetadata_PutContextTypeRequest, context: ServerContext) async throws
        -> MlMetadata_PutContextTypeResponse
    {
        var response = MlMetadata_PutContextTypeResponse()
        response.typeID = try await putType(
            request.contextType, canAdd: request.canAddFields, canOmit: request.canOmitFields,
            canDelete: request.canDeleteFields, allFieldsMatch: request.allFieldsMatch, convert: NodeType.init(wire:))
        return response
    }

    public func putTypes(request: MlMetadata_PutTypesRequest, context: ServerContext) async throws -> MlMetadata_PutTypesResponse {
        try checkTypeFlags(canDelete: request.canDeleteFields, allFieldsMatch: request.allFieldsMatch)
        let types: [NodeType]
        do {
            types = try request.artifactTypes.map { (t) throws(MetadataError) in try NodeType(wire: t) }
                + request.executionTypes.map { (t) throws(MetadataError) in try NodeType(executionType: t) }
                + request.contextTypes.map { (t) throws(MetadataError) in try NodeType(wire: t) }
        } catch { throw rpcError(error) }
        let (canAdd, canOmit) = (request.canAddFields, request.canOmitFields)
        let ids = try await write { try $0.putTypes(types, canAddFields: canAdd, canOmitFields: canOmit) }.map(\.rawValue)
        var response = MlMetadata_PutTypesResponse()
        let a = request.artifactTypes.count, x = request.executionTypes.count
        response.artifactTypeIds = Array(ids[0..<a])
        response.executionTypeIds = Array(ids[a..<(a + x)])
        response.contextTypeIds = Array(ids[(a + x)...])
        return response
    }

    /// MLMD's GetXType: by name and version; NotFound when there is none.
    private func type(_ kind: NodeKind, name: String, version: String?, in g: GraphSnapshot) throws -> NodeType {
        let version = version?.isEmpty == true ? nil : version
        guard let type = g.type(kind: kind, name: name, version: version) else {
            throw MetadataError.notFound(
                "No type found for query, name: `\(name)`, version: `\(version.map { "\($0)" } ?? "nullopt")`")
        }
        return type
    }

    public func getArtifactType(request: MlMetadata_GetArtifactTypeRequest, context: ServerContext) async throws
        -> MlMetadata_GetArtifactTypeResponse
    {
        try read { g in
            var response = MlMetadata_GetArtifactTypeResponse()
            response.artifactType = try type(.artifact, name: request.typeName, version: request.hasTypeVersion ? request.typeVersion : nil, in: g).wire()
            return response
        }
    }

    public func getExecutionType(request: MlMetadata_GetExecutionTypeRequest, context: ServerContext) async throws
        -> MlMetadata_GetExecutionTypeResponse
    {
        try read { g in
            var response = MlMetadata_GetExecutionTypeResponse()
            response.executionType = try type(.execution, name: request.typeName, version: request.hasTypeVersion ? request.typeVersion : nil, in: g).wireExecutionType
            return response
        }
    }

    public func getContextType(request: MlMetadata_GetContextTypeRequest, context: ServerContext) async throws
        -> MlMetadata_GetContextTypeResponse
    {
        try read { g in
            var response = MlMetadata_GetContextTypeResponse()
            response.contextType = try type(.context, name: request.typeName, version: request.hasTypeVersion ? request.typeVersion : nil, in: g).wire()
            return response
        }
    }

    public func getArtifactTypesByID(request: MlMetadata_GetArtifactTypesByIDRequest, context: ServerContext) async throws
        -> MlMetadata_GetArtifactTypesByIDResponse
    {
        try read { g in
            var response = MlMetadata_GetArtifactTypesByIDResponse()
            response.artifactTypes = g.types(ids: request.typeIds.map(TypeID.init), kind: .artifact).map { $0.wire() }
            return response
        }
    }

    public func getExecutionTypesByID(request: MlMetadata_GetExecutionTypesByIDRequest, context: ServerContext) async throws
        -> MlMetadata_GetExecutionTypesByIDResponse
    {
        try read { g in
            var response = MlMetadata_GetExecutionTypesByIDResponse()
            response.executionTypes = g.types(ids: request.typeIds.map(TypeID.init), kind: .execution).map(\.wireExecutionType)
            return response
        }
    }

    public func getContextTypesByID(request: MlMetadata_GetContextTypesByIDRequest, context: ServerContext) async throws
        -> MlMetadata_GetContextTypesByIDResponse
    {
        try read { g in
            var response = MlMetadata_GetContextTypesByIDResponse()
            response.contextTypes = g.types(ids: request.typeIds.map(TypeID.init), kind: .context).map { $0.wire() }
            return response
        }
    }

    public func getArtifactTypes(request: MlMetadata_GetArtifactTypesRequest, context: ServerContext) async throws
        -> MlMetadata_GetArtifactTypesResponse
    {
        try read { g in
            var response = MlMetadata_GetArtifactTypesResponse()
            response.artifactTypes = g.listTypes(.artifact).map { $0.wire() }
            return response
        }
    }

    public func getExecutionTypes(request: MlMetadata_GetExecutionTypesRequest, context: ServerContext) async throws
        -> MlMetadata_GetExecutionTypesResponse
    {
        try read { g in
            var response = MlMetadata_GetExecutionTypesResponse()
            response.executionTypes = g.listTypes(.execution).map(\.wireExecutionType)
            return response
        }
    }

    public func getContextTypes(request: MlMetadata_GetContextTypesRequest, context: ServerContext) async throws
        -> MlMetadata_GetContextTypesResponse
    {
        try read { g in
            var response = MlMetadata_GetContextTypesResponse()
            response.contextTypes = g.listTypes(.context).map { $0.wire() }
            return response
        }
    }

    public func getArtifactTypesByExternalIds(
        request: MlMetadata_GetArtifactTypesByExternalIdsRequest, context: ServerContext
    ) async throws -> MlMetadata_GetArtifactTypesByExternalIdsResponse {
        try read { g in
            var response = MlMetadata_GetArtifactTypesByExternalIdsResponse()
            response.artifactTypes = try g.types(externalIDs: request.externalIds, kind: .artifact).map { $0.wire() }
            return response
        }
    }

    public func getExecutionTypesByExternalIds(
        request: MlMetadata_GetExecutionTypesByExternalIdsRequest, context: ServerContext
    ) async throws -> MlMetadata_GetExecutionTypesByExternalIdsResponse {
        try read { g in
            var response = MlMetadata_GetExecutionTypesByExternalIdsResponse()
            response.executionTypes = try g.types(externalIDs: request.externalIds, kind: .execution).map(\.wireExecutionType)
            return response
        }
    }

    public func getContextTypesByExternalIds(
        request: MlMetadata_GetContextTypesByExternalIdsRequest, context: ServerContext
    ) async throws -> MlMetadata_GetContextTypesByExternalIdsResponse {
        try read { g in
            var response = MlMetadata_GetContextTypesByExternalIdsResponse()
            response.contextTypes = try g.types(externalIDs: request.externalIds, kind: .context).map { $0.wire() }
            return response
        }
    }

    // MARK: Node writes

    /// The nodes of a PutArtifacts / PutExecutions / PutContexts request. An update may leave out
    /// `type_id` (the stored node keeps its type), as in ml-metadata: it is filled in from the
    /// snapshot. A node's type never changes, so any snapshot will do.
    private func nodes<W, N: StoredNode>(
        _ wire: [W], _ hasTypeID: KeyPath<W, Bool>, _ convert: (W) throws(MetadataError) -> N
    ) throws -> [N] {
        let g = store.snapshot
        do {
            return try wire.map { (w) throws(MetadataError) in
                var node = try convert(w)
                if !w[keyPath: hasTypeID], let id = node.id, let stored: N = g.node(id) { node.typeID = stored.typeID }
                return node
            }
        } catch {
            throw rpcError(error)
        }
    }

    public func putArtifacts(request: MlMetadata_PutArtifactsRequest, context: ServerContext) async throws
        -> MlMetadata_PutArtifactsResponse
    {
        let artifacts = try nodes(request.artifacts, \.hasTypeID, Artifact.init(wire:))
        let mask = request.updateMask.paths
        let abort = request.options.abortIfLatestUpdatedTimeChanged
        var response = MlMetadata_PutArtifactsResponse()
        response.artifactIds = try await write {
            try $0.putArtifacts(artifacts, updateMask: mask, abortIfLatestUpdatedTimeChanged: abort)
        }.map(\.rawValue)
        return response
    }

    public func putExecutions(request: MlMetadata_PutExecutionsRequest, context: ServerContext) async throws
        -> MlMetadata_PutExecutionsResponse
    {
        let executions = try nodes(request.executions, \.hasTypeID, Execution.init(wire:))
        let mask = request.updateMask.paths
        var response = MlMetadata_PutExecutionsResponse()
        response.executionIds = try await write { try $0.putExecutions(executions, updateMask: mask) }.map(\.rawValue)
        return response
    }

    public func putContexts(request: MlMetadata_PutContextsRequest, context: ServerContext) async throws
        -> MlMetadata_PutContextsResponse
    {
        let contexts = try nodes(request.contexts, \.hasTypeID, Context.init(wire:))
        let mask = request.updateMask.paths
        var response = MlMetadata_PutContextsResponse()
        response.contextIds = try await write { try $0.putContexts(contexts, updateMask: mask) }.map(\.rawValue)
        return response
    }

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

    // MARK: Node reads

    public func getArtifacts(request: MlMetadata_GetArtifactsRequest, context: ServerContext) async throws
        -> MlMetadata_GetArtifactsResponse
    {
        try read { g in
            let page = try g.nodes(as: Artifact.self, options: request.hasOptions ? ListOptions(wire: request.options) : nil)
            var response = MlMetadata_GetArtifactsResponse()
            response.artifacts = page.items.map { $0.wire(in: g) }
            if let token = page.nextPageToken { response.nextPageToken = token }
            return response
        }
    }

    public func getExecutions(request: MlMetadata_GetExecutionsRequest, context: ServerContext) async throws
        -> MlMetadata_GetExecutionsResponse
    {
        try read { g in
            let page = try g.nodes(as: Execution.self, options: request.hasOptions ? ListOptions(wire: request.options) : nil)
            var response = MlMetadata_GetExecutionsResponse()
            response.executions = page.items.map { $0.wire(in: g) }
            if let token = page.nextPageToken { response.nextPageToken = token }
            return response
        }
    }

    public func getContexts(request: MlMetadata_GetContextsRequest, context: ServerContext) async throws
        -> MlMetadata_GetContextsResponse
    {
        try read { g in
            let page = try g.nodes(as: Context.self, options: request.hasOptions ? ListOptions(wire: request.options) : nil)
            var response = MlMetadata_GetContextsResponse()
            response.contexts = page.items.map { $0.wire(in: g) }
            if let token = page.nextPageToken { response.nextPageToken = token }
            return response
        }
    }

    public func getArtifactsByID(request: MlMetadata_GetArtifactsByIDRequest, context: ServerContext) async throws
        -> MlMetadata_GetArtifactsByIDResponse
    {
        try read { g in
            var response = MlMetadata_GetArtifactsByIDResponse()
            let artifacts = g.nodes(ids: request.artifactIds.map(ArtifactID.init), as: Artifact.self)
            response.artifacts = artifacts.map { $0.wire(in: g) }
            if request.populateArtifactTypes {
                var seen = Set<TypeID>()
                response.artifactTypes = artifacts.compactMap { a in
                    seen.insert(a.typeID).inserted ? g.type(a.typeID).map { $0.wire() } : nil
                }
            }
            return response
        }
    }

    public func getExecutionsByID(request: MlMetadata_GetExecutionsByIDRequest, context: ServerContext) async throws
        -> MlMetadata_GetExecutionsByIDResponse
    {
        try read { g in
            var response = MlMetadata_GetExecutionsByIDResponse()
            response.executions = g.nodes(ids: request.executionIds.map(ExecutionID.init), as: Execution.self).map { $0.wire(in: g) }
            return response
        }
    }

    public func getContextsByID(request: MlMetadata_GetContextsByIDRequest, context: ServerContext) async throws
        -> MlMetadata_GetContextsByIDResponse
    {
        try read { g in
            var response = MlMetadata_GetContextsByIDResponse()
            response.contexts = g.nodes(ids: request.contextIds.map(ContextID.init), as: Context.self).map { $0.wire(in: g) }
            return response
        }
    }

    public func getArtifactsByType(request: MlMetadata_GetArtifactsByTypeRequest, context: ServerContext) async throws
        -> MlMetadata_GetArtifactsByTypeResponse
    {
        try read { g in
            let page = try g.nodes(
                typeName: request.typeName, typeVersion: request.hasTypeVersion ? request.typeVersion : nil, as: Artifact.self,
                options: request.hasOptions ? ListOptions(wire: request.options) : nil)
            var response = MlMetadata_GetArtifactsByTypeResponse()
            response.artifacts = page.items.map { $0.wire(in: g) }
            if let token = page.nextPageToken { response.nextPageToken = token }
            return response
        }
    }

    public func getExecutionsByType(request: MlMetadata_GetExecutionsByTypeRequest, context: ServerContext) async throws
        -> MlMetadata_GetExecutionsByTypeResponse
    {
        try read { g in
            let page = try g.nodes(
                typeName: request.typeName, typeVersion: request.hasTypeVersion ? request.typeVersion : nil, as: Execution.self,
                options: request.hasOptions ? ListOptions(wire: request.options) : nil)
            var response = MlMetadata_GetExecutionsByTypeResponse()
            response.executions = page.items.map { $0.wire(in: g) }
            if let token = page.nextPageToken { response.nextPageToken = token }
            return response
        }
    }

    public func getContextsByType(request: MlMetadata_GetContextsByTypeRequest, context: ServerContext) async throws
        -> MlMetadata_GetContextsByTypeResponse
    {
        try read { g in
            let page = try g.nodes(
                typeName: request.typeName, typeVersion: request.hasTypeVersion ? request.typeVersion : nil, as: Context.self,
                options: request.hasOptions ? ListOptions(wire: request.options) : nil)
            var response = MlMetadata_GetContextsByTypeResponse()
            response.contexts = page.items.map { $0.wire(in: g) }
            if let token = page.nextPageToken { response.nextPageToken = token }
            return response
        }
    }

    public func getArtifactByTypeAndName(request: MlMetadata_GetArtifactByTypeAndNameRequest, context: ServerContext) async throws
        -> MlMetadata_GetArtifactByTypeAndNameResponse
    {
        try read { g in
            var response = MlMetadata_GetArtifactByTypeAndNameResponse()
            if let a = g.node(
                typeName: request.typeName, typeVersion: request.hasTypeVersion ? request.typeVersion : nil,
                name: request.artifactName, as: Artifact.self)
            {
                response.artifact = a.wire(in: g)
            }
            return response
        }
    }

    public func getExecutionByTypeAndName(request: MlMetadata_GetExecutionByTypeAndNameRequest, context: ServerContext) async throws
        -> MlMetadata_GetExecutionByTypeAndNameResponse
    {
        try read { g in
            var response = MlMetadata_GetExecutionByTypeAndNameResponse()
            if let x = g.node(
                typeName: request.typeName, typeVersion: request.hasTypeVersion ? request.typeVersion : nil,
                name: request.executionName, as: Execution.self)
            {
                response.execution = x.wire(in: g)
            }
            return response
        }
    }

    public func getContextByTypeAndName(request: MlMetadata_GetContextByTypeAndNameRequest, context: ServerContext) async throws
        -> MlMetadata_GetContextByTypeAndNameResponse
    {
        try read { g in
            var response = MlMetadata_GetContextByTypeAndNameResponse()
            if let c = g.node(
                typeName: request.typeName, typeVersion: request.hasTypeVersion ? request.typeVersion : nil,
                name: request.contextName, as: Context.self)
            {
                response.context = c.wire(in: g)
            }
            return response
        }
    }

    public func getArtifactsByURI(request: MlMetadata_GetArtifactsByURIRequest, context: ServerContext) async throws
        -> MlMetadata_GetArtifactsByURIResponse
    {
        try read { g in
            var response = MlMetadata_GetArtifactsByURIResponse()
            var seen = Set<ArtifactID>()
            response.artifacts = Set(request.uris).sorted().flatMap { g.artifacts(uri: $0) }
                .filter { seen.insert($0.id!).inserted }.sorted { $0.id! < $1.id! }.map { $0.wire(in: g) }
            return response
        }
    }

    public func getArtifactsByExternalIds(request: MlMetadata_GetArtifactsByExternalIdsRequest, context: ServerContext) async throws
        -> MlMetadata_GetArtifactsByExternalIdsResponse
    {
        try read { g in
            var response = MlMetadata_GetArtifactsByExternalIdsResponse()
            response.artifacts = try g.nodes(externalIDs: request.externalIds, as: Artifact.self).map { $0.wire(in: g) }
            return response
        }
    }

    public func getExecutionsByExternalIds(request: MlMetadata_GetExecutionsByExternalIdsRequest, context: ServerContext) async throws
        -> MlMetadata_GetExecutionsByExternalIdsResponse
    {
        try read { g in
            var response = MlMetadata_GetExecutionsByExternalIdsResponse()
            response.executions = try g.nodes(externalIDs: request.externalIds, as: Execution.self).map { $0.wire(in: g) }
            return response
        }
    }

    public func getContextsByExternalIds(request: MlMetadata_GetContextsByExternalIdsRequest, context: ServerContext) async throws
        -> MlMetadata_GetContextsByExternalIdsResponse
    {
        try read { g in
            var response = MlMetadata_GetContextsByExternalIdsResponse()
            response.contexts = try g.nodes(externalIDs: request.externalIds, as: Context.self).map { $0.wire(in: g) }
            return response
        }
    }

    // MARK: Edges and contexts

    public func getEventsByExecutionIDs(request: MlMetadata_GetEventsByExecutionIDsRequest, context: ServerContext) async throws
        -> MlMetadata_GetEventsByExecutionIDsResponse
    {
        try read { g in
            var response = MlMetadata_GetEventsByExecutionIDsResponse()
            response.events = g.events(executionIDs: request.executionIds.map(ExecutionID.init)).map(\.wire)
            return response
        }
    }

    public func getEventsByArtifactIDs(request: MlMetadata_GetEventsByArtifactIDsRequest, context: ServerContext) async throws
        -> MlMetadata_GetEventsByArtifactIDsResponse
    {
        try read { g in
            var response = MlMetadata_GetEventsByArtifactIDsResponse()
            response.events = g.events(artifactIDs: request.artifactIds.map(ArtifactID.init)).map(\.wire)
            return response
        }
    }

    public func getContextsByArtifact(request: MlMetadata_GetContextsByArtifactRequest, context: ServerContext) async throws
        -> MlMetadata_GetContextsByArtifactResponse
    {
        try read { g in
            var response = MlMetadata_GetContextsByArtifactResponse()
            // NotFound when the artifact is in no context (or does not exist), as ml-metadata answers.
            response.contexts = try g.contexts(artifact: ArtifactID(request.artifactID)).map { $0.wire(in: g) }
            return response
        }
    }

    public func getContextsByExecution(request: MlMetadata_GetContextsByExecutionRequest, context: ServerContext) async throws
        -> MlMetadata_GetContextsByExecutionResponse
    {
        try read { g in
            var response = MlMetadata_GetContextsByExecutionResponse()
            // NotFound when the execution is in no context (or does not exist), as ml-metadata answers.
            response.contexts = try g.contexts(execution: ExecutionID(request.executionID)).map { $0.wire(in: g) }
            return response
        }
    }

    public func getParentContextsByContext(request: MlMetadata_GetParentContextsByContextRequest, context: ServerContext) async throws
        -> MlMetadata_GetParentContextsByContextResponse
    {
        try read { g in
            var response = MlMetadata_GetParentContextsByContextResponse()
            response.contexts = g.parentContexts(of: ContextID(request.contextID)).map { $0.wire(in: g) }
            return response
        }
    }

    public func getChildrenContextsByContext(request: MlMetadata_GetChildrenContextsByContextRequest, context: ServerContext) async throws
        -> MlMetadata_GetChildrenContextsByContextResponse
    {
        try read { g in
            var response = MlMetadata_GetChildrenContextsByContextResponse()
            response.contexts = g.childContexts(of: ContextID(request.contextID)).map { $0.wire(in: g) }
            return response
        }
    }

    public func getParentContextsByContexts(request: MlMetadata_GetParentContextsByContextsRequest, context: ServerContext) async throws
        -> MlMetadata_GetParentContextsByContextsResponse
    {
        try read { g in
            var response = MlMetadata_GetParentContextsByContextsResponse()
            for id in Set(request.contextIds) {
                let parents = g.parentContexts(of: ContextID(id))
                guard !parents.isEmpty else { continue }
                var entry = MlMetadata_GetParentContextsByContextsResponse.ParentContextsPerChild()
                entry.parentContexts = parents.map { $0.wire(in: g) }
                response.contexts[id] = entry
            }
            return response
        }
    }

    public func getChildrenContextsByContexts(
        request: MlMetadata_GetChildrenContextsByContextsRequest, context: ServerContext
    ) async throws -> MlMetadata_GetChildrenContextsByContextsResponse {
        try read { g in
            var response = MlMetadata_GetChildrenContextsByContextsResponse()
            for id in Set(request.contextIds) {
                let children = g.childContexts(of: ContextID(id))
                guard !children.isEmpty else { continue }
                var entry = MlMetadata_GetChildrenContextsByContextsResponse.ChildrenContextsPerParent()
                entry.childrenContexts = children.map { $0.wire(in: g) }
                response.contexts[id] = entry
            }
            return response
        }
    }

    public func getArtifactsByContext(request: MlMetadata_GetArtifactsByContextRequest, context: ServerContext) async throws
        -> MlMetadata_GetArtifactsByContextResponse
    {
        try read { g in
            let page = try g.artifacts(
                context: ContextID(request.contextID), options: request.hasOptions ? ListOptions(wire: request.options) : nil)
            var response = MlMetadata_GetArtifactsByContextResponse()
            response.artifacts = page.items.map { $0.wire(in: g) }
            if let token = page.nextPageToken { response.nextPageToken = token }
            return response
        }
    }

    public func getExecutionsByContext(request: MlMetadata_GetExecutionsByContextRequest, context: ServerContext) async throws
        -> MlMetadata_GetExecutionsByContextResponse
    {
        try read { g in
            let page = try g.executions(
                context: ContextID(request.contextID), options: request.hasOptions ? ListOptions(wire: request.options) : nil)
            var response = MlMetadata_GetExecutionsByContextResponse()
            response.executions = page.items.map { $0.wire(in: g) }
            if let token = page.nextPageToken { response.nextPageToken = token }
            return response
        }
    }

    // MARK: Lineage

    public func getLineageGraph(request: MlMetadata_GetLineageGraphRequest, context: ServerContext) async throws
        -> MlMetadata_GetLineageGraphResponse
    {
        try read { g in
            var response = MlMetadata_GetLineageGraphResponse()
            response.subgraph = try MLMDLineage(snapshot: g, limits: lineage).lineageGraph(request.options)
            return response
        }
    }

    public func getLineageSubgraph(request: MlMetadata_GetLineageSubgraphRequest, context: ServerContext) async throws
        -> MlMetadata_GetLineageSubgraphResponse
    {
        try read { g in
            var response = MlMetadata_GetLineageSubgraphResponse()
            response.lineageSubgraph = try MLMDLineage(snapshot: g, limits: lineage).lineageSubgraph(
                request.lineageSubgraphQueryOptions, readMask: request.readMask.paths)
            return response
        }
    }
}

extension ListOptions {
    init(wire o: MlMetadata_ListOperationOptions) throws(MetadataError) {
        let field: OrderField =
            switch o.orderByField.field {
            case .createTime: .createTime
            case .lastUpdateTime: .updateTime
            case .id, .unspecified: .id
            }
        self.init(
            maxResultSize: Int(o.maxResultSize), orderBy: o.hasOrderByField ? field : .id,
            ascending: o.hasOrderByField ? o.orderByField.isAsc : true,
            nextPageToken: o.hasNextPageToken ? o.nextPageToken : nil, filterQuery: o.hasFilterQuery ? o.filterQuery : nil)
    }
}

/// Maps errors to gRPC statuses: MLMD's codes carry over one to one.
func rpcError(_ error: any Error) -> RPCError {
    switch error {
    case let e as RPCError: return e
    case let e as MetadataError: return RPCError(code: e.code.rpcCode, message: e.message)
    case let e as QueryError: return e.rpcError
    default: return RPCError(code: .internalError, message: String(describing: error))
    }
}

extension MetadataError.Code {
    var rpcCode: RPCError.Code {
        switch self {
        case .invalidArgument: .invalidArgument
        case .alreadyExists: .alreadyExists
        case .notFound: .notFound
        case .failedPrecondition: .failedPrecondition
        case .aborted: .aborted
        case .dataLoss: .dataLoss
        case .cancelled: .cancelled
        case .deadlineExceeded: .deadlineExceeded
        case .resourceExhausted: .resourceExhausted
        case .unimplemented: .unimplemented
        case .internal: .internalError
        }
    }
}
