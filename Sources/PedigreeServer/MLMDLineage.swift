internal import Pedigree
internal import PedigreeWire
internal import SwiftProtobuf

/// Limits of the MLMD lineage RPCs. By default Pedigree has none: ml-metadata's 100-hop limit and
/// its 101 starting nodes apply only when asked (`pedigree serve --mlmd-lineage-caps`).
public struct LineageLimits: Sendable {
    /// Apply ml-metadata's caps: at most 100 hops, and the first 101 starting nodes by id.
    public var mlmdCaps: Bool
    public init(mlmdCaps: Bool = false) { self.mlmdCaps = mlmdCaps }

    static let mlmdMaxHops: Int64 = 100
    static let mlmdMaxStartingNodes = 101
}

/// GetLineageSubgraph and GetLineageGraph with ml-metadata's semantics, on a snapshot: the same
/// breadth-first expansion (alternating artifacts and executions, direction by event type, ending
/// nodes, and in a bidirectional walk no events into nodes reached before), done in memory.
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

        let endingFilter: [NodeKind: String] = [
            .artifact: o.hasEndingArtifacts && o.endingArtifacts.hasFilterQuery ? o.endingArtifacts.filterQuery : "",
            .execution: o.hasEndingExecutions && o.endingExecutions.hasFilterQuery ? o.endingExecutions.filterQuery : "",
        ]
        let includeEnding: [NodeKind: Bool] = [
            .artifact: o.endingArtifacts.includeEndingNodes, .execution: o.endingExecutions.includeEndingNodes,
        ]
        func ending(_ kind: NodeKind, among candidates: [Int32]) throws -> Set<Int32> {
            guard let f = endingFilter[kind], !f.isEmpty, !candidates.isEmpty else { return [] }
            return Set(try g.nodeIndices(kind, matchingFilter: f, among: candidates))
        }

        var visited: [NodeKind: Set<Int32>] = [.artifact: [], .execution: []]
        var ends: [NodeKind: Set<Int32>] = [.artifact: [], .execution: []]
        ends[startKind] = try ending(startKind, among: start)
        var frontier = start.filter { !ends[startKind]!.contains($0) }
        visited[startKind] = Set(frontier)
        var events: [Int32] = []
        var seenEvents = Set<Int32>()
        var side = startKind
        let direction = o.direction
        var hop: Int64 = 0
        while hop < maxHops {
            let far: NodeKind = side == .artifact ? .execution : .artifact
            let fromArtifact = side == .artifact
            var candidateEvents: [Int32] = []
            for n in frontier {
                let adjacent = fromArtifact ? g.artifactEvents.items(n) : g.executionEvents.items(n)
                for e in adjacent where keeps(EventType(rawValue: Int(g.events.types[Int(e)])) ?? .unknown, fromArtifact: fromArtifact, direction) {
                    candidateEvents.append(e)
                }
            }
            func farEnd(_ e: Int32) -> Int32 { fromArtifact ? g.events.executions[Int(e)] : g.events.artifacts[Int(e)] }
            var unvisited = Set<Int32>()
            for e in candidateEvents {
                let n = farEnd(e)
                if !visited[far]!.contains(n) && !ends[far]!.contains(n) { unvisited.insert(n) }
            }
            ends[far]!.formUnion(try ending(far, among: Array(unvisited)))
            unvisited.subtract(ends[far]!)
            for e in candidateEvents {
                let n = farEnd(e)
                let keep: Bool
                if !visited[far]!.contains(n) && !ends[far]!.contains(n) {
                    keep = true
                } else if ends[far]!.contains(n) {
                    keep = includeEnding[far]!
                } else {
                    keep = direction == .upstream || direction == .downstream
                }
                if keep, seenEvents.insert(e).inserted { events.append(e) }
            }
            if unvisited.isEmpty { break }
            visited[far]!.formUnion(unvisited)
            frontier = unvisited.sorted()
            side = far
            hop += 1
        }

        var artifacts = visited[.artifact]!
        var executions = visited[.execution]!
        if includeEnding[.artifact]! { artifacts.formUnion(ends[.artifact]!) }
        if includeEnding[.execution]! { executions.formUnion(ends[.execution]!) }
        let artifactList = artifacts.sorted { g.artifactIDs[Int($0)] < g.artifactIDs[Int($1)] }
        let executionList = executions.sorted { g.executionIDs[Int($0)] < g.executionIDs[Int($1)] }

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
            out.contexts = contexts.map { g.contexts[Int($0)].id!.rawValue }.sorted().map { var c = MlMetadata_Context(); c.id = $0; return c }
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
        if fields.contains("artifact_types") { out.artifactTypes = g.types(of: .artifact).map { $0.wire() } }
        if fields.contains("execution_types") { out.executionTypes = g.types(of: .execution).map(\.wireExecutionType) }
        if fields.contains("context_types") { out.contextTypes = g.types(of: .context).map { $0.wire() } }
        return out
    }

    /// FilterEventsByDirectionAndEventType.
    private func keeps(_ type: EventType, fromArtifact: Bool, _ direction: MlMetadata_LineageSubgraphQueryOptions.Direction) -> Bool {
        switch direction {
        case .upstream: fromArtifact ? !type.isInput && type != .unknown : type.isInput
        case .downstream: fromArtifact ? type.isInput : !type.isInput && type != .unknown
        default: true
        }
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
        var quota = o.hasMaxNodeSize && o.maxNodeSize > 0 ? o.maxNodeSize - Int64(queryNodes.count) : Int64.max
        let boundary: [NodeKind: String] = [
            .artifact: o.stopConditions.hasBoundaryArtifacts ? o.stopConditions.boundaryArtifacts : "",
            .execution: o.stopConditions.hasBoundaryExecutions ? o.stopConditions.boundaryExecutions : "",
        ]

        var out = MlMetadata_LineageGraph()
        out.artifacts = queryNodes.map { $0.wire(in: g) }
        var visited: [NodeKind: Set<Int32>] = [.artifact: [], .execution: []]
        var frontier = queryNodes.compactMap { g.index(of: $0.id!) }
        var side = NodeKind.artifact
        var hop: Int64 = 0
        while hop < maxHops && quota > 0 && !frontier.isEmpty {
            let far: NodeKind = side == .artifact ? .execution : .artifact
            let fromArtifact = side == .artifact
            visited[side]!.formUnion(frontier)
            var adjacent: [Int32] = []
            for n in frontier { adjacent += fromArtifact ? g.artifactEvents.items(n) : g.executionEvents.items(n) }
            func farEnd(_ e: Int32) -> Int32 { fromArtifact ? g.events.executions[Int(e)] : g.events.artifacts[Int(e)] }
            var unvisited = Set(adjacent.map(farEnd)).subtracting(visited[far]!)
            // As in MLMD, a boundary condition selects the nodes the walk may go on to.
            if let f = boundary[far], !f.isEmpty {
                unvisited = Set(try g.nodeIndices(far, matchingFilter: f, among: Array(unvisited)))
            }
            var next = unvisited.sorted { g.nodeID(far, $0) < g.nodeID(far, $1) }
            if Int64(next.count) > quota { next = Array(next.prefix(Int(quota))) }
            let chosen = Set(next)
            for e in adjacent where chosen.contains(farEnd(e)) { out.events.append(g.event(Int(e)).wire) }
            if next.isEmpty { break }
            if far == .artifact {
                out.artifacts += next.map { (g.node(at: $0) as Artifact).wire(in: g) }
            } else {
                out.executions += next.map { (g.node(at: $0) as Execution).wire(in: g) }
            }
            quota -= Int64(next.count)
            frontier = next
            side = far
            hop += 1
        }
        out.artifactTypes = g.listTypes(.artifact).map { $0.wire() }
        out.executionTypes = g.listTypes(.execution).map(\.wireExecutionType)
        out.contextTypes = g.types(of: .context).map { $0.wire() }
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
