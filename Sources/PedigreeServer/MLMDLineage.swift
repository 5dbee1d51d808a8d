public import Pedigree
public import PedigreeQuery
internal import PedigreeWire
internal import SwiftProtobuf
@_spi(Engine) internal import PedigreeGraph

/// Limits of the MLMD lineage RPCs. By default Pedigree has none: ml-metadata's 100-hop limit and
/// its 101 starting nodes apply only when asked (`pedigree serve --mlmd-lineage-caps`).
public struct LineageLimits: Sendable {
    /// Apply ml-metadata's caps: at most 100 hops, and the first 101 starting nodes by id.
    public var mlmdCaps: Bool
    /// The budgets and deadline of every walk, as for queries.
    public var query: QueryLimits
    public init(mlmdCaps: Bool = false, query: QueryLimits = QueryLimits()) {
        self.mlmdCaps = mlmdCaps
        self.query = query
    }

    static let mlmdMaxHops: Int64 = 100
    static let mlmdMaxStartingNodes = 101
}

/// GetLineageSubgraph and GetLineageGraph with ml-metadata's semantics, on a snapshot: the wire
/// options become one of the executor's MLMD walks (`MLMDLineageSubgraphWalk`,
/// `MLMDLineageGraphWalk`), and what it found becomes the wire answer.
struct MLMDLineage {
    let snapshot: GraphSnapshot
    let limits: LineageLimits

    private var g: GraphSnapshot { snapshot }

    // MARK: GetLineageSubgraph

    /// The subgraph skeleton ml-metadata's service returns: nodes and contexts by id only, edges in
    /// full, all types when asked. `readMask` empty means every field.
    func lineageSubgraph(_ o: MlMetadata_LineageSubgraphQueryOptions, readMask: [String]) throws -> MlMetadata_LineageGraph {
        let fields = Set(readMask.isEmpty ? MlMetadata_LineageGraph.fieldNames : readMask)
        if let unknown = fields.subtracting(MlMetadata_LineageGraph.fieldNames).sorted().first {
            throw MetadataError.invalidArgument("read_mask has an unknown path `\(unknown)`; known: \(MlMetadata_LineageGraph.fieldNames.joined(separator: ", "))")
        }
        let startKind: NodeKind
        let startFilter: String
        switch o.startingNodes {
        case .startingArtifacts(let s): (startKind, startFilter) = (.artifact, s.filterQuery)
        case .startingExecutions(let s): (startKind, startFilter) = (.execution, s.filterQuery)
        case nil:
            throw MetadataError.invalidArgument("Missing arguments for listing starting nodes.")
        }
        if startFilter.isEmpty {
            throw MetadataError.invalidArgument("Cannot list starting nodes if `filter_query` is unspecified.")
        }
        var maxHops = Int64.max
        if o.hasMaxNumHops {
            if o.maxNumHops < 0 {
                throw MetadataError.invalidArgument("max_num_hops cannot be negative: max_num_hops = \(o.maxNumHops)")
            }
            maxHops = o.maxNumHops
        }
        if limits.mlmdCaps { maxHops = min(maxHops, LineageLimits.mlmdMaxHops) }

        var start = try g.nodeIndices(startKind, matchingFilter: startFilter)
        if limits.mlmdCaps, start.count > LineageLimits.mlmdMaxStartingNodes {
            start = Array(start.prefix(LineageLimits.mlmdMaxStartingNodes))
        }
        if start.isEmpty { throw MetadataError.notFound("Cannot find qualified nodes to start the traversal.") }

        let graph = snapshot
        func ending(_ kind: NodeKind, _ set: Bool, _ options: MlMetadata_LineageSubgraphQueryOptions.EndingNodes)
            -> (@Sendable () throws -> BoundPredicate)?
        {
            guard set, options.hasFilterQuery, !options.filterQuery.isEmpty else { return nil }
            let text = options.filterQuery
            return { try graph.bindFilter(text, kind: kind) }
        }
        var ends: [NodeKind: @Sendable () throws -> BoundPredicate] = [:]
        ends[.artifact] = ending(.artifact, o.hasEndingArtifacts, o.endingArtifacts)
        ends[.execution] = ending(.execution, o.hasEndingExecutions, o.endingExecutions)
        let direction: MLMDLineageSubgraphWalk.Direction =
            switch o.direction {
            case .upstream: .upstream
            case .downstream: .downstream
            default: .bidirectional
            }
        let found = try g.run(
            MLMDLineageSubgraphWalk(
                startKind: startKind, start: start, maxHops: maxHops, direction: direction, ending: ends,
                includeEnding: [.artifact: o.endingArtifacts.includeEndingNodes, .execution: o.endingExecutions.includeEndingNodes]),
            limits: limits.query)
        let artifactList = found.artifacts, executionList = found.executions, events = found.events

        var out = MlMetadata_LineageGraph()
        if fields.contains("artifacts") {
            out.artifacts = artifactList.map { var a = MlMetadata_Artifact(); a.id = g.artifactIDs[Int($0)]; return a }
        }
        if fields.contains("executions") {
            out.executions = executionList.map { var x = MlMetadata_Execution(); x.id = g.executionIDs[Int($0)]; return x }
        }
        if fields.contains("contexts") {
            var contexts = Set<Int32>()
            for a in artifactList { contexts.formUnion(g.artifactContexts.items(a)) }
            for x in executionList { contexts.formUnion(g.executionContexts.items(x)) }
            out.contexts = contexts.map { g.id(of: NodeRef(.context, $0)) }.sorted().map { var c = MlMetadata_Context(); c.id = $0; return c }
        }
        if fields.contains("events") {
            out.events = events.map { g.event(Int($0)).wire }
        }
        if fields.contains("attributions") {
            out.attributions = artifactList.flatMap { a in
                g.artifactContexts.items(a).map { MlMetadata_Attribution(context: $0, artifact: a, in: g) }
            }
        }
        if fields.contains("associations") {
            out.associations = executionList.flatMap { x in
                g.executionContexts.items(x).map { MlMetadata_Association(context: $0, execution: x, in: g) }
            }
        }
        if fields.contains("artifact_types") { out.artifactTypes = g.types(of: .artifact).map { MlMetadata_ArtifactType($0) } }
        if fields.contains("execution_types") { out.executionTypes = g.types(of: .execution).map { MlMetadata_ExecutionType($0) } }
        if fields.contains("context_types") { out.contextTypes = g.types(of: .context).map { MlMetadata_ContextType($0) } }
        return out
    }

    // MARK: GetLineageGraph

    /// ml-metadata's older lineage call (deprecated there, answered here): the artifacts that
    /// `artifacts_options` lists, expanded hop by hop through events up to `max_num_hops` and
    /// `max_node_size` nodes, stopping at boundary nodes; nodes in full, with every type.
    func lineageGraph(_ o: MlMetadata_LineageGraphQueryOptions) throws -> MlMetadata_LineageGraph {
        guard case .artifactsOptions(let artifactsOptions) = o.queryNodes else {
            throw MetadataError.invalidArgument("Missing query_nodes conditions: set artifacts_options.")
        }
        let listOptions = try ListOptions(wire: artifactsOptions)
        let queryNodes = try g.nodes(as: Artifact.self, options: listOptions).items
        var maxHops = o.stopConditions.hasMaxNumHops ? o.stopConditions.maxNumHops : 20
        if maxHops < 0 { throw MetadataError.invalidArgument("max_num_hops cannot be negative: \(maxHops)") }
        if limits.mlmdCaps { maxHops = min(maxHops, LineageLimits.mlmdMaxHops) }
        let quota = o.hasMaxNodeSize && o.maxNodeSize > 0 ? o.maxNodeSize - Int64(queryNodes.count) : Int64.max
        let boundary: [NodeKind: String] = [
            .artifact: o.stopConditions.hasBoundaryArtifacts ? o.stopConditions.boundaryArtifacts : "",
            .execution: o.stopConditions.hasBoundaryExecutions ? o.stopConditions.boundaryExecutions : "",
        ]

        let graph = snapshot
        var bounds: [NodeKind: @Sendable () throws -> BoundPredicate] = [:]
        for (kind, text) in boundary where !text.isEmpty { bounds[kind] = { try graph.bindFilter(text, kind: kind) } }
        let found = try g.run(
            MLMDLineageGraphWalk(start: queryNodes.compactMap { $0.id.flatMap(g.index(of:)) }, maxHops: maxHops, quota: quota, boundary: bounds),
            limits: limits.query)
        var out = MlMetadata_LineageGraph()
        out.artifacts = found.artifacts.map { (g.node(at: $0) as Artifact).wire(in: g) }
        out.executions = found.executions.map { (g.node(at: $0) as Execution).wire(in: g) }
        out.events = found.events.map { g.event(Int($0)).wire }
        out.artifactTypes = g.listTypes(.artifact).map { MlMetadata_ArtifactType($0) }
        out.executionTypes = g.listTypes(.execution).map { MlMetadata_ExecutionType($0) }
        out.contextTypes = g.types(of: .context).map { MlMetadata_ContextType($0) }
        return out
    }
}

extension MlMetadata_LineageGraph {
    /// The field names of LineageGraph: the paths a read mask may name. (As in ml-metadata,
    /// `parent_contexts` is accepted and left empty.)
    static let fieldNames = [
        "artifact_types", "execution_types", "context_types", "artifacts", "executions", "contexts", "events",
        "attributions", "associations", "parent_contexts",
    ]
}
