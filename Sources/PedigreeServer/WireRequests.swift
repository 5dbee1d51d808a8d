internal import Pedigree
internal import PedigreeWire
internal import SwiftProtobuf

// The fields that MLMD's requests and responses of one family share across node kinds, so that
// `MetadataStoreService` writes each family once. The fields that carry the kind's own messages
// (`artifacts`, `executions`, `contexts`, ...) are passed as key paths instead.

/// PutArtifactType, PutExecutionType, PutContextType, PutTypes: how a stored type may change.
protocol TypeWriteRequest {
    var canAddFields: Bool { get }
    var canOmitFields: Bool { get }
    var canDeleteFields: Bool { get }
    var allFieldsMatch: Bool { get }
}

/// The requests that name a type: GetXType, GetXsByType, GetXByTypeAndName.
protocol TypeNameRequest {
    var typeName: String { get }
    var typeVersion: String { get }
    var hasTypeVersion: Bool { get }
}

extension TypeNameRequest {
    var typeVersionIfSet: String? { hasTypeVersion ? typeVersion : nil }
}

/// The requests that list nodes, a page at a time when asked: GetXs, GetXsByType, GetXsByContext.
protocol ListRequest {
    var options: MlMetadata_ListOperationOptions { get }
    var hasOptions: Bool { get }
}

extension ListRequest {
    func listOptions() throws(MetadataError) -> ListOptions? { hasOptions ? try ListOptions(wire: options) : nil }
}

/// The answers to a `ListRequest`.
protocol PagedResponse: SwiftProtobuf.Message {
    var nextPageToken: String { get set }
}

extension MlMetadata_PutArtifactTypeRequest: TypeWriteRequest {}
extension MlMetadata_PutExecutionTypeRequest: TypeWriteRequest {}
extension MlMetadata_PutContextTypeRequest: TypeWriteRequest {}
extension MlMetadata_PutTypesRequest: TypeWriteRequest {}

extension MlMetadata_GetArtifactTypeRequest: TypeNameRequest {}
extension MlMetadata_GetExecutionTypeRequest: TypeNameRequest {}
extension MlMetadata_GetContextTypeRequest: TypeNameRequest {}
extension MlMetadata_GetArtifactByTypeAndNameRequest: TypeNameRequest {}
extension MlMetadata_GetExecutionByTypeAndNameRequest: TypeNameRequest {}
extension MlMetadata_GetContextByTypeAndNameRequest: TypeNameRequest {}

extension MlMetadata_GetArtifactsRequest: ListRequest {}
extension MlMetadata_GetExecutionsRequest: ListRequest {}
extension MlMetadata_GetContextsRequest: ListRequest {}
extension MlMetadata_GetArtifactsByTypeRequest: ListRequest, TypeNameRequest {}
extension MlMetadata_GetExecutionsByTypeRequest: ListRequest, TypeNameRequest {}
extension MlMetadata_GetContextsByTypeRequest: ListRequest, TypeNameRequest {}
extension MlMetadata_GetArtifactsByContextRequest: ListRequest {}
extension MlMetadata_GetExecutionsByContextRequest: ListRequest {}

extension MlMetadata_GetArtifactsResponse: PagedResponse {}
extension MlMetadata_GetExecutionsResponse: PagedResponse {}
extension MlMetadata_GetContextsResponse: PagedResponse {}
extension MlMetadata_GetArtifactsByTypeResponse: PagedResponse {}
extension MlMetadata_GetExecutionsByTypeResponse: PagedResponse {}
extension MlMetadata_GetContextsByTypeResponse: PagedResponse {}
extension MlMetadata_GetArtifactsByContextResponse: PagedResponse {}
extension MlMetadata_GetExecutionsByContextResponse: PagedResponse {}
