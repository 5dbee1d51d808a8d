import PedigreeGraph
import PedigreeModel

/// Large graphs are summarised until they fit `maxNodes`, in steps that each lose more detail,
/// taking the next only while the diagram is still too large:
///
/// 1. Nodes of one kind and type (and state, highlight and cluster) that have the same
///    neighbours on both sides become one node with a count. This repeats, since merging one
///    layer can make the next layer's neighbours equal.
/// 2. Nodes of one kind, type, state, highlight and cluster become one, whatever their neighbours.
/// 3. With clusters: whole clusters, the smallest first (those holding start nodes last), are
///    collapsed to one summary node each, which names its context and counts what it hides.
///    The clusters that stay are the largest: whole runs rather than fragments.
/// 4. Collapsed clusters with the same neighbours become one node, then all collapsed clusters
///    of the context type become one.
/// 5. Start nodes, never grouped before, are grouped by kind and type.
///
/// Steps 1 and 2 keep nodes in their clusters (they group within a cluster). The notes say what
/// each step that ran did.
extension LineageDiagram {
    struct Signature: Hashable {
        var kind: NodeKind
        var typeID: TypeID
        var mark: StateMark
        var state: String?
        var isStart: Bool
        var isResult: Bool
        var cluster: Int?
        var incoming: [Int]
        var outgoing: [Int]
    }

    /// Groups `draft`'s nodes; returns the notes that say what was grouped. `clusters` are the
    /// clusters that the draft's nodes refer to.
    static func group(_ draft: inout DiagramDraft, snapshot g: GraphSnapshot, maxNodes: Int, clusters: [Cluster] = []) -> [String] {
        let before = draft.nodes.count
        var rounds = 0
        while draft.nodes.count > maxNodes, rounds < 16, merge(&draft, byNeighbours: true) { rounds += 1 }
        let afterNeighbours = draft.nodes.count
        // Still too many (a long chain has few nodes with equal neighbours): one node per type,
        // state and cluster, whatever its neighbours; a summary of how the types connect.
        let byType = draft.nodes.count > maxNodes && merge(&draft, byNeighbours: false)
        // Say what was grouped, per kind and type.
        struct Tally { var nodes = 0, groups = 0 }
        var tallies: [TypeID: Tally] = [:]
        for n in draft.nodes where n.ids.count > 1 {
            tallies[n.typeID, default: Tally()].nodes += n.ids.count
            tallies[n.typeID, default: Tally()].groups += 1
        }
        var notes: [String] = []
        if tallies.isEmpty {
            notes.append(clusters.isEmpty
                ? "\(before) nodes, more than the \(maxNodes) to draw one by one, but no nodes of one type share their neighbours: nothing was grouped"
                : "\(before) nodes, more than \(maxNodes): no nodes of one type share their neighbours or their type within a cluster")
        } else {
            let parts = tallies.keys.sorted().map { t -> String in
                let type = g.type(t)
                let tally = tallies[t]!
                return "\(tally.nodes) \(type?.name ?? "?") \(type?.kind.description ?? "node")s into \(tally.groups) node\(tally.groups == 1 ? "" : "s")"
            }
            notes.append("\(before) nodes, more than \(maxNodes): grouped nodes of one type with the same neighbours"
                + (clusters.isEmpty ? "" : " in each cluster")
                + (byType ? " (\(afterNeighbours) nodes), then the rest by type, whatever their neighbours" : "") + ": "
                + parts.joined(separator: "; "))
        }

        // Clusters, whole, the smallest first.
        if draft.nodes.count > maxNodes, !clusters.isEmpty {
            notes += collapseClusters(&draft, snapshot: g, maxNodes: maxNodes, clusters: clusters)
        }
        // Start nodes last: by kind and type, still highlighted.
        if draft.nodes.count > maxNodes {
            let starts = draft.nodes.filter(\.isStart)
            let startMembers = starts.reduce(0) { $0 + $1.members.count }
            if merge(&draft, byNeighbours: false, includingStarts: true) {
                let after = draft.nodes.count(where: \.isStart)
                notes.append("then the \(startMembers) start nodes by type, into \(after) node\(after == 1 ? "" : "s")")
            }
        }
        if before > maxNodes, notes.count > 1 || !tallies.isEmpty {
            notes.append(draft.nodes.count > maxNodes
                ? "still \(draft.nodes.count) nodes after grouping" : "\(draft.nodes.count) nodes drawn")
        }
        return notes
    }

    /// Collapses clusters to one summary node each until the diagram fits: those without start
    /// nodes first, the smallest first (a small cluster hides little; the largest, whole runs,
    /// stay drawn), the latest context first among equals. When one node per collapsed cluster
    /// is still too many, the summaries are merged too (those with the same neighbours, then all
    /// of the context type), and as few clusters are collapsed as that allows. Returns the notes.
    static func collapseClusters(_ draft: inout DiagramDraft, snapshot g: GraphSnapshot, maxNodes: Int, clusters: [Cluster]) -> [String] {
        var drawn = [Int](repeating: 0, count: clusters.count)
        var hasStart = [Bool](repeating: false, count: clusters.count)
        for n in draft.nodes {
            guard let c = n.cluster else { continue }
            drawn[c] += 1
            if n.isStart { hasStart[c] = true }
        }
        let present = clusters.indices.filter { drawn[$0] > 0 }
        guard !present.isEmpty else { return [] }
        let order = present.sorted {
            (hasStart[$0] ? 1 : 0, drawn[$0], -clusters[$0].contextID) < (hasStart[$1] ? 1 : 0, drawn[$1], -clusters[$1].contextID)
        }
        let contextTypeID = g.types(of: .context).first { $0.name == clusters[present[0]].typeName }?.id ?? TypeID(0)

        /// The draft with the clusters `collapse` collapsed, their summaries merged while the
        /// diagram does not fit when `mergingSummaries`.
        func collapsed(_ collapse: Set<Int>, mergingSummaries: Bool) -> DiagramDraft {
            var d = draft
            var summaryOf: [Int: Int] = [:]
            var nodes: [DiagramDraft.Node] = []
            var newPosition = [Int](repeating: -1, count: d.nodes.count)
            for (i, n) in d.nodes.enumerated() {
                guard let c = n.cluster, collapse.contains(c) else {
                    newPosition[i] = nodes.count
                    nodes.append(n)
                    continue
                }
                if let s = summaryOf[c] {
                    nodes[s].members += n.members
                    nodes[s].isStart = nodes[s].isStart || n.isStart
                    nodes[s].isResult = nodes[s].isResult || n.isResult
                    newPosition[i] = s
                } else {
                    summaryOf[c] = nodes.count
                    newPosition[i] = nodes.count
                    nodes.append(DiagramDraft.Node(
                        members: n.members, ids: [clusters[c].contextID], kind: .context, typeID: contextTypeID, mark: .none, state: nil,
                        isStart: n.isStart, isResult: n.isResult, cluster: nil))
                }
            }
            d.replace(nodes: nodes, newPosition: newPosition)
            if mergingSummaries {
                var rounds = 0
                while d.nodes.count > maxNodes, rounds < 16, merge(&d, byNeighbours: true) { rounds += 1 }
                if d.nodes.count > maxNodes { _ = merge(&d, byNeighbours: false) }
            }
            return d
        }

        // One node per collapsed cluster, as few collapsed as needed. (Collapsing a cluster of
        // one node gains nothing unless the summaries are merged.)
        var collapse: Set<Int> = []
        var count = draft.nodes.count
        for c in order where count > maxNodes && drawn[c] > 1 {
            collapse.insert(c)
            count -= drawn[c] - 1
        }
        let mergingSummaries = count > maxNodes
        if mergingSummaries {
            // The fewest collapsed clusters (in order) whose merged summaries fit; all when none do.
            var low = 1, high = order.count
            if collapsed(Set(order), mergingSummaries: true).nodes.count <= maxNodes {
                while low < high {
                    let mid = (low + high) / 2
                    if collapsed(Set(order.prefix(mid)), mergingSummaries: true).nodes.count <= maxNodes { high = mid } else { low = mid + 1 }
                }
            }
            collapse = Set(order.prefix(high))
        }
        let k = collapse.count
        draft = collapsed(collapse, mergingSummaries: mergingSummaries)

        let typeName = clusters[present[0]].typeName
        let summaries = draft.nodes.filter { $0.kind == .context }
        let hidden = summaries.reduce(0) { $0 + $1.members.count }
        let hiddenArtifacts = summaries.reduce(0) { $0 + $1.members.count(where: { $0.kind == .artifact }) }
        var notes = ["then collapsed \(k) of the \(present.count) \(typeName) clusters (the smallest first) to one node each, "
            + "hiding \(hidden) nodes: \(hiddenArtifacts) artifacts, \(hidden - hiddenArtifacts) executions"]
        if mergingSummaries {
            notes.append("then the collapsed clusters with the same neighbours as one node, then the rest by type: "
                + "\(k) \(typeName) clusters into \(summaries.count) node\(summaries.count == 1 ? "" : "s")")
        }
        return notes
    }

    /// One round of merging: the nodes with equal signatures (with or without their neighbours)
    /// become one, where the first of them stood. Start nodes stay apart unless
    /// `includingStarts`. Returns whether anything merged.
    static func merge(_ draft: inout DiagramDraft, byNeighbours: Bool, includingStarts: Bool = false) -> Bool {
        var incoming = [[Int]](repeating: [], count: draft.nodes.count)
        var outgoing = [[Int]](repeating: [], count: draft.nodes.count)
        if byNeighbours {
            for p in draft.edges.keys.sorted() {
                outgoing[p.from].append(p.to)
                incoming[p.to].append(p.from)
            }
        }
        var bucketOf: [Int] = Array(0..<draft.nodes.count)
        var firstWith: [Signature: Int] = [:]
        var merges = false
        for (i, n) in draft.nodes.enumerated() where includingStarts || !n.isStart {
            let s = Signature(kind: n.kind, typeID: n.typeID, mark: n.mark, state: n.state, isStart: n.isStart, isResult: n.isResult,
                              cluster: n.cluster, incoming: incoming[i], outgoing: outgoing[i])
            if let first = firstWith[s] {
                bucketOf[i] = first
                merges = true
            } else {
                firstWith[s] = i
            }
        }
        guard merges else { return false }
        var newPosition = [Int](repeating: -1, count: draft.nodes.count)
        var merged: [DiagramDraft.Node] = []
        for i in draft.nodes.indices {
            let b = bucketOf[i]
            if b == i {
                newPosition[i] = merged.count
                merged.append(draft.nodes[i])
            } else {
                newPosition[i] = newPosition[b]
                merged[newPosition[b]].members += draft.nodes[i].members
                merged[newPosition[b]].ids += draft.nodes[i].ids
            }
        }
        for i in merged.indices where merged[i].ids.count > 1 {
            if merged[i].kind == .context {
                // A summary: its ids are its contexts', its members the nodes it hides.
                merged[i].ids.sort()
            } else {
                let order = merged[i].ids.indices.sorted { merged[i].ids[$0] < merged[i].ids[$1] }
                merged[i].ids = order.map { merged[i].ids[$0] }
                merged[i].members = order.map { merged[i].members[$0] }
            }
        }
        draft.replace(nodes: merged, newPosition: newPosition)
        return true
    }
}

extension DiagramDraft {
    /// Puts `nodes` in place of the draft's nodes, the node at old position `i` now at
    /// `newPosition[i]`, with the edges moved along (merged, without loops).
    mutating func replace(nodes newNodes: [Node], newPosition: [Int]) {
        var moved: [Pair: EdgeInfo] = [:]
        for (p, info) in edges {
            let pair = Pair(from: newPosition[p.from], to: newPosition[p.to])
            guard pair.from != pair.to else { continue }
            var e = moved[pair] ?? .init()
            e.labels.formUnion(info.labels)
            e.isDashed = e.isDashed || info.isDashed
            moved[pair] = e
        }
        nodes = newNodes
        edges = moved
    }
}
