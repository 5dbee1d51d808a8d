@_spi(Engine) public import PedigreeGraph
public import PedigreeModel
public import PedigreeQuery

/// A lineage diagram: the nodes and edges to draw, worked out from a query result and the
/// options (collapsed executions, clusters, grouping), in a deterministic order. `dot()` and
/// `mermaid()` write it as text; `render()` lays it out and draws it through Graphviz.
public struct LineageDiagram: Sendable {
    /// How a node's state is shown.
    public enum StateMark: String, Sendable, Hashable, CaseIterable {
        case none
        /// DELETED or MARKED_FOR_DELETION: a dashed outline, grey text.
        case deleted
        /// ABANDONED: a dotted outline, grey text.
        case abandoned
        /// An artifact PENDING, an execution NEW or RUNNING: a dotted outline.
        case pending
        /// FAILED: a red outline and red text.
        case failed
        /// CANCELED: a dashed outline, grey text.
        case canceled

        var legend: String {
            switch self {
            case .none: ""
            case .deleted: "deleted"
            case .abandoned: "abandoned"
            case .pending: "pending / running"
            case .failed: "failed"
            case .canceled: "canceled"
            }
        }
    }

    public struct Node: Sendable, Hashable {
        /// The identifier in DOT and Mermaid: `a29`, `e23`, `g1` for a group, `c7` for a
        /// collapsed cluster (context 7), `s1` for several collapsed clusters.
        public var key: String
        /// `artifact` or `execution`; `context` for a summary of collapsed clusters.
        public var kind: NodeKind
        /// The node's type; a summary's context type.
        public var typeName: String
        /// The node's id, or the ids of the nodes a group stands for (ascending); a summary's
        /// context ids.
        public var ids: [Int64]
        /// The name, shortened (nil for groups and unnamed nodes).
        public var name: String?
        /// The state's name when it is worth showing (not LIVE or COMPLETE).
        public var state: String?
        public var mark: StateMark
        public var isStart: Bool
        public var isResult: Bool
        /// Index into `clusters`.
        public var cluster: Int?
        /// Properties and fields, one per line (SVG tooltips).
        public var tooltip: String
        /// What a summary of collapsed clusters hides, per kind and type (most first); empty
        /// for other nodes.
        public var hidden: [HiddenCount] = []

        /// Nodes of one type drawn as one.
        public var isGroup: Bool { kind != .context && ids.count > 1 }
        /// One or more clusters (contexts) collapsed to one node.
        public var isSummary: Bool { kind == .context }

        /// The label's lines, shared by the DOT and Mermaid output: type and id (or the group's
        /// count and id range), the name, and the state worth showing; for a summary, its
        /// context (or their count and id range) and what it hides.
        var labelLines: [String] {
            var lines: [String]
            if isSummary {
                if ids.count == 1 {
                    lines = ["\(typeName) \(name ?? "")".trimmingCharacters(in: .whitespaces), "context \(ids[0])"]
                } else {
                    lines = ["\(ids.count) × \(typeName)", "contexts \(ids.first!)…\(ids.last!)"]
                }
                let total = hidden.reduce(0) { $0 + $1.count }
                let artifacts = hidden.filter { $0.kind == .artifact }.reduce(0) { $0 + $1.count }
                lines.append("\(total) nodes: \(artifacts) artifact\(artifacts == 1 ? "" : "s"), \(total - artifacts) execution\(total - artifacts == 1 ? "" : "s")")
                let shown = 4
                lines += hidden.prefix(shown).map { "\($0.count) \($0.typeName)" }
                if hidden.count > shown { lines.append("and \(hidden.count - shown) more type\(hidden.count - shown == 1 ? "" : "s")") }
                return lines
            }
            if isGroup {
                lines = ["\(ids.count) × \(typeName)", "ids \(ids.first!)…\(ids.last!)"]
            } else {
                lines = ["\(typeName) #\(ids[0])"]
                if let name { lines.append(name) }
            }
            if let state { lines.append(state) }
            return lines
        }
        /// The element id in SVG output: `artifact-29`, `execution-23`, `group-1`, `context-7`
        /// (a collapsed cluster), `summary-1` (several).
        public var elementID: String {
            if isSummary { return ids.count == 1 ? "context-\(ids[0])" : "summary-\(key.dropFirst())" }
            return isGroup ? "group-\(key.dropFirst())" : "\(kind)-\(ids[0])"
        }
    }

    /// How many nodes of a kind and type a summary hides.
    public struct HiddenCount: Sendable, Hashable {
        public var kind: NodeKind
        public var typeName: String
        public var count: Int
    }

    public struct Edge: Sendable, Hashable {
        public var from: String
        public var to: String
        /// Event types other than INPUT and OUTPUT, or the execution types of a collapsed edge.
        public var label: String?
        /// Drawn dashed: an event other than INPUT or OUTPUT.
        public var isDashed: Bool
    }

    /// A context drawn as a cluster.
    public struct Cluster: Sendable, Hashable {
        public var contextID: Int64
        public var typeName: String
        public var name: String
    }

    public var nodes: [Node]
    public var edges: [Edge]
    public var clusters: [Cluster]
    /// What was summarised (grouped nodes); shown in the diagram and meant for stderr.
    public var notes: [String]
    public var options: DiagramOptions
}

// MARK: - From query results

extension LineageDiagram {
    /// The diagram of a query result: a subgraph as it is; a node set with the query's start
    /// nodes, and the events among them; paths as the union of their nodes and events. The
    /// query's start nodes and its results (both carried by the result: nothing runs again) are
    /// highlighted. A count has no diagram, and an empty result has nothing to draw: both are
    /// INVALID_ARGUMENT.
    public init(snapshot g: GraphSnapshot, result: QueryResult, options: DiagramOptions = DiagramOptions()) throws(MetadataError) {
        let start = Set(result.startNodes)
        var results = Set(result.resultNodes)
        var nodes: Set<NodeRef> = []
        var events: Set<Int32> = []
        switch result.rows {
        case .subgraph(let s):
            nodes = Set(s.artifacts.map { NodeRef(.artifact, $0) } + s.executions.map { NodeRef(.execution, $0) })
            events = Set(s.events)
        case .nodes:
            if !results.isEmpty { nodes = results.union(start) }
            events = Self.inducedEvents(g, nodes)
        case .paths(let paths):
            for p in paths {
                nodes.formUnion(p.nodes)
                events.formUnion(p.events)
            }
        case .count, .groups:
            throw MetadataError(.invalidArgument, "a count has no diagram: draw a query that returns nodes, a subgraph or paths")
        }
        nodes = nodes.filter { $0.kind != .context }
        // Results are highlighted only where that tells something: when some drawn nodes are
        // neither a start nor a result (the inner nodes of a subgraph or a path).
        if nodes.subtracting(start).isSubset(of: results) { results = [] }
        guard !nodes.isEmpty else {
            throw MetadataError(.invalidArgument, "the query returned no nodes: there is nothing to draw")
        }
        try self.init(snapshot: g, nodes: nodes, events: events, start: start.intersection(nodes),
                      results: results.intersection(nodes), options: options)
    }

    /// The diagram of a subgraph, with nothing highlighted.
    public init(snapshot g: GraphSnapshot, subgraph s: Subgraph, options: DiagramOptions = DiagramOptions()) throws(MetadataError) {
        let nodes = Set(s.artifacts.map { NodeRef(.artifact, $0) } + s.executions.map { NodeRef(.execution, $0) })
        guard !nodes.isEmpty else { throw MetadataError(.invalidArgument, "the subgraph has no nodes: there is nothing to draw") }
        try self.init(snapshot: g, nodes: nodes, events: Set(s.events), start: [], results: [], options: options)
    }

    /// The events whose both ends are in `nodes`.
    static func inducedEvents(_ g: GraphSnapshot, _ nodes: Set<NodeRef>) -> Set<Int32> {
        var events: Set<Int32> = []
        for n in nodes where n.kind == .artifact {
            for e in g.artifactEvents.items(n.index) where nodes.contains(NodeRef(.execution, g.events.executions[Int(e)])) {
                events.insert(e)
            }
        }
        return events
    }
}

// MARK: - Building

/// The diagram while it is worked out: nodes by position, edges by their ends.
struct DiagramDraft {
    struct Node {
        var members: [NodeRef]
        var ids: [Int64]
        var kind: NodeKind
        var typeID: TypeID
        var mark: LineageDiagram.StateMark
        var state: String?
        var isStart: Bool
        var isResult: Bool
        var cluster: Int?
    }

    struct Pair: Hashable, Comparable {
        var from: Int
        var to: Int
        static func < (a: Pair, b: Pair) -> Bool { (a.from, a.to) < (b.from, b.to) }
    }

    struct EdgeInfo {
        var labels: Set<String> = []
        var isDashed = false
    }

    var nodes: [Node] = []
    var edges: [Pair: EdgeInfo] = [:]

    mutating func addEdge(_ pair: Pair, label: String?, dashed: Bool) {
        var info = edges[pair] ?? EdgeInfo()
        if let label { info.labels.insert(label) }
        info.isDashed = info.isDashed || dashed
        edges[pair] = info
    }

    /// Keeps the nodes `keep` says to (in order) and the edges between them.
    mutating func retain(_ keep: (Node) -> Bool) {
        var map: [Int: Int] = [:]
        var kept: [Node] = []
        for (i, n) in nodes.enumerated() where keep(n) {
            map[i] = kept.count
            kept.append(n)
        }
        var newEdges: [Pair: EdgeInfo] = [:]
        for (p, info) in edges {
            if let f = map[p.from], let t = map[p.to] { newEdges[Pair(from: f, to: t)] = info }
        }
        nodes = kept
        edges = newEdges
    }
}

extension LineageDiagram {
    /// The diagram of these nodes and events, with start and result nodes highlighted (every
    /// front end that picks its own nodes, as the lineage explorer does).
    package init(snapshot g: GraphSnapshot, nodes refs: Set<NodeRef>, events: Set<Int32>, start: Set<NodeRef>, results: Set<NodeRef>,
         options: DiagramOptions) throws(MetadataError) {
        var draft = DiagramDraft()
        let sorted = refs.sorted { (Self.kindOrder($0.kind), Self.id(g, $0)) < (Self.kindOrder($1.kind), Self.id(g, $1)) }
        var position: [NodeRef: Int] = [:]
        for r in sorted {
            position[r] = draft.nodes.count
            let (mark, state) = Self.state(g, r)
            draft.nodes.append(DiagramDraft.Node(
                members: [r], ids: [Self.id(g, r)], kind: r.kind, typeID: Self.typeID(g, r), mark: mark, state: state,
                isStart: start.contains(r), isResult: results.contains(r), cluster: nil))
        }
        for e in events.sorted() {
            guard let a = position[NodeRef(.artifact, g.events.artifacts[Int(e)])],
                let x = position[NodeRef(.execution, g.events.executions[Int(e)])]
            else { continue }
            let type = EventType(rawValue: Int(g.events.types[Int(e)])) ?? .unknown
            let plain = type == .input || type == .output
            draft.addEdge(type.isInput ? .init(from: a, to: x) : .init(from: x, to: a), label: plain ? nil : type.description, dashed: !plain)
        }

        if options.collapseExecutions {
            var incoming: [Int: [Int]] = [:], outgoing: [Int: [Int]] = [:]
            for p in draft.edges.keys.sorted() {
                outgoing[p.from, default: []].append(p.to)
                incoming[p.to, default: []].append(p.from)
            }
            var collapsed: [DiagramDraft.Pair: DiagramDraft.EdgeInfo] = [:]
            for (x, node) in draft.nodes.enumerated() where node.kind == .execution {
                let label = g.type(node.typeID)?.name ?? "?"
                for a in incoming[x] ?? [] {
                    for b in outgoing[x] ?? [] where a != b {
                        collapsed[.init(from: a, to: b), default: .init()].labels.insert(label)
                    }
                }
            }
            draft.edges = collapsed
            draft.retain { $0.kind != .execution }
            guard !draft.nodes.isEmpty else {
                throw MetadataError(.invalidArgument, "the result holds only executions: with --collapse executions there is nothing to draw")
            }
        }

        var clusters: [Cluster] = []
        if let typeName = options.clusterContextType {
            guard let type = g.types(of: .context).first(where: { $0.name == typeName }), let typeID = type.id else {
                let names = g.types(of: .context).map { "'\($0.name)'" }.sorted()
                throw MetadataError(.invalidArgument, "the store has no context type named '\(typeName)'"
                    + (names.isEmpty ? "" : " (context types: \(names.joined(separator: ", ")))"))
            }
            var clusterOf: [Int32: Int] = [:]
            var chosen: [Int: Int32] = [:]
            for (i, node) in draft.nodes.enumerated() {
                let r = node.members[0]
                let contexts = r.kind == .artifact ? g.artifactContexts.items(r.index) : g.executionContexts.items(r.index)
                let ofType = contexts.filter { g.contexts[Int($0)].typeID == typeID }
                if let c = ofType.min(by: { g.contexts.ids[Int($0)] < g.contexts.ids[Int($1)] }) { chosen[i] = c }
            }
            for c in Set(chosen.values).sorted(by: { g.contexts.ids[Int($0)] < g.contexts.ids[Int($1)] }) {
                clusterOf[c] = clusters.count
                clusters.append(Cluster(contextID: g.contexts.ids[Int(c)], typeName: typeName, name: g.contexts[Int(c)].name))
            }
            for (i, c) in chosen { draft.nodes[i].cluster = clusterOf[c] }
        }

        var notes: [String] = []
        if draft.nodes.count > options.maxNodes {
            notes = Self.group(&draft, snapshot: g, maxNodes: options.maxNodes, clusters: clusters)
        }
        // Clusters left without nodes (collapsed to summaries) are not drawn.
        let clusterNames = Dictionary(clusters.map { ($0.contextID, $0.name) }, uniquingKeysWith: { first, _ in first })
        func clusterName(_ contextID: Int64) -> String? { clusterNames[contextID] }
        let used = Set(draft.nodes.compactMap(\.cluster))
        var clusterIndex: [Int: Int] = [:]
        var keptClusters: [Cluster] = []
        for (c, cluster) in clusters.enumerated() where used.contains(c) {
            clusterIndex[c] = keptClusters.count
            keptClusters.append(cluster)
        }
        for i in draft.nodes.indices { draft.nodes[i].cluster = draft.nodes[i].cluster.flatMap { clusterIndex[$0] } }
        clusters = keptClusters

        // The public nodes, in order, with their keys.
        var keys: [String] = []
        var groups = 0, summaries = 0
        var out: [Node] = []
        for n in draft.nodes {
            let typeName = g.type(n.typeID)?.name ?? "?"
            let key: String
            if n.kind == .context {
                if n.ids.count == 1 {
                    key = "c\(n.ids[0])"
                } else {
                    summaries += 1
                    key = "s\(summaries)"
                }
            } else if n.members.count > 1 {
                groups += 1
                key = "g\(groups)"
            } else {
                key = (n.kind == .artifact ? "a" : "e") + String(n.ids[0])
            }
            keys.append(key)
            if n.kind == .context {
                let hidden = Self.hiddenCounts(g, n.members)
                let name = n.ids.count == 1 ? clusterName(n.ids[0]).map(Self.shorten) : nil
                out.append(Node(key: key, kind: .context, typeName: typeName, ids: n.ids, name: name, state: nil, mark: .none,
                                isStart: n.isStart, isResult: n.isResult, cluster: nil,
                                tooltip: Self.summaryTooltip(n, typeName, name: n.ids.count == 1 ? clusterName(n.ids[0]) : nil, hidden: hidden),
                                hidden: hidden))
                continue
            }
            let name = n.members.count == 1 ? Self.name(g, n.members[0]).map(Self.shorten) : nil
            out.append(Node(key: key, kind: n.kind, typeName: typeName, ids: n.ids, name: name, state: n.state, mark: n.mark,
                            isStart: n.isStart, isResult: n.isResult, cluster: n.cluster,
                            tooltip: n.members.count == 1 ? Self.tooltip(g, n.members[0]) : Self.groupTooltip(n, typeName)))
        }
        let edges = draft.edges.sorted { $0.key < $1.key }.map { p, info in
            Edge(from: keys[p.from], to: keys[p.to], label: info.labels.isEmpty ? nil : info.labels.sorted().joined(separator: ", "),
                 isDashed: info.isDashed)
        }
        self.init(nodes: out, edges: edges, clusters: clusters, notes: notes, options: options)
    }

    static func kindOrder(_ k: NodeKind) -> Int { k == .artifact ? 0 : k == .execution ? 1 : 2 }

    static func id(_ g: GraphSnapshot, _ r: NodeRef) -> Int64 { g.id(of: r) }

    static func typeID(_ g: GraphSnapshot, _ r: NodeRef) -> TypeID {
        switch r.kind {
        case .artifact: g.artifacts[Int(r.index)].typeID
        case .execution: g.executions[Int(r.index)].typeID
        case .context: g.contexts[Int(r.index)].typeID
        }
    }

    static func name(_ g: GraphSnapshot, _ r: NodeRef) -> String? {
        switch r.kind {
        case .artifact: g.artifacts[Int(r.index)].name
        case .execution: g.executions[Int(r.index)].name
        case .context: g.contexts[Int(r.index)].name
        }
    }

    static func state(_ g: GraphSnapshot, _ r: NodeRef) -> (StateMark, String?) {
        switch r.kind {
        case .artifact:
            guard let s = g.artifacts[Int(r.index)].state else { return (.none, nil) }
            switch s {
            case .live: return (.none, nil)
            case .deleted, .markedForDeletion: return (.deleted, s.description)
            case .abandoned: return (.abandoned, s.description)
            case .pending: return (.pending, s.description)
            case .unknown, .reference: return (.none, s.description)
            }
        case .execution:
            guard let s = g.executions[Int(r.index)].lastKnownState else { return (.none, nil) }
            switch s {
            case .complete: return (.none, nil)
            case .failed: return (.failed, s.description)
            case .canceled: return (.canceled, s.description)
            case .new, .running: return (.pending, s.description)
            case .unknown, .cached: return (.none, s.description)
            }
        case .context:
            return (.none, nil)
        }
    }

    /// Long names keep their head and tail: `chicago-tax…run-4/transform_graph`.
    static func shorten(_ name: String) -> String {
        guard name.count > 32 else { return name }
        return String(name.prefix(12)) + "…" + String(name.suffix(19))
    }

    static func tooltip(_ g: GraphSnapshot, _ r: NodeRef) -> String {
        let typeName = g.type(typeID(g, r))?.name ?? "?"
        var lines = ["\(r.kind) \(id(g, r)) (\(typeName))"]
        if let name = name(g, r) { lines.append("name: \(clip(name))") }
        let properties: Properties, custom: Properties
        switch r.kind {
        case .artifact:
            let a = g.artifacts[Int(r.index)]
            if let uri = a.uri, !uri.isEmpty { lines.append("uri: \(clip(uri))") }
            if let s = a.state { lines.append("state: \(s)") }
            (properties, custom) = (a.properties, a.customProperties)
        case .execution:
            let x = g.executions[Int(r.index)]
            if let s = x.lastKnownState { lines.append("last_known_state: \(s)") }
            (properties, custom) = (x.properties, x.customProperties)
        case .context:
            let c = g.contexts[Int(r.index)]
            (properties, custom) = (c.properties, c.customProperties)
        }
        for key in properties.keys.sorted() { lines.append("\(key): \(text(properties[key]!))") }
        for key in custom.keys.sorted() { lines.append("\(key) (custom): \(text(custom[key]!))") }
        if lines.count > 40 { lines = Array(lines.prefix(40)) + ["…"] }
        return lines.joined(separator: "\n")
    }

    /// What a summary hides, per kind and type: the most first, then by kind and name.
    static func hiddenCounts(_ g: GraphSnapshot, _ members: [NodeRef]) -> [HiddenCount] {
        var counts: [TypeID: (NodeKind, Int)] = [:]
        for m in members { counts[typeID(g, m), default: (m.kind, 0)].1 += 1 }
        return counts.map { t, v in HiddenCount(kind: v.0, typeName: g.type(t)?.name ?? "?", count: v.1) }
            .sorted { (-$0.count, kindOrder($0.kind), $0.typeName) < (-$1.count, kindOrder($1.kind), $1.typeName) }
    }

    static func summaryTooltip(_ n: DiagramDraft.Node, _ typeName: String, name: String?, hidden: [HiddenCount]) -> String {
        var lines: [String]
        if n.ids.count == 1 {
            lines = ["context \(n.ids[0]) (\(typeName))" + (name.map { ": \(clip($0))" } ?? ""), "its \(n.members.count) nodes drawn as one:"]
        } else {
            let shown = n.ids.prefix(50).map(String.init).joined(separator: ", ")
            lines = ["\(n.ids.count) \(typeName) contexts drawn as one", "ids: \(shown)\(n.ids.count > 50 ? ", …" : "")",
                     "their \(n.members.count) nodes:"]
        }
        lines += hidden.prefix(30).map { "\($0.count) \($0.typeName) \($0.kind)\($0.count == 1 ? "" : "s")" }
        if hidden.count > 30 { lines.append("…") }
        return lines.joined(separator: "\n")
    }

    static func groupTooltip(_ n: DiagramDraft.Node, _ typeName: String) -> String {
        let shown = n.ids.prefix(50).map(String.init).joined(separator: ", ")
        return "\(n.ids.count) \(typeName) \(n.kind)s drawn as one node\nids: \(shown)\(n.ids.count > 50 ? ", …" : "")"
    }

    static func text(_ v: Value) -> String {
        switch v {
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .string(let s): clip(s)
        case .bool(let b): String(b)
        case .struct(let fields): clip("{" + fields.keys.sorted().map { "\($0): \(structText(fields[$0]!))" }.joined(separator: ", ") + "}")
        case .proto(let p): "proto \(p.typeURL)"
        }
    }

    static func structText(_ v: StructValue) -> String {
        switch v {
        case .null: "null"
        case .number(let d): String(d)
        case .string(let s): "\"\(s)\""
        case .bool(let b): String(b)
        case .object(let o): "{" + o.keys.sorted().map { "\($0): \(structText(o[$0]!))" }.joined(separator: ", ") + "}"
        case .list(let l): "[" + l.map(structText).joined(separator: ", ") + "]"
        }
    }

    static func clip(_ s: String) -> String { s.count > 80 ? String(s.prefix(79)) + "…" : s }
}
