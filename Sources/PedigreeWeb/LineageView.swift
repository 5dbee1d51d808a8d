@_spi(Engine) import PedigreeGraph
import PedigreeModel

/// What the node page draws around its node: how far upstream and downstream, which nodes are
/// expanded past that or collapsed, which types are shown, or only the paths to another node.
/// Every field comes from the page's URL, so a view is a link.
struct LineageRequest: Sendable, Equatable {
    var focus: NodeRef
    var up = 2
    var down = 2
    /// Nodes whose neighbours are shown two hops further (an execution and its artifacts), both ways.
    var expand: [NodeRef] = []
    /// Nodes shown, but not walked past: what lies beyond them is counted, not drawn.
    var collapse: [NodeRef] = []
    /// The type names shown (the focus always is); empty: every type.
    var types: [String] = []
    /// Type names not shown (the focus always is).
    var hide: [String] = []
    /// Only the nodes on a directed path between the focus and this node.
    var pathTo: NodeRef?

    /// The deepest walk a view asks for, each way.
    static let maxDepth = 50
    /// Hops an expansion adds.
    static let expandHops = 2
    /// A view stops growing at this many nodes (the diagram summarises well before).
    static let maxNodes = 20_000
}

/// The nodes and events of a lineage view, with what each node hides.
struct LineageView {
    var request: LineageRequest
    /// Shown nodes in (kind, id) order.
    var nodes: [NodeRef]
    /// Signed hops from the focus along the walk that reached a node: upstream negative.
    var distance: [NodeRef: Int]
    /// Events whose both ends are shown.
    var events: [Int32]
    /// Per shown node, its neighbours upstream and downstream that the view leaves out.
    var moreUpstream: [NodeRef: Int]
    var moreDownstream: [NodeRef: Int]
    /// Per collapsed node, the nodes beyond it (within the view's depth) left out.
    var hiddenBehind: [NodeRef: Int]
    /// Nodes left out by the type filter, by type name.
    var hiddenByType: [String: Int]
    /// The walk stopped at `LineageRequest.maxNodes`.
    var truncated: Bool
    /// A path view found no directed path between the two nodes.
    /// (A context's view is its members, at distance 0.)
    var noPath: Bool

    init(_ g: GraphSnapshot, _ request: LineageRequest) {
        self.request = request
        var reached: [NodeRef: Int] = [request.focus: 0]
        var truncated = false
        var noPath = false
        let collapsed = Set(request.collapse)

        /// Breadth-first from `start` one way, up to `depth` hops, not past collapsed nodes
        /// (other than the start), through nodes reached before as well; records the signed
        /// distance of what it reaches first.
        func walk(from start: NodeRef, downstream: Bool, depth: Int, base: Int, into reached: inout [NodeRef: Int]) {
            var frontier = [start]
            var seen: Set<NodeRef> = [start]
            var hop = 0
            while !frontier.isEmpty, hop < depth {
                hop += 1
                var next: [NodeRef] = []
                for n in frontier where n == start || !collapsed.contains(n) {
                    g.forEachEdge(n, downstream: downstream) { far, _ in
                        guard seen.insert(far).inserted else { return }
                        if reached[far] == nil {
                            guard reached.count < LineageRequest.maxNodes else { truncated = true; return }
                            reached[far] = base + (downstream ? hop : -hop)
                        }
                        next.append(far)
                    }
                }
                frontier = next
            }
        }

        if request.focus.kind == .context {
            // A context's view is its members and the events among them.
            reached = [:]
            let members = g.contextArtifacts.items(request.focus.index).map { NodeRef(.artifact, $0) }
                + g.contextExecutions.items(request.focus.index).map { NodeRef(.execution, $0) }
            for m in members.prefix(LineageRequest.maxNodes) { reached[m] = 0 }
            truncated = members.count > LineageRequest.maxNodes
        } else if let target = request.pathTo {
            // The nodes on some directed path: downstream of one end and upstream of the other.
            let bound = Int.max
            var onPath: Set<NodeRef> = []
            for focusDownstream in [true, false] {
                var fromFocus: [NodeRef: Int] = [request.focus: 0]
                var fromTarget: [NodeRef: Int] = [target: 0]
                walk(from: request.focus, downstream: focusDownstream, depth: bound, base: 0, into: &fromFocus)
                guard fromFocus[target] != nil else { continue }
                walk(from: target, downstream: !focusDownstream, depth: bound, base: 0, into: &fromTarget)
                for (n, d) in fromFocus where fromTarget[n] != nil {
                    onPath.insert(n)
                    reached[n] = d
                }
            }
            if onPath.isEmpty {
                noPath = true
                reached[target] = 0
            }
        } else {
            walk(from: request.focus, downstream: false, depth: request.up, base: 0, into: &reached)
            walk(from: request.focus, downstream: true, depth: request.down, base: 0, into: &reached)
            for e in request.expand where e.kind != .context {
                let base = reached[e] ?? 0
                if reached[e] == nil { reached[e] = 0 }
                walk(from: e, downstream: false, depth: LineageRequest.expandHops, base: base, into: &reached)
                walk(from: e, downstream: true, depth: LineageRequest.expandHops, base: base, into: &reached)
            }
        }

        // What lies beyond each collapsed node, within the depth the view would have walked.
        var hiddenBehind: [NodeRef: Int] = [:]
        for c in collapsed where c != request.focus {
            guard let d = reached[c] else { continue }
            var beyond: [NodeRef: Int] = [c: d]
            let remaining = d < 0 ? request.up + d : request.down - d
            walk(from: c, downstream: d > 0, depth: max(remaining, 0), base: d, into: &beyond)
            hiddenBehind[c] = beyond.keys.filter { reached[$0] == nil }.count
        }

        var hiddenByType: [String: Int] = [:]
        var shown = reached
        if !request.types.isEmpty || !request.hide.isEmpty {
            let wanted = Set(request.types), unwanted = Set(request.hide)
            for n in reached.keys where n != request.focus && n != request.pathTo {
                let type = g.typeName(of: n)
                if unwanted.contains(type) || (!wanted.isEmpty && !wanted.contains(type)) {
                    shown[n] = nil
                    hiddenByType[type, default: 0] += 1
                }
            }
        }

        var moreUp: [NodeRef: Int] = [:], moreDown: [NodeRef: Int] = [:]
        var events: Set<Int32> = []
        for n in shown.keys {
            g.forEachEdge(n, downstream: false) { far, e in
                if reached[far] == nil { moreUp[n, default: 0] += 1 } else if shown[far] != nil { events.insert(e) }
            }
            g.forEachEdge(n, downstream: true) { far, e in
                if reached[far] == nil { moreDown[n, default: 0] += 1 } else if shown[far] != nil { events.insert(e) }
            }
        }
        nodes = shown.keys.sorted { (kindOrder($0.kind), g.id(of: $0)) < (kindOrder($1.kind), g.id(of: $1)) }
        distance = shown
        self.events = events.sorted()
        moreUpstream = moreUp
        moreDownstream = moreDown
        self.hiddenBehind = hiddenBehind
        self.hiddenByType = hiddenByType
        self.truncated = truncated
        self.noPath = noPath
    }
}

/// Artifacts, then executions, then contexts: the order pages and the API list nodes in.
func kindOrder(_ kind: NodeKind) -> Int {
    switch kind {
    case .artifact: 0
    case .execution: 1
    case .context: 2
    }
}
