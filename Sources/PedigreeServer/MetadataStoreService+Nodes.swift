public import GRPCCore
public import PedigreeWire
internal import Pedigree
internal import SwiftProtobuf

// MLMD's node RPCs. Each family (PutXs, GetXs, GetXsByID, GetXsByType, GetXByTypeAndName,
// GetXsByExternalIds) is one generic function over the kind's wire message (`WireNode`); the
// handlers name only the fields that carry it.
extension MetadataStoreService {
    // MARK: Writes

    public func putArtifacts(request: MlMetadata_PutArtifactsRequest, context: ServerContext) async throws
        -> MlMetadata_PutArtifactsResponse
    {
        let abort = request.options.abortIfLatestUpdatedTimeChanged
        return try await put(request.artifacts, request.updateMask, into: \.artifactIds) {
            try $0.putArtifacts($1, updateMask: $2, abortIfLatestUpdatedTimeChanged: abort)
        }
    }

    public func putExecutions(request: MlMetadata_PutExecutionsRequest, context: ServerContext) async throws
        -> MlMetadata_PutExecutionsResponse
    {
        try await put(request.executions, request.updateMask, into: \.executionIds) { try $0.putExecutions($1, updateMask: $2) }
    }

    public func putContexts(request: MlMetadata_PutContextsRequest, context: ServerContext) async throws
        -> MlMetadata_PutContextsResponse
    {
        try await put(request.contexts, request.updateMask, into: \.contextIds) { try $0.putContexts($1, updateMask: $2) }
    }

    /// PutArtifacts, PutExecutions, PutContexts: `store` writes the nodes with the update mask's
    /// paths. An update may leave out `type_id` (the stored node keeps its type), as in
    /// ml-metadata: it is filled in from the snapshot. A node's type never changes, so any
    /// snapshot will do.
    private func put<W: WireNode, R: SwiftProtobuf.Message>(
        _ wire: [W], _ mask: Google_Protobuf_FieldMask, into field: WritableKeyPath<R, [Int64]>,
        _ store: @escaping @Sendable (MetadataStore, [W.Node], [String]) throws -> [W.Node.ID]
    ) async throws -> R {
        let g = self.store.snapshot
        let nodes: [W.Node]
        do {
            nodes = try wire.map { (w) throws(MetadataError) in
                var node = try W.Node(wire: w)
                if !w.hasTypeID, let id = node.id, let stored = g.node(id, as: W.Node.self) { node.typeID = stored.typeID }
                return node
            }
        } catch {
            throw rpcError(error)
        }
        let paths = mask.paths
        var response = R()
        response[keyPath: field] = try await write { try store($0, nodes, paths) }.map(\.rawValue)
        return response
    }

    // MARK: Reads

    public func getArtifacts(request: MlMetadata_GetArtifactsRequest, context: ServerContext) async throws
        -> MlMetadata_GetArtifactsResponse
    {
        try page(request, into: \.artifacts) { g, options in try g.nodes(options: options) }
    }

    public func getExecutions(request: MlMetadata_GetExecutionsRequest, context: ServerContext) async throws
        -> MlMetadata_GetExecutionsResponse
    {
        try page(request, into: \.executions) { g, options in try g.nodes(options: options) }
    }

    public func getContexts(request: MlMetadata_GetContextsRequest, context: ServerContext) async throws
        -> MlMetadata_GetContextsResponse
    {
        try page(request, into: \.contexts) { g, options in try g.nodes(options: options) }
    }

    public func getArtifactsByType(request: MlMetadata_GetArtifactsByTypeRequest, context: ServerContext) async throws
        -> MlMetadata_GetArtifactsByTypeResponse
    {
        try page(request, into: \.artifacts) { g, options in try nodes(ofType: request, options: options, in: g) }
    }

    public func getExecutionsByType(request: MlMetadata_GetExecutionsByTypeRequest, context: ServerContext) async throws
        -> MlMetadata_GetExecutionsByTypeResponse
    {
        try page(request, into: \.executions) { g, options in try nodes(ofType: request, options: options, in: g) }
    }

    public func getContextsByType(request: MlMetadata_GetContextsByTypeRequest, context: ServerContext) async throws
        -> MlMetadata_GetContextsByTypeResponse
    {
        try page(request, into: \.contexts) { g, options in try nodes(ofType: request, options: options, in: g) }
    }

    private func nodes<N: StoredNode>(ofType request: some TypeNameRequest, options: ListOptions?, in g: GraphSnapshot) throws -> Page<N> {
        try g.nodes(typeName: request.typeName, typeVersion: request.typeVersionIfSet, as: N.self, options: options)
    }

    /// The reads that answer a list of nodes a page at a time when asked: `list` gives the page.
    func page<W: WireNode, R: PagedResponse>(
        _ request: some ListRequest, into field: WritableKeyPath<R, [W]>,
        _ list: (GraphSnapshot, ListOptions?) throws -> Page<W.Node>
    ) throws -> R {
        try read { g in
            let page = try list(g, request.listOptions())
            var response = R()
            response[keyPath: field] = page.items.map { $0.wire(in: g) }
            if let token = page.nextPageToken { response.nextPageToken = token }
            return response
        }
    }

    public func getArtifactsByID(request: MlMetadata_GetArtifactsByIDRequest, context: ServerContext) async throws
        -> MlMetadata_GetArtifactsByIDResponse
    {
        try read { g in
            var response: MlMetadata_GetArtifactsByIDResponse = nodes(ids: request.artifactIds, into: \.artifacts, in: g)
            if request.populateArtifactTypes {
                var seen = Set<Int64>()
                response.artifactTypes = response.artifacts.compactMap { a in
                    seen.insert(a.typeID).inserted ? g.type(TypeID(a.typeID)).map { MlMetadata_ArtifactType($0) } : nil
                }
            }
            return response
        }
    }

    public func getExecutionsByID(request: MlMetadata_GetExecutionsByIDRequest, context: ServerContext) async throws
        -> MlMetadata_GetExecutionsByIDResponse
    {
        try read { g in nodes(ids: request.executionIds, into: \.executions, in: g) }
    }

    public func getContextsByID(request: MlMetadata_GetContextsByIDRequest, context: ServerContext) async throws
        -> MlMetadata_GetContextsByIDResponse
    {
        try read { g in nodes(ids: request.contextIds, into: \.contexts, in: g) }
    }

    /// GetArtifactsByID, GetExecutionsByID, GetContextsByID.
    private func nodes<W: WireNode, R: SwiftProtobuf.Message>(
        ids: [Int64], into field: WritableKeyPath<R, [W]>, in g: GraphSnapshot
    ) -> R {
        var response = R()
        response[keyPath: field] = g.nodes(ids: ids.map { W.Node.ID($0) }, as: W.Node.self).map { $0.wire(in: g) }
        return response
    }

    public func getArtifactByTypeAndName(request: MlMetadata_GetArtifactByTypeAndNameRequest, context: ServerContext) async throws
        -> MlMetadata_GetArtifactByTypeAndNameResponse
    {
        try node(request, named: request.artifactName, into: \.artifact)
    }

    public func getExecutionByTypeAndName(request: MlMetadata_GetExecutionByTypeAndNameRequest, context: ServerContext) async throws
        -> MlMetadata_GetExecutionByTypeAndNameResponse
    {
        try node(request, named: request.executionName, into: \.execution)
    }

    public func getContextByTypeAndName(request: MlMetadata_GetContextByTypeAndNameRequest, context: ServerContext) async throws
        -> MlMetadata_GetContextByTypeAndNameResponse
    {
        try node(request, named: request.contextName, into: \.context)
    }

    /// GetArtifactByTypeAndName, GetExecutionByTypeAndName, GetContextByTypeAndName: the field
    /// stays unset when there is no such node.
    private func node<W: WireNode, R: SwiftProtobuf.Message>(
        _ request: some TypeNameRequest, named name: String, into field: WritableKeyPath<R, W>
    ) throws -> R {
        try read { g in
            var response = R()
            if let n = g.node(typeName: request.typeName, typeVersion: request.typeVersionIfSet, name: name, as: W.Node.self) {
                response[keyPath: field] = n.wire(in: g)
            }
            return response
        }
    }

    public func getArtifactsByURI(request: MlMetadata_GetArtifactsByURIRequest, context: ServerContext) async throws
        -> MlMetadata_GetArtifactsByURIResponse
    {
        try nodes(into: \.artifacts) { g in
            Set(request.uris.flatMap { g.artifactIndices(uri: $0) })
                .sorted { g.artifactIDs[Int($0)] < g.artifactIDs[Int($1)] }.map { g.node(at: $0) }
        }
    }

    public func getArtifactsByExternalIds(request: MlMetadata_GetArtifactsByExternalIdsRequest, context: ServerContext) async throws
        -> MlMetadata_GetArtifactsByExternalIdsResponse
    {
        try nodes(into: \.artifacts) { g in try g.nodes(externalIDs: request.externalIds) }
    }

    public func getExecutionsByExternalIds(request: MlMetadata_GetExecutionsByExternalIdsRequest, context: ServerContext) async throws
        -> MlMetadata_GetExecutionsByExternalIdsResponse
    {
        try nodes(into: \.executions) { g in try g.nodes(externalIDs: request.externalIds) }
    }

    public func getContextsByExternalIds(request: MlMetadata_GetContextsByExternalIdsRequest, context: ServerContext) async throws
        -> MlMetadata_GetContextsByExternalIdsResponse
    {
        try nodes(into: \.contexts) { g in try g.nodes(externalIDs: request.externalIds) }
    }

    /// The reads that answer a whole list of nodes: `find` gives them.
    func nodes<W: WireNode, R: SwiftProtobuf.Message>(
        into field: WritableKeyPath<R, [W]>, _ find: (GraphSnapshot) throws -> [W.Node]
    ) throws -> R {
        try read { g in
            var response = R()
            response[keyPath: field] = try find(g).map { $0.wire(in: g) }
            return response
        }
    }
}
