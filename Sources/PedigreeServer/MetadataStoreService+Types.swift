public import GRPCCore
public import PedigreeWire
internal import Pedigree
internal import SwiftProtobuf

// MLMD's type RPCs. Each family (PutXType, GetXType, GetXTypesByID, GetXTypes,
// GetXTypesByExternalIds) is one generic function over the kind's wire type message; the handlers
// name only the fields that carry it.
extension MetadataStoreService {
    // MARK: Writes

    public func putArtifactType(request: MlMetadata_PutArtifactTypeRequest, context: ServerContext) async throws
        -> MlMetadata_PutArtifactTypeResponse
    {
        try await putType(request.artifactType, request, into: \.typeID)
    }

    public func putExecutionType(request: MlMetadata_PutExecutionTypeRequest, context: ServerContext) async throws
        -> MlMetadata_PutExecutionTypeResponse
    {
        try await putType(request.executionType, request, into: \.typeID)
    }

    public func putContextType(request: MlMetadata_PutContextTypeRequest, context: ServerContext) async throws
        -> MlMetadata_PutContextTypeResponse
    {
        try await putType(request.contextType, request, into: \.typeID)
    }

    public func putTypes(request: MlMetadata_PutTypesRequest, context: ServerContext) async throws -> MlMetadata_PutTypesResponse {
        try checkTypeFlags(request)
        let types: [NodeType]
        do {
            types = try nodeTypes(request.artifactTypes) + nodeTypes(request.executionTypes) + nodeTypes(request.contextTypes)
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

    /// PutArtifactType, PutExecutionType, PutContextType.
    private func putType<W: WireType, R: SwiftProtobuf.Message>(
        _ wire: W, _ request: some TypeWriteRequest, into field: WritableKeyPath<R, Int64>
    ) async throws -> R {
        try checkTypeFlags(request)
        let type: NodeType
        do { type = try wire.nodeType() } catch { throw rpcError(error) }
        let (canAdd, canOmit) = (request.canAddFields, request.canOmitFields)
        var response = R()
        response[keyPath: field] = try await write { try $0.putType(type, canAddFields: canAdd, canOmitFields: canOmit) }.rawValue
        return response
    }

    private func checkTypeFlags(_ request: some TypeWriteRequest) throws {
        if !request.allFieldsMatch { throw RPCError(code: .unimplemented, message: "Must match all fields.") }
        if request.canDeleteFields { throw RPCError(code: .unimplemented, message: "Deleting fields is not supported.") }
    }

    private func nodeTypes<W: WireType>(_ wire: [W]) throws(MetadataError) -> [NodeType] {
        try wire.map { (t) throws(MetadataError) in try t.nodeType() }
    }

    // MARK: Reads

    public func getArtifactType(request: MlMetadata_GetArtifactTypeRequest, context: ServerContext) async throws
        -> MlMetadata_GetArtifactTypeResponse
    {
        try type(request, into: \.artifactType)
    }

    public func getExecutionType(request: MlMetadata_GetExecutionTypeRequest, context: ServerContext) async throws
        -> MlMetadata_GetExecutionTypeResponse
    {
        try type(request, into: \.executionType)
    }

    public func getContextType(request: MlMetadata_GetContextTypeRequest, context: ServerContext) async throws
        -> MlMetadata_GetContextTypeResponse
    {
        try type(request, into: \.contextType)
    }

    public func getArtifactTypesByID(request: MlMetadata_GetArtifactTypesByIDRequest, context: ServerContext) async throws
        -> MlMetadata_GetArtifactTypesByIDResponse
    {
        try types(into: \.artifactTypes) { g, kind in g.types(ids: request.typeIds.map(TypeID.init), kind: kind) }
    }

    public func getExecutionTypesByID(request: MlMetadata_GetExecutionTypesByIDRequest, context: ServerContext) async throws
        -> MlMetadata_GetExecutionTypesByIDResponse
    {
        try types(into: \.executionTypes) { g, kind in g.types(ids: request.typeIds.map(TypeID.init), kind: kind) }
    }

    public func getContextTypesByID(request: MlMetadata_GetContextTypesByIDRequest, context: ServerContext) async throws
        -> MlMetadata_GetContextTypesByIDResponse
    {
        try types(into: \.contextTypes) { g, kind in g.types(ids: request.typeIds.map(TypeID.init), kind: kind) }
    }

    public func getArtifactTypes(request: MlMetadata_GetArtifactTypesRequest, context: ServerContext) async throws
        -> MlMetadata_GetArtifactTypesResponse
    {
        try types(into: \.artifactTypes) { g, kind in g.listTypes(kind) }
    }

    public func getExecutionTypes(request: MlMetadata_GetExecutionTypesRequest, context: ServerContext) async throws
        -> MlMetadata_GetExecutionTypesResponse
    {
        try types(into: \.executionTypes) { g, kind in g.listTypes(kind) }
    }

    public func getContextTypes(request: MlMetadata_GetContextTypesRequest, context: ServerContext) async throws
        -> MlMetadata_GetContextTypesResponse
    {
        try types(into: \.contextTypes) { g, kind in g.listTypes(kind) }
    }

    public func getArtifactTypesByExternalIds(
        request: MlMetadata_GetArtifactTypesByExternalIdsRequest, context: ServerContext
    ) async throws -> MlMetadata_GetArtifactTypesByExternalIdsResponse {
        try types(into: \.artifactTypes) { g, kind in try g.types(externalIDs: request.externalIds, kind: kind) }
    }

    public func getExecutionTypesByExternalIds(
        request: MlMetadata_GetExecutionTypesByExternalIdsRequest, context: ServerContext
    ) async throws -> MlMetadata_GetExecutionTypesByExternalIdsResponse {
        try types(into: \.executionTypes) { g, kind in try g.types(externalIDs: request.externalIds, kind: kind) }
    }

    public func getContextTypesByExternalIds(
        request: MlMetadata_GetContextTypesByExternalIdsRequest, context: ServerContext
    ) async throws -> MlMetadata_GetContextTypesByExternalIdsResponse {
        try types(into: \.contextTypes) { g, kind in try g.types(externalIDs: request.externalIds, kind: kind) }
    }

    /// GetArtifactType, GetExecutionType, GetContextType: by name and version; NotFound when there
    /// is none.
    private func type<W: WireType, R: SwiftProtobuf.Message>(_ request: some TypeNameRequest, into field: WritableKeyPath<R, W>) throws -> R {
        try read { g in
            let name = request.typeName
            var version = request.typeVersionIfSet
            if version?.isEmpty == true { version = nil }
            guard let type = g.type(kind: W.kind, name: name, version: version) else {
                throw MetadataError.notFound(
                    "No type found for query, name: `\(name)`, version: `\(version.map { "\($0)" } ?? "nullopt")`")
            }
            var response = R()
            response[keyPath: field] = W(type)
            return response
        }
    }

    /// The type reads that answer a list: `find` gives the types of the kind it is passed.
    private func types<W: WireType, R: SwiftProtobuf.Message>(
        into field: WritableKeyPath<R, [W]>, _ find: (GraphSnapshot, NodeKind) throws -> [NodeType]
    ) throws -> R {
        try read { g in
            var response = R()
            response[keyPath: field] = try find(g, W.kind).map { W($0) }
            return response
        }
    }
}
