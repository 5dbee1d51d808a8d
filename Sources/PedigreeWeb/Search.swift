internal import Glibc
internal import Synchronization
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

    init(_ g: GraphSnapshot, index: SearchIndex, text raw: String, kind: NodeKind?, typeName: String?, limit: Int) {
        let text = raw.trimmingCharacters(in: .whitespaces)
        var best: [Hit] = []
        var seen: Set<NodeRef> = []
        var total = 0
        func offer(_ hit: Hit) {
            guard seen.insert(hit.node).inserted else { return }
            total += 1
            best.append(hit)
            // Keep the best `limit` without sorting every match.
            if best.count >= max(limit * 4, 4_096) {
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
        let counts = g.countsByType()
        for (id, t) in zip(g.typeIDs, g.types) where kinds.contains(t.kind) && !needle.isEmpty && Self.contains(needle, t.name) {
            let count = counts[id] ?? 0
            if count > 0 || !t.name.hasPrefix("mlmd.") { types.append((t.kind, t.name + (t.version.map { "@" + $0 } ?? ""), count)) }
        }
        // A type named exactly: its nodes.
        for (id, t) in zip(g.typeIDs, g.types) where kinds.contains(t.kind) && t.name.lowercased() == text.lowercased() && !text.isEmpty {
            for i in g.nodeIndices(ofType: id) where typeOK(NodeRef(t.kind, i)) { offer(Hit(node: NodeRef(t.kind, i), field: "type", rank: 1)) }
        }

        // Names and uris.
        if needle.isEmpty {
            if typeFilter != nil {
                for k in kinds {
                    for i in 0..<g.nodeCount(k) where typeOK(NodeRef(k, Int32(i))) { offer(Hit(node: NodeRef(k, Int32(i)), field: "type", rank: 1)) }
                }
            }
        } else {
            let folded = needle.map(Self.fold)
            index.matches(folded) { ref, isURI, at, length in
                guard kinds.contains(ref.kind), typeOK(ref) else { return }
                offer(Hit(node: ref, field: isURI ? "uri" : "name", rank: at == 0 ? (length == folded.count ? 0 : 1) : 2))
            }
        }
        best.sort(by: Self.order(g))
        hits = Array(best.prefix(limit))
        self.total = total
        types.sort { (kindOrder($0.kind), $0.name) < (kindOrder($1.kind), $1.name) }
    }

    static func order(_ g: GraphSnapshot) -> (Hit, Hit) -> Bool {
        { a, b in
            if a.rank != b.rank { return a.rank < b.rank }
            if a.node.kind != b.node.kind { return kindOrder(a.node.kind) < kindOrder(b.node.kind) }
            return g.id(of: a.node) < g.id(of: b.node)
        }
    }

    @inline(__always) static func fold(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b | 0x20 : b }

    /// Whether `text` holds `needle`, ASCII letters matching either case.
    static func contains(_ needle: [UInt8], _ text: String) -> Bool {
        let n = needle.map(fold), h = text.utf8.map(fold)
        guard n.count <= h.count else { return false }
        return (0...(h.count - n.count)).contains { i in h[i..<i + n.count].elementsEqual(n) }
    }
}

/// Every node's name and every artifact's uri, ASCII letters folded to lower case, in one byte
/// buffer (entries ended by a 0 byte): a search reads one contiguous buffer instead of a million
/// strings. Built for one snapshot generation; `SearchIndexCache` keeps the newest.
final class SearchIndex: Sendable {
    let generation: UInt64
    private let bytes: [UInt8]
    /// Where each entry starts in `bytes` (ascending), and whose name or uri it is.
    private let starts: [Int32]
    private let refs: [NodeRef]
    private let isURI: [Bool]

    init(_ g: GraphSnapshot) {
        generation = g.generation
        var bytes: [UInt8] = [], starts: [Int32] = [], refs: [NodeRef] = [], isURI: [Bool] = []
        func add(_ text: String?, _ ref: NodeRef, uri: Bool) {
            guard let text, !text.isEmpty else { return }
            starts.append(Int32(bytes.count))
            refs.append(ref)
            isURI.append(uri)
            for b in text.utf8 { bytes.append(b == 0 ? 0x20 : NodeSearch.fold(b)) }
            bytes.append(0)
        }
        for k in [NodeKind.artifact, .execution, .context] {
            for i in 0..<g.nodeCount(k) {
                let ref = NodeRef(k, Int32(i))
                add(g.nodeName(ref), ref, uri: false)
                if k == .artifact { add(g.artifacts.uri(at: i), ref, uri: true) }
            }
        }
        self.bytes = bytes
        self.starts = starts
        self.refs = refs
        self.isURI = isURI
    }

    /// Calls `body(node, isURI, offset in the entry, entry length)` for each entry that holds
    /// `needle` (already folded), once per entry, in index order.
    func matches(_ needle: [UInt8], _ body: (NodeRef, Bool, Int, Int) -> Void) {
        guard let first = needle.first, first != 0 else { return }
        bytes.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                let end = h.count
                var at = 0
                var entry = 0
                while at + n.count <= end {
                    // The next place the first byte occurs.
                    guard let p = memchr(h.baseAddress! + at, Int32(first), end - at) else { return }
                    let i = h.baseAddress!.distance(to: p.assumingMemoryBound(to: UInt8.self))
                    guard i + n.count <= end else { return }
                    if memcmp(h.baseAddress! + i, n.baseAddress!, n.count) != 0 {
                        at = i + 1
                        continue
                    }
                    // The entry holding offset i: the last start at or before it.
                    var lo = entry, hi = starts.count - 1
                    while lo < hi {
                        let mid = (lo + hi + 1) / 2
                        if Int(starts[mid]) <= i { lo = mid } else { hi = mid - 1 }
                    }
                    entry = lo
                    let start = Int(starts[entry])
                    let next = entry + 1 < starts.count ? Int(starts[entry + 1]) : end
                    body(refs[entry], isURI[entry], i - start, next - 1 - start)
                    at = next
                    entry += 1
                    if entry >= starts.count { return }
                }
            }
        }
    }
}

/// The newest search index, rebuilt when the store's snapshot has moved on.
final class SearchIndexCache: Sendable {
    private let current = Mutex<SearchIndex?>(nil)

    /// The index of this snapshot: the cached one when its generation matches, else a new one.
    func index(for g: GraphSnapshot) -> SearchIndex {
        if let index = current.withLock({ $0 }), index.generation == g.generation { return index }
        let index = SearchIndex(g)
        current.withLock { cached in
            if cached == nil || cached!.generation < index.generation { cached = index }
        }
        return index
    }
}
