public import PedigreeModel

/// The nodes of one kind and their indexes, written once for every kind: id, type and record
/// columns by dense index (about half the memory of an array of the package structs, whose
/// optionals pad every field to 16 bytes), id slots, the (type, name), external id and uri
/// indexes, and the nodes of each type and state with their counts.
///
/// Copying is O(1) and a write copies only the chunks it touches, as with `ChunkedArray`. A
/// node's id is its column, never optional: `id(at:)`.
public struct NodeStore<Node: StoredNode>: Sendable, RandomAccessCollection {
    /// The MLMD id at each dense index (ids never change).
    package private(set) var ids = ChunkedArray<Int64>()
    /// The type at each dense index: a compact column for scans that test only the type.
    package private(set) var types = ChunkedArray<TypeID>()
    private var records = ChunkedArray<NodeRecord<Node.Inline>>()
    package private(set) var slots = IDSlots()
    private var byName = StringIndex()
    private var byExternalID = StringIndex()
    private var byURI = StringIndex()
    /// Dense indices of each type's nodes, in creation order (a node whose type changed is
    /// filtered on read).
    private var byType: [TypeID: ChunkedArray<Int32>] = [:]
    /// Exact node counts by type, kept by every write: the planner's statistics.
    package private(set) var typeCounts: [TypeID: Int] = [:]
    /// Dense indices by state (slot 0: no state, slot s + 1: raw value s), in the order nodes
    /// entered the state; a node that left a state is filtered on read.
    private var byState = [ChunkedArray<Int32>](repeating: ChunkedArray(), count: Self.stateSlots)
    /// Exact node counts by state, slotted like `byState`.
    package private(set) var stateCounts = [Int](repeating: 0, count: Self.stateSlots)
    /// Whether dense indices follow id order (true unless nodes arrived out of id order, as an
    /// import with explicit ids can): then sorting by index is sorting by id.
    package private(set) var indicesFollowIDs = true
    /// Whether the ids run densely from the first (id = first + index), as AUTOINCREMENT ids do
    /// in a store nothing was deleted from.
    package private(set) var idsRunDensely = true

    private static var stateSlots: Int { 8 }

    package init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { ids.count }

    public subscript(position: Int) -> Node {
        Node(id: ids[position], typeID: types[position], record: records[position])
    }
}

// MARK: - Reads

extension NodeStore {
    /// The id of the node at a dense index.
    package func id(at index: Int32) -> Node.ID { Node.ID(ids[Int(index)]) }

    package func index(of id: Node.ID) -> Int32? { slots[id.rawValue] }

    /// The name at a dense index, read without building the node (for scans).
    package func name(at position: Int) -> String? { records[position].name }

    /// The uri at a dense index (nil for a kind without), read without building the node.
    package func uri(at position: Int) -> String? { Node.uri(records[position].inline) }

    public func node(_ id: Node.ID) -> Node? { index(of: id).map { self[Int($0)] } }

    /// The nodes at these dense indices, in ascending id order.
    package func inIDOrder(_ indices: some Sequence<Int32>) -> [Node] {
        indices.sorted { ids[Int($0)] < ids[Int($1)] }.map { self[Int($0)] }
    }

    package func index(typeID: TypeID, name: String) -> Int32? {
        byName.first(StringIndex.hash(name, qualifier: typeID.rawValue)) {
            types[Int($0)] == typeID && records[Int($0)].name == name
        }
    }

    package func index(externalID: String) -> Int32? {
        byExternalID.first(StringIndex.hash(externalID)) { records[Int($0)].extras?.externalID == externalID }
    }

    /// The nodes with this uri, newest first (only artifacts have uris).
    package func indices(uri: String) -> [Int32] {
        var found: [Int32] = []
        byURI.forEach(StringIndex.hash(uri)) { slot in
            if Node.uri(records[Int(slot)].inline) == uri { found.append(slot) }
            return true
        }
        return found
    }

    /// Dense indices of the nodes of one type, in creation order.
    package func indices(ofType id: TypeID) -> [Int32] {
        byType[id]?.filter { types[Int($0)] == id } ?? []
    }

    package func count(ofType id: TypeID) -> Int { typeCounts[id] ?? 0 }

    /// The state's raw value at a dense index, -1 when unset, without assembling the node.
    package func stateRaw(_ position: Int) -> Int8 { Node.stateRaw(records[position].inline) }

    /// Dense indices of the nodes in a state (raw value, -1: none set), in the order they entered it.
    package func indices(stateRaw state: Int8) -> [Int32] {
        byState[Self.stateSlot(state)].filter { stateRaw(Int($0)) == state }
    }

    /// The number of nodes in a state (raw value, -1: none set).
    package func count(stateRaw state: Int8) -> Int { stateCounts[Self.stateSlot(state)] }

    private static func stateSlot(_ raw: Int8) -> Int { Int(raw) + 1 }
}

// MARK: - Writes (writer only)

extension NodeStore {
    /// Inserts a new node with this id or replaces the stored one: columns, slots and every
    /// index. Returns whether it was new (so the caller grows the adjacency).
    @discardableResult
    package mutating func put(_ node: Node, id: Node.ID) -> Bool {
        let record = node.record
        let state = Node.stateRaw(record.inline)
        guard let slot = slots[id.rawValue] else {
            let slot = Int32(ids.count)
            append(record, id: id.rawValue, typeID: node.typeID)
            addToType(node.typeID, slot)
            addToState(state, slot)
            index(slot)
            return true
        }
        let i = Int(slot)
        unindex(slot)
        if types[i] != node.typeID {
            typeCounts[types[i], default: 0] -= 1
            addToType(node.typeID, slot)
        }
        if stateRaw(i) != state {
            stateCounts[Self.stateSlot(stateRaw(i))] -= 1
            addToState(state, slot)
        }
        types[i] = node.typeID
        records[i] = record
        index(slot)
        return false
    }

    /// Appends a node of a bulk load: columns and slots only; `finishLoad` builds the rest.
    package mutating func load(_ node: Node, id: Node.ID) {
        append(node.record, id: id.rawValue, typeID: node.typeID)
    }

    /// Sets a property of a node already loaded (a bulk load streams properties after nodes).
    package mutating func setProperty(of id: Int64, name: String, custom: Bool, _ value: Value) {
        guard let slot = slots[id] else { return }
        var node = self[Int(slot)]
        if custom { node.customProperties[name] = value } else { node.properties[name] = value }
        records[Int(slot)] = node.record
    }

    /// Forgets a type that no node has any more.
    package mutating func removeType(_ id: TypeID) {
        byType[id] = nil
        typeCounts[id] = nil
    }

    private mutating func append(_ record: NodeRecord<Node.Inline>, id: Int64, typeID: TypeID) {
        let slot = Int32(ids.count)
        if let last = ids.last {
            if last > id { indicesFollowIDs = false }
            if let first = ids.first, id != first + Int64(slot) { idsRunDensely = false }
        }
        ids.append(id)
        types.append(typeID)
        records.append(record)
        slots.set(id, slot)
    }

    private mutating func addToType(_ typeID: TypeID, _ slot: Int32) {
        byType[typeID, default: ChunkedArray()].append(slot)
        typeCounts[typeID, default: 0] += 1
    }

    private mutating func addToState(_ state: Int8, _ slot: Int32) {
        byState[Self.stateSlot(state)].append(slot)
        stateCounts[Self.stateSlot(state)] += 1
    }

    private static func nameHash(_ record: NodeRecord<Node.Inline>, _ typeID: TypeID) -> UInt64? {
        record.name.map { StringIndex.hash($0, qualifier: typeID.rawValue) }
    }

    private static func externalIDHash(_ record: NodeRecord<Node.Inline>) -> UInt64? {
        record.extras?.externalID.map { StringIndex.hash($0) }
    }

    private static func uriHash(_ record: NodeRecord<Node.Inline>) -> UInt64? {
        Node.uri(record.inline).map { StringIndex.hash($0) }
    }

    private mutating func index(_ slot: Int32) {
        let record = records[Int(slot)]
        if let h = Self.nameHash(record, types[Int(slot)]) { byName.insert(h, slot) }
        if let h = Self.externalIDHash(record) { byExternalID.insert(h, slot) }
        if let h = Self.uriHash(record) { byURI.insert(h, slot) }
    }

    private mutating func unindex(_ slot: Int32) {
        let record = records[Int(slot)]
        if let h = Self.nameHash(record, types[Int(slot)]) { byName.remove(h, slot) }
        if let h = Self.externalIDHash(record) { byExternalID.remove(h, slot) }
        if let h = Self.uriHash(record) { byURI.remove(h, slot) }
    }
}

// MARK: - Bulk load

extension NodeStore {
    /// The builds of the name, external id and uri indexes over the nodes loaded, independent of
    /// one another (and of other kinds'), for the caller to run in parallel and hand to `finishLoad`.
    package func indexBuilds() -> [@Sendable () -> StringIndex] {
        let records = records, types = types
        return [
            { StringIndex(count: records.count) { Self.nameHash(records[$0], types[$0]) } },
            { StringIndex(count: records.count) { Self.externalIDHash(records[$0]) } },
            { StringIndex(count: records.count) { Self.uriHash(records[$0]) } },
        ]
    }

    /// Ends a bulk load: takes the indexes built from `indexBuilds`, and groups the nodes by type
    /// (counting into a table by type id below `typeBound` rather than hashing each node's type)
    /// and by state.
    package mutating func finishLoad(indexes: [StringIndex], typeBound: Int) {
        (byName, byExternalID, byURI) = (indexes[0], indexes[1], indexes[2])
        var lists = [ChunkedArray<Int32>](repeating: ChunkedArray(), count: typeBound)
        for (i, t) in types.enumerated() {
            if t.rawValue >= 0 && t.rawValue < typeBound {
                lists[Int(t.rawValue)].append(Int32(i))
            } else {
                addToType(t, Int32(i))
            }
        }
        for (t, list) in lists.enumerated() where list.count > 0 {
            byType[TypeID(Int64(t)), default: ChunkedArray()].append(contentsOf: list)
            typeCounts[TypeID(Int64(t)), default: 0] += list.count
        }
        for i in 0..<records.count { addToState(stateRaw(i), Int32(i)) }
    }
}

// MARK: - Invariants

extension NodeStore {
    /// What does not hold of the columns and indexes, one line each; empty when all is well.
    /// O(nodes): for tests, after every write.
    package func invariantViolations() -> [String] {
        var found: [String] = []
        func check(_ holds: Bool, _ what: @autoclosure () -> String) {
            if !holds && found.count < 20 { found.append("\(Node.kind): \(what())") }
        }
        check(ids.count == types.count && ids.count == records.count, "columns of different lengths")
        var typeTally: [TypeID: Int] = [:]
        var stateTally = [Int](repeating: 0, count: Self.stateSlots)
        for i in 0..<ids.count {
            let slot = Int32(i), record = records[i], id = ids[i]
            check(slots[id] == slot, "id \(id) does not map to its index \(i)")
            if indicesFollowIDs && i > 0 { check(ids[i - 1] < id, "indices do not follow ids at \(i)") }
            if idsRunDensely { check(id == ids[0] + Int64(i), "ids do not run densely at \(i)") }
            if let name = record.name { check(index(typeID: types[i], name: name) == slot, "id \(id): name '\(name)' not indexed") }
            if let ext = record.extras?.externalID { check(index(externalID: ext) == slot, "id \(id): external id '\(ext)' not indexed") }
            if let uri = Node.uri(record.inline) { check(indices(uri: uri).contains(slot), "id \(id): uri '\(uri)' not indexed") }
            typeTally[types[i], default: 0] += 1
            stateTally[Self.stateSlot(stateRaw(i))] += 1
        }
        for (t, n) in typeTally {
            check(typeCounts[t] == n, "type \(t): counted \(typeCounts[t] ?? 0), holds \(n)")
            check(indices(ofType: t).count == n, "type \(t): listed \(indices(ofType: t).count), holds \(n)")
        }
        for (t, n) in typeCounts where typeTally[t] == nil { check(n == 0, "type \(t): counted \(n), holds none") }
        for s in 0..<Self.stateSlots {
            check(stateCounts[s] == stateTally[s], "state slot \(s): counted \(stateCounts[s]), holds \(stateTally[s])")
            check(indices(stateRaw: Int8(s - 1)).count == stateTally[s], "state slot \(s): listed differently from held")
        }
        return found
    }
}
