internal import Foundation
public import GRPCCore
public import Pedigree
public import PedigreeWire
internal import SwiftProtobuf

/// ml-metadata's `MetadataStoreService` on a Pedigree store: every RPC, with MLMD's semantics and
/// status codes. Writes go through the store's single writer, off the cooperative pool; reads are
/// answered from the snapshot current when the call starts and never wait for a write.
///
/// The RPCs that MLMD repeats for each node kind (GetArtifacts, GetExecutions, GetContexts, ...)
/// are each written once, generic over the kind's wire messages (`WireNode`, `WireType`):
/// types in `+Types`, nodes in `+Nodes`, edges and contexts in `+Edges`.
public struct MetadataStoreService: MlMetadata_MetadataStoreService.SimpleServiceProtocol, StoreService {
    public let store: MetadataStore
    public let lineage: LineageLimits

    public init(store: MetadataStore, lineage: LineageLimits = LineageLimits()) {
        self.store = store
        self.lineage = lineage
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
