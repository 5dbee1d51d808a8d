internal import Foundation
public import GRPCCore
internal import GRPCProtobuf
public import PedigreeQuery
internal import SwiftProtobuf
public import Pedigree
public import PedigreeWire
@_spi(Engine) internal import PedigreeGraph

/// Pedigree's own service: the path query language (Query, Explain) and diagrams (Render) over
/// the wire, on the snapshot current when each call starts.
public struct PedigreeService: Pedigree_V1_PedigreeService.SimpleServiceProtocol, StoreService {
    public let store: MetadataStore
    /// The server's query limits; a request may lower them, not raise them.
    public let limits: QueryLimits

    /// How often the server follows its database (nil: only before writes and token reads).
    public let followInterval: Duration?

    public init(store: MetadataStore, limits: QueryLimits = QueryLimits(), followInterval: Duration? = nil) {
        self.store = store
        self.limits = limits
        self.followInterval = followInterval
    }

    public func status(request: Pedigree_V1_StatusRequest, context: ServerContext) async throws -> Pedigree_V1_StatusResponse {
        let status = store.followStatus
        let graph = store.snapshot
        var response = Pedigree_V1_StatusResponse()
        response.database = store.path
        response.engine = store.engine
        response.follows = status.follows
        if let interval = followInterval {
            let (seconds, attoseconds) = interval.components
            response.followIntervalMs = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        }
        response.rounds = Int64(status.rounds)
        response.appliedAtMs = status.appliedAt
        response.stalenessMs = status.follows ? max(0, Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) - status.appliedAt) : 0
        response.changedAtMs = status.changedAt
        response.highestIds = status.highestIDs
        response.pendingIds = Int64(status.pendingIDs)
        response.horizon = status.horizon
        if let error = status.lastError {
            response.lastError = error
            response.lastErrorAtMs = status.lastErrorAt ?? 0
        }
        response.generation = graph.generation
        response.artifacts = Int64(graph.artifacts.count)
        response.executions = Int64(graph.executions.count)
        response.contexts = Int64(graph.contexts.count)
        response.events = Int64(graph.events.count)
        return response
    }

    private func queryLimits(_ o: Pedigree_V1_QueryOptions) -> QueryLimits {
        var l = limits
        if o.maxVisits > 0 { l.maxVisits = min(l.maxVisits, Int(clamping: o.maxVisits)) }
        if o.maxPaths > 0 { l.maxPaths = min(l.maxPaths, Int(clamping: o.maxPaths)) }
        if o.timeoutMs > 0 { l.timeout = min(l.timeout, .milliseconds(o.timeoutMs)) }
        return l
    }

    func parameters(_ wire: [String: Pedigree_V1_ParameterValue]) throws -> [String: Literal.Value] {
        try wire.mapValues { p in
            switch p.value {
            case .intValue(let x): .integer(x)
            case .doubleValue(let x): .decimal(x)
            case .stringValue(let x): .string(x)
            case .boolValue(let x): .bool(x)
            case nil: throw RPCError(code: .invalidArgument, message: "a query parameter has no value")
            }
        }
    }

    public func query(request: Pedigree_V1_QueryRequest, context: ServerContext) async throws -> Pedigree_V1_QueryResponse {
        if request.pageSize < 0 { throw RPCError(code: .invalidArgument, message: "page_size must not be negative") }
        let params = try parameters(request.parameters)
        let limits = queryLimits(request.options)
        return try read { g in
            let plan = try g.plan(request.query, typedParameters: params)
            var response = Pedigree_V1_QueryResponse()
            response.canonicalQuery = plan.query.text
            // `explain Q` answers with the plan, unrun; `profile Q` runs it and adds what each step did.
            if plan.query.mode == .explain {
                response.plan = ExplainRenderer.render(plan)
                return response
            }
            let result = try g.run(plan, limits: limits)
            if plan.query.mode == .profile {
                response.plan = ExplainRenderer.render(plan, profile: result.profile)
                response.visited = Int64(result.visited)
                return response
            }
            response.visited = Int64(result.visited)
            if let t = result.truncated { response.truncated = Self.truncation(t) }
            switch result.rows {
            case .nodes(let nodes):
                let (page, next) = try Self.page(nodes, size: Int(request.pageSize), token: request.pageToken, query: request.query)
                var list = Pedigree_V1_NodeList()
                list.nodes = page.map { Self.resultNode($0.node, depth: $0.depth, in: g) }
                list.withDepth = result.withDepth
                response.nodes = list
                if let next { response.nextPageToken = next }
            case .paths(let paths):
                let (page, next) = try Self.page(paths, size: Int(request.pageSize), token: request.pageToken, query: request.query)
                var list = Pedigree_V1_PathList()
                list.paths = page.map { path in
                    var w = Pedigree_V1_Path()
                    w.nodes = path.nodes.enumerated().map { Self.resultNode($0.element, depth: $0.offset, in: g) }
                    w.events = path.events.map { g.event(Int($0)).wire }
                    return w
                }
                response.paths = list
                if let next { response.nextPageToken = next }
            case .subgraph(let s):
                if request.pageSize > 0 || !request.pageToken.isEmpty {
                    throw RPCError(code: .invalidArgument, message: "a subgraph is returned whole; page_size and page_token apply to nodes and paths")
                }
                response.subgraph = Self.lineageGraph(s, in: g)
            case .count(let n):
                response.count = Int64(n)
            case .groups(let rows):
                var list = Pedigree_V1_GroupList()
                list.columns = result.groupColumns
                list.rows = rows.map { r in
                    var w = Pedigree_V1_GroupRow()
                    w.keys = r.keys
                    w.count = Int64(r.count)
                    return w
                }
                response.groups = list
            }
            return response
        }
    }

    public func explain(request: Pedigree_V1_ExplainRequest, context: ServerContext) async throws -> Pedigree_V1_ExplainResponse {
        let params = try parameters(request.parameters)
        return try read { g in
            let plan = try g.plan(request.query, typedParameters: params)
            var response = Pedigree_V1_ExplainResponse()
            if request.profile {
                let result = try g.run(plan, limits: queryLimits(request.options))
                response.plan = ExplainRenderer.render(plan, profile: result.profile)
            } else {
                response.plan = ExplainRenderer.render(plan)
            }
            return response
        }
    }

    public func render(request: Pedigree_V1_RenderRequest, context: ServerContext) async throws -> Pedigree_V1_RenderResponse {
        let params = try parameters(request.parameters)
        var options = DiagramOptions()
        switch request.format {
        case .unspecified, .svg: options.format = .svg
        case .png: options.format = .png
        case .pdf: options.format = .pdf
        case .dot: options.format = .dot
        case .mermaid: options.format = .mermaid
        case .UNRECOGNIZED(let n): throw RPCError(code: .invalidArgument, message: "unknown format \(n)")
        }
        if !request.rankdir.isEmpty {
            guard let r = DiagramOptions.RankDirection(rawValue: request.rankdir.uppercased()) else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "unknown rankdir '\(request.rankdir)'; use one of \(DiagramOptions.RankDirection.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            options.rankDirection = r
        }
        if request.maxNodes < 0 { throw RPCError(code: .invalidArgument, message: "max_nodes must not be negative") }
        if request.maxNodes > 0 { options.maxNodes = Int(request.maxNodes) }
        if !request.clusterByContextType.isEmpty { options.clusterContextType = request.clusterByContextType }
        options.collapseExecutions = request.collapseExecutions
        options.legend = !request.noLegend
        let limits = queryLimits(request.options)
        return try read { g in
            let result = try g.run(g.plan(request.query, typedParameters: params), limits: limits)
            let diagram = try g.diagram(result, options: options)
            var response = Pedigree_V1_RenderResponse()
            response.data = Data(try diagram.render())
            response.contentType =
                switch options.format {
                case .svg: "image/svg+xml"
                case .png: "image/png"
                case .pdf: "application/pdf"
                case .dot: "text/vnd.graphviz"
                case .mermaid: "text/plain"
                }
            response.notes = diagram.notes
            response.nodeCount = Int32(clamping: diagram.nodes.count)
            response.edgeCount = Int32(clamping: diagram.edges.count)
            if let t = result.truncated { response.truncated = Self.truncation(t) }
            return response
        }
    }

    // MARK: Conversions

    static func truncation(_ t: Truncation) -> Pedigree_V1_Truncation {
        var w = Pedigree_V1_Truncation()
        w.returned = Int64(t.returned)
        w.omitted = t.omitted.map(Int64.init) ?? -1
        w.reason = t.reason
        return w
    }

    static func resultNode(_ ref: NodeRef, depth: Int, in g: GraphSnapshot) -> Pedigree_V1_ResultNode {
        var w = Pedigree_V1_ResultNode()
        switch ref.kind {
        case .artifact: w.artifact = (g.node(at: ref.index) as Artifact).wire(in: g)
        case .execution: w.execution = (g.node(at: ref.index) as Execution).wire(in: g)
        case .context: break
        }
        w.depth = Int32(clamping: depth)
        return w
    }

    /// A query's subgraph as MLMD's LineageGraph, nodes in full.
    static func lineageGraph(_ s: Subgraph, in g: GraphSnapshot) -> MlMetadata_LineageGraph {
        var w = MlMetadata_LineageGraph()
        w.artifacts = s.artifacts.map { (g.node(at: $0) as Artifact).wire(in: g) }
        w.executions = s.executions.map { (g.node(at: $0) as Execution).wire(in: g) }
        w.contexts = s.contexts.map { (g.node(at: $0) as Context).wire(in: g) }
        w.events = s.events.map { g.event(Int($0)).wire }
        w.attributions = s.attributions.map { MlMetadata_Attribution(context: $0.0, artifact: $0.1, in: g) }
        w.associations = s.associations.map { MlMetadata_Association(context: $0.0, execution: $0.1, in: g) }
        return w
    }

    /// One page of a result: rows from the offset the token holds. A token is bound to its query
    /// text, so that it cannot be replayed against another query.
    static func page<T>(_ rows: [T], size: Int, token: String, query: String) throws -> ([T], String?) {
        var start = 0
        if !token.isEmpty {
            let parts = token.split(separator: ":", maxSplits: 2)
            guard parts.count == 3, parts[0] == "pq1", let offset = Int(parts[1]), offset >= 0, offset <= rows.count,
                parts[2] == String(UInt64(bitPattern: Int64(query.hashValueStable)), radix: 36)
            else {
                throw RPCError(code: .invalidArgument, message: "page_token is not one this query returned")
            }
            start = offset
        }
        guard size > 0 else { return (Array(rows[start...]), nil) }
        let end = min(rows.count, start + size)
        let next = end < rows.count ? "pq1:\(end):\(String(UInt64(bitPattern: Int64(query.hashValueStable)), radix: 36))" : nil
        return (Array(rows[start..<end]), next)
    }
}

extension String {
    /// FNV-1a of the UTF-8 bytes: stable across processes, unlike `hashValue`.
    var hashValueStable: Int64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return Int64(bitPattern: h)
    }
}

extension QueryError {
    /// The diagnostics as Pedigree's wire message.
    var wire: Pedigree_V1_QueryDiagnostics {
        .with { m in
            m.source = source
            m.diagnostics = diagnostics.map { d in
                let (line, column, _, _) = DiagnosticRenderer.location(of: d.range.start, in: source)
                return .with {
                    $0.id = d.id
                    $0.severity = d.severity.rawValue
                    $0.message = d.message
                    $0.line = Int64(line)
                    $0.column = Int64(column)
                    $0.start = Int64(d.range.start)
                    $0.end = Int64(d.range.end)
                    $0.notes = d.notes
                }
            }
        }
    }

    /// INVALID_ARGUMENT with the rendered diagnostics as its message and the diagnostics as data
    /// in its status details (google.rpc.Status, `grpc-status-details-bin`).
    var rpcError: RPCError {
        guard let any = try? Google_Protobuf_Any(message: wire) else { return RPCError(code: .invalidArgument, message: description) }
        return RPCError(GoogleRPCStatus(code: .invalidArgument, message: description, details: [.any(any)]))
    }
}
