@_spi(Engine) import PedigreeGraph
import PedigreeModel

/// Finds nodes for the search box: by id (`12`, `artifact:12`), by type name, and by name or
/// uri containing the text (ASCII letters match either case). Exact matches come first, then
/// prefixes, then the rest, each in (kind, id) order; `total` counts every match.
struct NodeSearch {
    struct Hit {
        var node: NodeRef
        /// What matched: id, type, name or uri.
        var field: String
        /// 0 exact, 1 prefix, 2 inside.
        var rank: Int
    }

    var hits: [Hit] = []
    var total = 0
    /// Types whose name contains the text, with their node counts.
    var types: [(kind: NodeKind, name: String, count: Int)] = []

    init(_ g: GraphSnapshot, text raw: String, kind: NodeKind?, typeName: String?, limit: Int) {
        let text = raw.trimmingCharacters(in: .whitespaces)
        var best: [Hit] = []
        var seen: Set<NodeRef> = []
        func offer(_ hit: Hit) {
            guard seen.insert(hit.node).inserted else { return }
            total += 1
            best.append(hit)
            // Keep the best `limit` without sorting every match.
            if best.count >= limit * 2 {
                best.sort(by: Self.order(g))
                best.removeLast(best.count - limit)
            }
        }
        let kinds: [NodeKind] = kind.map { [$0] } ?? [.artifact, .execution, .context]
        let typeFilter: Set<TypeID>? = typeName.map { name in Set(kinds.flatMap { g.typeIDs(kind: $0, name: name) }) }
        func typeOK(_ n: NodeRef) -> Bool { typeFilter.map { $0.contains(g.typeColumn(n.kind)[Int(n.index)]) } ?? true }

        // Ids: `12` in every kind, `artifact:12` in one.
        let idParts = text.split(whereSeparator: { $0 == ":" || $0 == " " || $0 == "/" || $0 == "#" })
        if let id = Int64(idParts.last ?? "") {
            let named = idParts.count == 2 ? NodeKind(name: String(idParts[0])) : nil
            if idParts.count == 1 || named != nil {
                for k in kinds where named == nil || named == k {
                    if let i = g.nodeIndex(kind: k, id: id), typeOK(NodeRef(k, i)) { offer(Hit(node: NodeRef(k, i), field: "id", rank: 0)) }
                }
            }
        }

        let needle = Array(text.utf8)
        for t in g.types where kinds.contains(t.kind) && !needle.isEmpty && Self.find(needle, in: t.name) != nil {
            let count = g.typeIDs(kind: t.kind, name: t.name).reduce(0) { $0 + g.nodeIndices(ofType: $1).count }
            if count > 0 || !t.name.hasPrefix("mlmd.") { types.append((t.kind, t.name + (t.version.map { "@" + $0 } ?? ""), count)) }
        }
        // A type named exactly: its nodes.
        for (id, t) in zip(g.typeIDs, g.types) where kinds.contains(t.kind) && t.name.lowercased() == text.lowercased() && !text.isEmpty {
            for i in g.nodeIndices(ofType: id) where typeOK(NodeRef(t.kind, i)) { offer(Hit(node: NodeRef(t.kind, i), field: "type", rank: 1)) }
        }

        // Names and uris.
        for k in kinds {
            let count = g.nodeCount(k)
            for i in 0..<count {
                let ref = NodeRef(k, Int32(i))
                if let typeFilter, !typeFilter.contains(g.typeColumn(k)[i]) { continue }
                if needle.isEmpty {
                    if typeFilter != nil { offer(Hit(node: ref, field: "type", rank: 1)) }
                    continue
                }
                if let name = g.nodeName(ref), let at = Self.find(needle, in: name) {
                    offer(Hit(node: ref, field: "name", rank: at == 0 ? (name.utf8.count == needle.count ? 0 : 1) : 2))
                } else if k == .artifact, let uri = g.artifacts.uri(at: i), let at = Self.find(needle, in: uri) {
                    offer(Hit(node: ref, field: "uri", rank: at == 0 ? (uri.utf8.count == needle.count ? 0 : 1) : 2))
                }
            }
        }
        best.sort(by: Self.order(g))
        hits = Array(best.prefix(limit))
        types.sort { (kindOrder($0.kind), $0.name) < (kindOrder($1.kind), $1.name) }
    }

    static func order(_ g: GraphSnapshot) -> (Hit, Hit) -> Bool {
        { a, b in
            if a.rank != b.rank { return a.rank < b.rank }
            if a.node.kind != b.node.kind { return kindOrder(a.node.kind) < kindOrder(b.node.kind) }
            return g.id(of: a.node) < g.id(of: b.node)
        }
    }

    /// The byte offset of `needle` in `haystack`, ASCII letters matching either case.
    static func find(_ needle: [UInt8], in haystack: String) -> Int? {
        var s = haystack
        return s.withUTF8 { h -> Int? in
            let n = needle.count
            guard n > 0, h.count >= n else { return n == 0 ? 0 : nil }
            let first = fold(needle[0])
            var i = 0
            while i <= h.count - n {
                if fold(h[i]) == first {
                    var j = 1
                    while j < n, fold(h[i + j]) == fold(needle[j]) { j += 1 }
                    if j == n { return i }
                }
                i += 1
            }
            return nil
        }
    }

    @inline(__always) static func fold(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b | 0x20 : b }
}
