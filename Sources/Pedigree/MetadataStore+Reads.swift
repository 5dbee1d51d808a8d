internal import Foundation
internal import PedigreeStore
public import PedigreeModel
@_spi(Engine) public import PedigreeGraph
package import PedigreeQuery

/// MLMD's reads, answered from the current snapshot (no SQL, no locks held while reading).
extension GraphSnapshot {
    // MARK: Types

    /// The types of a kind, without MLMD's nine built-in `mlmd.*` types (as MLMD lists them).
    public func listTypes(_ kind: NodeKind) -> [NodeType] {
        types(of: kind).filter { t in !BaseType.allCases.contains { $0.builtinTypeName == t.name } }
    }

    /// Types by id, in request order; unknown ids are skipped.
    public func types(ids: [TypeID], kind: NodeKind) -> [NodeType] {
        ids.compactMap { type($0) }.filter { $0.kind == kind }
    }

    public func types(externalIDs: [String], kind: NodeKind) throws -> [NodeType] {
        if externalIDs.contains("") {
            throw MetadataError.invalidArgument("Invalid argument because at least one empty external_id exists.")
        }
        let wanted = Set(externalIDs)
        return types(of: kind).filter { $0.externalID.map(wanted.contains) ?? false }
    }

    // MARK: Nodes

    /// Nodes by id, deduplicated, in ascending id order; unknown ids are skipped.
    public func nodes<N: StoredNode>(ids: [N.ID], as: N.Type = N.self) -> [N] {
        Set(ids).sorted().compactMap { node($0) }
    }

    /// All nodes of a kind, or one page of them.
    public func nodes<N: StoredNode>(as: N.Type = N.self, options: ListOptions? = nil) throws -> Page<N> {
        try pageOrAll(0..<Int32(nodeCount(N.kind)), of: N.self, options)
    }

    /// The nodes of a type (by name and version); an unknown type gives no nodes.
    public func nodes<N: StoredNode>(
        typeName: String, typeVersion: String? = nil, as: N.Type = N.self, options: ListOptions? = nil
    ) throws -> Page<N> {
        let version = typeVersion?.isEmpty == true ? nil : typeVersion
        guard let type = typeID(kind: N.kind, name: typeName, version: version) else { return Page(items: [], ids: [], nextPageToken: nil) }
        return try pageOrAll(self[N.self].indices(ofType: type), of: N.self, options)
    }

    /// The node of a type with a name, if any.
    public func node<N: StoredNode>(typeName: String, typeVersion: String? = nil, name: String, as: N.Type = N.self) -> N? {
        let version = typeVersion?.isEmpty == true ? nil : typeVersion
        guard let type = typeID(kind: N.kind, name: typeName, version: version),
            let index = self[N.self].index(typeID: type, name: name)
        else { return nil }
        return node(at: index)
    }

    /// Nodes by external id, in ascending id order. As MLMD: an empty external id is invalid, and
    /// no match at all is NotFound.
    public func nodes<N: StoredNode>(externalIDs: [String], as: N.Type = N.self) throws -> [N] {
        if externalIDs.isEmpty { return [] }
        if externalIDs.contains("") {
            throw MetadataError.invalidArgument("Invalid argument because at least one empty external_id exists.")
        }
        let store = self[N.self]
        let found = Set(externalIDs).compactMap { store.index(externalID: $0) }
        if found.isEmpty { throw MetadataError.notFound("No \(N.kind)s found for external_ids.") }
        return store.inIDOrder(found)
    }

    /// Artifacts with exactly this uri, in ascending id order.
    public func artifacts(uri: String) -> [Artifact] {
        artifacts.inIDOrder(artifacts.indices(uri: uri))
    }

    /// The artifacts attributed to a context.
    public func artifacts(context: ContextID, options: ListOptions? = nil) throws -> Page<Artifact> {
        guard let c = index(of: context) else { return Page(items: [], ids: [], nextPageToken: nil) }
        return try pageOrAll(contextArtifacts.items(c), of: Artifact.self, options)
    }

    /// The executions associated with a context.
    public func executions(context: ContextID, options: ListOptions? = nil) throws -> Page<Execution> {
        guard let c = index(of: context) else { return Page(items: [], ids: [], nextPageToken: nil) }
        return try pageOrAll(contextExecutions.items(c), of: Execution.self, options)
    }

    /// The contexts of an artifact, in ascending id order (NotFound when it has none, as MLMD).
    public func contexts(artifact: ArtifactID) throws -> [Context] {
        let found = index(of: artifact).map { artifactContexts.items($0) } ?? []
        if found.isEmpty { throw MetadataError.notFound("No contexts found for artifact_id: \(artifact)") }
        return contexts.inIDOrder(found)
    }

    /// The contexts of an execution, in ascending id order (NotFound when it has none, as MLMD).
    public func contexts(execution: ExecutionID) throws -> [Context] {
        let found = index(of: execution).map { executionContexts.items($0) } ?? []
        if found.isEmpty { throw MetadataError.notFound("No contexts found for execution_id: \(execution)") }
        return contexts.inIDOrder(found)
    }

    public func parentContexts(of context: ContextID) -> [Context] {
        guard let c = index(of: context) else { return [] }
        return contexts.inIDOrder(contextParents.items(c))
    }

    public func childContexts(of context: ContextID) -> [Context] {
        guard let c = index(of: context) else { return [] }
        return contexts.inIDOrder(contextChildren.items(c))
    }

    // MARK: Events

    /// Events of these artifacts, ordered by (artifact id, execution id, type) as MLMD returns them.
    public func events(artifactIDs: [ArtifactID]) -> [Event] {
        Set(artifactIDs).compactMap { index(of: $0) }
            .flatMap { artifactEvents.items($0).map { event(Int($0)) } }
            .sorted { ($0.artifactID!, $0.executionID!, $0.type.rawValue) < ($1.artifactID!, $1.executionID!, $1.type.rawValue) }
    }

    /// Events of these executions, ordered by (execution id, event row id) as MLMD returns them.
    public func events(executionIDs: [ExecutionID]) -> [Event] {
        func order(_ e: Int32) -> (Int64, Int64) { (self.executionIDs[Int(events.executions[Int(e)])], events.rowIDs[Int(e)]) }
        return Set(executionIDs).compactMap { index(of: $0) }
            .flatMap { executionEvents.items($0) }
            .sorted { order($0) < order($1) }
            .map { event(Int($0)) }
    }

    /// The nodes at `indices`: all in id order, or one page of those the options' filter keeps.
    private func pageOrAll<N: StoredNode>(_ indices: some Sequence<Int32>, of: N.Type, _ options: ListOptions?) throws -> Page<N> {
        let store = self[N.self]
        guard let options else {
            let ordered = indices.sorted { store.ids[Int($0)] < store.ids[Int($1)] }
            return Page(items: ordered.map { store[Int($0)] }, ids: ordered.map { store.ids[Int($0)] }, nextPageToken: nil)
        }
        var pool = Array(indices)
        if let filter = options.filterQuery, !filter.isEmpty {
            let predicate = try bindFilter(filter, kind: N.kind)
            let evaluator = PredicateEvaluator(self, storage: Self.mlmdStorageText)
            pool = pool.filter { evaluator.matches(predicate, kind: N.kind, index: $0) }
        }
        return try store.page(pool, options)
    }

    /// The dense indices of the nodes of a kind that match an MLMD filter_query (ml-metadata's
    /// semantics), in ascending id order; with `candidates`, only those are tested.
    package func nodeIndices(_ kind: NodeKind, matchingFilter text: String, among candidates: [Int32]? = nil) throws -> [Int32] {
        let predicate = try bindFilter(text, kind: kind)
        let evaluator = PredicateEvaluator(self, storage: Self.mlmdStorageText)
        // A filter that pins the id (`id = N`, `id IN (...)`, as a conjunct) need not test every
        // node: only the named ones are tested, the full predicate still deciding.
        let pool = candidates ?? Self.pinnedIDs(predicate).map { ids in Set(ids).compactMap { nodeIndex(kind: kind, id: $0) } }
            ?? Array(0..<Int32(nodeCount(kind)))
        return pool.filter { evaluator.matches(predicate, kind: kind, index: $0) }
            .sorted { nodeID(kind, $0) < nodeID(kind, $1) }
    }

    /// The ids a bound MLMD filter allows at most: from a top-level conjunct `id = N` or
    /// `id IN (N, ...)` with integer literals; nil when no conjunct pins the id.
    static func pinnedIDs(_ predicate: BoundPredicate) -> [Int64]? {
        guard case .mlmd(let filter) = predicate else { return nil }
        func conjuncts(_ c: MLMDCondition) -> [MLMDCondition] {
            if case .and(let terms) = c { return terms.flatMap(conjuncts) }
            return [c]
        }
        for term in conjuncts(filter.condition) {
            switch term {
            case .compare(.column(table: 0, .id), .equal, .literal(.integer(let id))):
                return [id]
            case .inList(.column(table: 0, .id), let items):
                let ids = items.compactMap { item -> Int64? in
                    if case .literal(.integer(let id)) = item { return id }
                    return nil
                }
                if ids.count == items.count { return ids }
            default:
                continue
            }
        }
        return nil
    }

    /// The MLMD id of the node at a dense index.
    package func nodeID(_ kind: NodeKind, _ index: Int32) -> Int64 { ids(kind)[Int(index)] }

    /// Parses and binds a filter query with ml-metadata's semantics (`PredicateBinder` in
    /// MLMD-compatible mode): what ml-metadata rejects is one InvalidArgument error with the
    /// diagnostics; unknown types, properties and contexts match nothing.
    package func bindFilter(_ text: String, kind: NodeKind) throws -> BoundPredicate {
        var binder = PredicateBinder(snapshot: self, mlmdCompatible: true)
        if let bound = binder.bindFilterQuery(text, for: kind) { return bound }
        throw MetadataError.invalidArgument(
            "Invalid `filter_query`:\n" + DiagnosticRenderer.render(binder.diagnostics, in: binder.diagnosticSource ?? text))
    }

    /// Struct and proto property values as ml-metadata's SQLite columns hold them.
    package static let mlmdStorageText = MLMDStorageText(
        structText: { "mlmd-struct::" + Data(ProtoWire.encodeStruct($0)).base64EncodedString() },
        protoText: { Data(ProtoWire.encodeAny($0)).base64EncodedString() })
}
