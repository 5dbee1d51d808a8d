import PedigreeGraph
import PedigreeModel

/// Large graphs: nodes of one kind and type (and state, highlight and cluster) that have the
/// same neighbours on both sides are drawn as one node with a count. Grouping repeats, since
/// merging one layer can make the next layer's neighbours equal, until the diagram fits or
/// nothing more merges. Start nodes are never grouped.
extension LineageDiagram {
    struct Signature: Hashable {
        var kind: NodeKind
        var typeID: TypeID
        var mark: StateMark
        var state: String?
        var isResult: Bool
        var cluster: Int?
        var incoming: [Int]
        var outgoing: [Int]
    }

    /// Groups `draft`'s nodes; returns the notes that say what was grouped.
    static func group(_ draft: inout DiagramDraft, snapshot g: GraphSnapshot, maxNodes: Int) -> [String] {
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
            notes.append("\(before) nodes, more than the \(maxNodes) to draw one by one, but no nodes of one type share their neighbours: nothing was grouped")
        } else {
            let parts = tallies.keys.sorted().map { t -> String in
                let type = g.type(t)
                let tally = tallies[t]!
                return "\(tally.nodes) \(type?.name ?? "?") \(type?.kind.description ?? "node")s into \(tally.groups) node\(tally.groups == 1 ? "" : "s")"
            }
            notes.append("\(before) nodes, more than \(maxNodes): grouped nodes of one type with the same neighbours"
                + (byType ? " (\(afterNeighbours) nodes), then the rest by type, whatever their neighbours" : "") + ": "
                + parts.joined(separator: "; "))
            if draft.nodes.count > maxNodes {
                notes.append("still \(draft.nodes.count) nodes after grouping")
            } else {
                notes.append("\(draft.nodes.count) nodes drawn")
            }
        }
        return notes
    }

    /// One round of merging: the nodes with equal signatures (with or without their neighbours)
    /// become one, where the first of them stood. Returns whether anything merged.
    static func merge(_ draft: inout DiagramDraft, byNeighbours: Bool) -> Bool {
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
        for (i, n) in draft.nodes.enumerated() where !n.isStart {
            let s = Signature(kind: n.kind, typeID: n.typeID, mark: n.mark, state: n.state, isResult: n.isResult, cluster: n.cluster,
                              incoming: incoming[i], outgoing: outgoing[i])
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
            let order = merged[i].ids.indices.sorted { merged[i].ids[$0] < merged[i].ids[$1] }
            merged[i].ids = order.map { merged[i].ids[$0] }
            merged[i].members = order.map { merged[i].members[$0] }
        }
        var edges: [DiagramDraft.Pair: DiagramDraft.EdgeInfo] = [:]
        for (p, info) in draft.edges {
            let pair = DiagramDraft.Pair(from: newPosition[p.from], to: newPosition[p.to])
            guard pair.from != pair.to else { continue }
            var e = edges[pair] ?? .init()
            e.labels.formUnion(info.labels)
            e.isDashed = e.isDashed || info.isDashed
            edges[pair] = e
        }
        draft.nodes = merged
        draft.edges = edges
        return true
    }
}
