public import PedigreeModel
internal import Dispatch
internal import Synchronization

/// The events, as columns by event index: the stored row id, the ends' dense indices, the type,
/// the path and the time. `GraphSnapshot.event(_:)` assembles one as an `Event`.
package struct EventColumns: Sendable {
    /// `Event.id` in the store.
    package private(set) var rowIDs = ChunkedArray<Int64>()
    package private(set) var artifacts = ChunkedArray<Int32>()
    package private(set) var executions = ChunkedArray<Int32>()
    package private(set) var types = ChunkedArray<UInt8>()
    package private(set) var paths = ChunkedArray<[EventStep]>()
    /// Milliseconds since the epoch, where `hasTime` (two plain columns: 9 bytes an event, where
    /// `Int64?` would pad to 16).
    private var times = ChunkedArray<Int64>()
    private var hasTime = ChunkedArray<Bool>()

    package func time(_ i: Int) -> Int64? { hasTime[i] ? times[i] : nil }

    package var count: Int { rowIDs.count }

    mutating func append(rowID: Int64, artifact: Int32, execution: Int32, type: EventType, path: [EventStep], time: Int64?) {
        rowIDs.append(rowID)
        artifacts.append(artifact)
        executions.append(execution)
        types.append(UInt8(type.rawValue))
        paths.append(path)
        times.append(time ?? 0)
        hasTime.append(time != nil)
    }
}

/// An attribution or association row: its row id, the context and the member node (dense indices).
package struct MembershipRecord: Hashable, Sendable {
    package var rowID: Int64
    package var context: Int32
    package var member: Int32
}

/// An immutable view of the whole lineage graph: types, nodes with their properties, events,
/// context membership and parent contexts, with the indexes the reads use.
///
/// Copying a snapshot is O(1). The writer copies the current snapshot, applies a committed write
/// to the copy (which copies only the chunks it touches) and publishes it; readers keep whatever
/// snapshot they took, unaffected.
public struct GraphSnapshot: Sendable {
    // Types, in id order.
    public private(set) var types: [NodeType] = []
    /// The id of each type in `types`.
    package private(set) var typeIDs: [TypeID] = []
    fileprivate(set) var typeSlot: [TypeID: Int] = [:]

    // Nodes by dense index, with their indexes.
    package fileprivate(set) var artifacts = NodeStore<Artifact>()
    package fileprivate(set) var executions = NodeStore<Execution>()
    package fileprivate(set) var contexts = NodeStore<Context>()

    // Edges.
    package private(set) var events = EventColumns()
    /// artifact index -> event indices; execution index -> event indices.
    package private(set) var artifactEvents = MultiMap()
    package private(set) var executionEvents = MultiMap()
    /// The same adjacency with the far end and the event type packed into one item
    /// (`far << 3 | type`, see `neighbour`), in the order of `artifactEvents` / `executionEvents`:
    /// a traversal reads one list in order instead of three event columns at random.
    package private(set) var artifactNeighbours = MultiMap()
    package private(set) var executionNeighbours = MultiMap()

    package private(set) var attributions = ChunkedArray<MembershipRecord>()
    package private(set) var associations = ChunkedArray<MembershipRecord>()
    /// context -> artifact indices and back; context -> execution indices and back.
    package private(set) var contextArtifacts = MultiMap()
    package private(set) var artifactContexts = MultiMap()
    package private(set) var contextExecutions = MultiMap()
    package private(set) var executionContexts = MultiMap()

    package private(set) var parentContexts = ChunkedArray<ParentContext>()
    /// context -> parent context indices; context -> child context indices.
    package private(set) var contextParents = MultiMap()
    package private(set) var contextChildren = MultiMap()

    /// Rows whose ends do not exist. MLMD itself writes such rows (an event-only pair in
    /// put_execution, for example); they are kept so that export reproduces the file, but they
    /// take no part in the graph.
    package private(set) var orphanEvents: [(rowID: Int64, event: Event)] = []
    package private(set) var orphanAttributions: [(rowID: Int64, attribution: Attribution)] = []
    package private(set) var orphanAssociations: [(rowID: Int64, association: Association)] = []
    package private(set) var orphanParentContexts: [ParentContext] = []

    /// Bumped by every published write.
    public package(set) var generation: UInt64 = 0

    public init() {}
}

// MARK: - Lookups

extension Artifact: WritableStoredNode {
    public static var store: KeyPath<GraphSnapshot, NodeStore<Artifact>> { \.artifacts }
    package static var writableStore: WritableKeyPath<GraphSnapshot, NodeStore<Artifact>> { \.artifacts }
}

extension Execution: WritableStoredNode {
    public static var store: KeyPath<GraphSnapshot, NodeStore<Execution>> { \.executions }
    package static var writableStore: WritableKeyPath<GraphSnapshot, NodeStore<Execution>> { \.executions }
}

extension Context: WritableStoredNode {
    public static var store: KeyPath<GraphSnapshot, NodeStore<Context>> { \.contexts }
    package static var writableStore: WritableKeyPath<GraphSnapshot, NodeStore<Context>> { \.contexts }
}

extension GraphSnapshot {
    /// The type of each artifact and execution, by dense index: a compact column for scans and
    /// traversals that test only the type.
    package var artifactTypes: ChunkedArray<TypeID> { artifacts.types }
    package var executionTypes: ChunkedArray<TypeID> { executions.types }
    /// The MLMD id of each artifact and execution, by dense index (ids never change).
    package var artifactIDs: ChunkedArray<Int64> { artifacts.ids }
    package var executionIDs: ChunkedArray<Int64> { executions.ids }
    /// Whether dense indices follow id order: then sorting by index is sorting by id.
    package var artifactIndicesFollowIDs: Bool { artifacts.indicesFollowIDs }
    package var executionIndicesFollowIDs: Bool { executions.indicesFollowIDs }

    /// Exact counts, kept up to date by every write: the planner's statistics.
    package var statistics: GraphStatistics {
        GraphStatistics(
            nodesByType: artifacts.typeCounts.merging(executions.typeCounts) { a, _ in a }.merging(contexts.typeCounts) { a, _ in a },
            artifactsByState: artifacts.stateCounts, executionsByState: executions.stateCounts)
    }

    public func type(_ id: TypeID) -> NodeType? { typeSlot[id].map { types[$0] } }

    public func type(kind: NodeKind, name: String, version: String?) -> NodeType? {
        types.first { $0.kind == kind && $0.name == name && $0.version == version }
    }

    /// The id of the type of this kind, name and version.
    package func typeID(kind: NodeKind, name: String, version: String?) -> TypeID? {
        zip(typeIDs, types).first { $1.kind == kind && $1.name == name && $1.version == version }?.0
    }

    public func types(of kind: NodeKind) -> [NodeType] { types.filter { $0.kind == kind } }

    package func index(of id: ArtifactID) -> Int32? { artifacts.index(of: id) }
    package func index(of id: ExecutionID) -> Int32? { executions.index(of: id) }
    package func index(of id: ContextID) -> Int32? { contexts.index(of: id) }

    public func artifact(_ id: ArtifactID) -> Artifact? { artifacts.node(id) }
    public func execution(_ id: ExecutionID) -> Execution? { executions.node(id) }
    public func context(_ id: ContextID) -> Context? { contexts.node(id) }

    /// The event at a dense event index, with its ends' ids.
    package func event(_ i: Int) -> Event {
        Event(
            artifactID: artifacts.id(at: events.artifacts[i]), executionID: executions.id(at: events.executions[i]),
            type: EventType(rawValue: Int(events.types[i])) ?? .unknown, path: events.paths[i], time: events.time(i))
    }

    /// Number of nodes of each type.
    package func countsByType() -> [TypeID: Int] {
        let counted = statistics.nodesByType
        return Dictionary(uniqueKeysWithValues: typeSlot.keys.map { ($0, counted[$0] ?? 0) })
    }
}

// MARK: - Mutation (writer only)

extension GraphSnapshot {
    /// Inserts a type with this id or replaces the stored one.
    package mutating func putType(_ type: NodeType, id: TypeID) {
        var type = type
        type.id = id
        if let slot = typeSlot[id] {
            types[slot] = type
            return
        }
        typeSlot[id] = types.count
        types.append(type)
        typeIDs.append(id)
        if typeIDs.count > 1 && typeIDs[typeIDs.count - 2] > id {
            let order = typeIDs.indices.sorted { typeIDs[$0] < typeIDs[$1] }
            (types, typeIDs) = (order.map { types[$0] }, order.map { typeIDs[$0] })
            reslotTypes()
        }
    }

    /// Removes a type that no node uses (the import path replaces unused built-in types).
    package mutating func removeType(_ id: TypeID) {
        guard let slot = typeSlot[id] else { return }
        types.remove(at: slot)
        typeIDs.remove(at: slot)
        reslotTypes()
        artifacts.removeType(id)
        executions.removeType(id)
        contexts.removeType(id)
    }

    private mutating func reslotTypes() {
        typeSlot = Dictionary(uniqueKeysWithValues: typeIDs.enumerated().map { ($1, $0) })
    }

    /// Inserts a new node with this id or replaces the stored one, with every index.
    package mutating func put<N: WritableStoredNode>(_ node: N, id: N.ID) {
        guard self[keyPath: N.writableStore].put(node, id: id) else { return }
        growAdjacency(N.kind)
    }

    /// Gives the nodes of a kind that have none their (empty) adjacency lists.
    private mutating func growAdjacency(_ kind: NodeKind) {
        switch kind {
        case .artifact:
            for map in [\GraphSnapshot.artifactEvents, \.artifactNeighbours, \.artifactContexts] { self[keyPath: map].grow(to: artifacts.count) }
        case .execution:
            for map in [\GraphSnapshot.executionEvents, \.executionNeighbours, \.executionContexts] { self[keyPath: map].grow(to: executions.count) }
        case .context:
            for map in [\GraphSnapshot.contextArtifacts, \.contextExecutions, \.contextParents, \.contextChildren] {
                self[keyPath: map].grow(to: contexts.count)
            }
        }
    }

    /// A packed adjacency item: the far end's dense index and the event type.
    @_spi(Engine) @inlinable
    public static func neighbour(_ far: Int32, _ type: UInt8) -> Int32 {
        precondition(far < 1 << 28, "more than 2^28 nodes of a kind")
        return far << 3 | Int32(type)
    }

    /// Adds an event whose ends are in the graph.
    package mutating func addEvent(rowID: Int64, _ event: Event) { addEvents([(rowID, event)]) }

    /// Adds events whose ends are in the graph; each adjacency chunk touched is rebuilt once.
    package mutating func addEvents(_ rows: [(rowID: Int64, event: Event)]) {
        var artifactPairs: [(Int32, Int32)] = [], executionPairs: [(Int32, Int32)] = []
        var artifactFar: [(Int32, Int32)] = [], executionFar: [(Int32, Int32)] = []
        for (rowID, event) in rows {
            guard let a = event.artifactID.flatMap(artifacts.index(of:)), let e = event.executionID.flatMap(executions.index(of:)) else {
                preconditionFailure("an event whose ends are not in the graph")
            }
            let index = Int32(events.count)
            events.append(rowID: rowID, artifact: a, execution: e, type: event.type, path: event.path, time: event.time)
            artifactPairs.append((a, index))
            executionPairs.append((e, index))
            let type = UInt8(event.type.rawValue)
            artifactFar.append((a, Self.neighbour(e, type)))
            executionFar.append((e, Self.neighbour(a, type)))
        }
        let empty = [artifactEvents, executionEvents, artifactNeighbours, executionNeighbours].allSatisfy { $0.itemCount == 0 }
        guard empty else {
            artifactEvents.append(contentsOf: artifactPairs)
            executionEvents.append(contentsOf: executionPairs)
            artifactNeighbours.append(contentsOf: artifactFar)
            executionNeighbours.append(contentsOf: executionFar)
            return
        }
        // The first events (a bulk load): each list built in one pass, as `open` builds them.
        func build(_ pairs: [(Int32, Int32)], keys: Int) -> MultiMap {
            MultiMap(keyCount: keys, itemCount: pairs.count) { pairs[$0].0 } item: { pairs[$0].1 }
        }
        artifactEvents = build(artifactPairs, keys: artifacts.count)
        executionEvents = build(executionPairs, keys: executions.count)
        artifactNeighbours = build(artifactFar, keys: artifacts.count)
        executionNeighbours = build(executionFar, keys: executions.count)
    }

    package mutating func addAttribution(rowID: Int64, _ attribution: Attribution) { addAttributions([(rowID, attribution)]) }

    package mutating func addAttributions(_ rows: [(rowID: Int64, attribution: Attribution)]) {
        let members = rows.map { (rowID: $0.rowID, context: $0.attribution.contextID, member: artifacts.index(of: $0.attribution.artifactID)) }
        addMemberships(members, \.attributions, \.contextArtifacts, \.artifactContexts)
    }

    package mutating func addAssociation(rowID: Int64, _ association: Association) { addAssociations([(rowID, association)]) }

    package mutating func addAssociations(_ rows: [(rowID: Int64, association: Association)]) {
        let members = rows.map { (rowID: $0.rowID, context: $0.association.contextID, member: executions.index(of: $0.association.executionID)) }
        addMemberships(members, \.associations, \.contextExecutions, \.executionContexts)
    }

    /// Adds attributions or associations whose ends are in the graph: the rows, and the lists
    /// from context to member and back.
    private mutating func addMemberships(
        _ rows: [(rowID: Int64, context: ContextID, member: Int32?)], _ records: WritableKeyPath<GraphSnapshot, ChunkedArray<MembershipRecord>>,
        _ members: WritableKeyPath<GraphSnapshot, MultiMap>, _ memberContexts: WritableKeyPath<GraphSnapshot, MultiMap>
    ) {
        var forward: [(Int32, Int32)] = [], backward: [(Int32, Int32)] = []
        for row in rows {
            guard let c = contexts.index(of: row.context), let m = row.member else {
                preconditionFailure("a context membership whose ends are not in the graph")
            }
            self[keyPath: records].append(MembershipRecord(rowID: row.rowID, context: c, member: m))
            forward.append((c, m))
            backward.append((m, c))
        }
        self[keyPath: members].append(contentsOf: forward)
        self[keyPath: memberContexts].append(contentsOf: backward)
    }

    package mutating func addParentContext(_ link: ParentContext) {
        guard let child = contexts.index(of: link.childID), let parent = contexts.index(of: link.parentID) else {
            preconditionFailure("a parent context link whose ends are not in the graph")
        }
        parentContexts.append(link)
        contextParents.append(parent, to: child)
        contextChildren.append(child, to: parent)
    }
}

// MARK: - Bulk build

/// How a bulk load finds a node's dense index from its id: the slots of the nodes already loaded,
/// or, for a table whose ids are known to run densely from `first`, `id - first`, so that the
/// edges can be read while the nodes still are.
package enum SlotMap: Sendable {
    case slots(IDSlots)
    case dense(first: Int64, count: Int)

    @inline(__always)
    subscript(id: Int64) -> Int32? {
        switch self {
        case .slots(let slots): return slots[id]
        case .dense(let first, let count):
            let offset = id &- first
            return offset >= 0 && offset < Int64(count) ? Int32(offset) : nil
        }
    }
}

/// The edges of a store as they stream in (`EdgeSink`), resolved to dense indices, with their
/// adjacency lists built by `finish`. Rows whose ends do not resolve are kept as orphans.
package struct EdgeLoader: EdgeSink, Sendable {
    private let artifactSlot: SlotMap, executionSlot: SlotMap, contextSlot: SlotMap
    private let artifactCount: Int, executionCount: Int, contextCount: Int
    fileprivate var events = EventColumns()
    fileprivate var attributions = ChunkedArray<MembershipRecord>()
    fileprivate var associations = ChunkedArray<MembershipRecord>()
    fileprivate var parentContexts = ChunkedArray<ParentContext>()
    fileprivate var parentLinks: [(child: Int32, parent: Int32)] = []
    fileprivate var orphanEvents: [(rowID: Int64, event: Event)] = []
    fileprivate var orphanAttributions: [(rowID: Int64, attribution: Attribution)] = []
    fileprivate var orphanAssociations: [(rowID: Int64, association: Association)] = []
    fileprivate var orphanParentContexts: [ParentContext] = []
    fileprivate var artifactEvents = MultiMap(), executionEvents = MultiMap()
    fileprivate var artifactNeighbours = MultiMap(), executionNeighbours = MultiMap()
    fileprivate var contextArtifacts = MultiMap(), artifactContexts = MultiMap()
    fileprivate var contextExecutions = MultiMap(), executionContexts = MultiMap()
    fileprivate var contextParents = MultiMap(), contextChildren = MultiMap()

    /// `artifacts`, `executions` and `contexts` resolve ids among that many nodes of each kind.
    package init(artifacts: (SlotMap, count: Int), executions: (SlotMap, count: Int), contexts: (SlotMap, count: Int)) {
        (artifactSlot, artifactCount) = artifacts
        (executionSlot, executionCount) = executions
        (contextSlot, contextCount) = contexts
    }

    package mutating func add(rowID: Int64, _ event: Event) {
        guard let a = event.artifactID.flatMap({ artifactSlot[$0.rawValue] }),
            let e = event.executionID.flatMap({ executionSlot[$0.rawValue] })
        else {
            orphanEvents.append((rowID, event))
            return
        }
        events.append(rowID: rowID, artifact: a, execution: e, type: event.type, path: event.path, time: event.time)
    }

    package mutating func add(rowID: Int64, _ link: Attribution) {
        guard let c = contextSlot[link.contextID.rawValue], let a = artifactSlot[link.artifactID.rawValue] else {
            orphanAttributions.append((rowID, link))
            return
        }
        attributions.append(MembershipRecord(rowID: rowID, context: c, member: a))
    }

    package mutating func add(rowID: Int64, _ link: Association) {
        guard let c = contextSlot[link.contextID.rawValue], let e = executionSlot[link.executionID.rawValue] else {
            orphanAssociations.append((rowID, link))
            return
        }
        associations.append(MembershipRecord(rowID: rowID, context: c, member: e))
    }

    package mutating func add(_ link: ParentContext) {
        guard let child = contextSlot[link.childID.rawValue], let parent = contextSlot[link.parentID.rawValue] else {
            orphanParentContexts.append(link)
            return
        }
        parentContexts.append(link)
        parentLinks.append((child, parent))
    }

    /// Builds every adjacency list at once from the edge columns.
    package mutating func finish() {
        let ev = events
        let n = ev.count
        artifactEvents = MultiMap(keyCount: artifactCount, itemCount: n) { ev.artifacts[$0] } item: { Int32($0) }
        executionEvents = MultiMap(keyCount: executionCount, itemCount: n) { ev.executions[$0] } item: { Int32($0) }
        artifactNeighbours = MultiMap(keyCount: artifactCount, itemCount: n) { ev.artifacts[$0] } item: {
            GraphSnapshot.neighbour(ev.executions[$0], ev.types[$0])
        }
        executionNeighbours = MultiMap(keyCount: executionCount, itemCount: n) { ev.executions[$0] } item: {
            GraphSnapshot.neighbour(ev.artifacts[$0], ev.types[$0])
        }
        let at = attributions
        contextArtifacts = MultiMap(keyCount: contextCount, itemCount: at.count) { at[$0].context } item: { at[$0].member }
        artifactContexts = MultiMap(keyCount: artifactCount, itemCount: at.count) { at[$0].member } item: { at[$0].context }
        let asn = associations
        contextExecutions = MultiMap(keyCount: contextCount, itemCount: asn.count) { asn[$0].context } item: { asn[$0].member }
        executionContexts = MultiMap(keyCount: executionCount, itemCount: asn.count) { asn[$0].member } item: { asn[$0].context }
        let links = parentLinks
        contextParents = MultiMap(keyCount: contextCount, itemCount: links.count) { links[$0].child } item: { links[$0].parent }
        contextChildren = MultiMap(keyCount: contextCount, itemCount: links.count) { links[$0].parent } item: { links[$0].child }
        parentLinks = []
    }
}

// MARK: - Bulk load

extension GraphSnapshot {
    /// Appends a node of a bulk load into a snapshot that had no nodes of any kind: columns and
    /// id slots only, no indexes (`indexLoadedNodes` builds them once, after the last node).
    package mutating func load<N: WritableStoredNode>(_ node: N, id: N.ID) {
        self[keyPath: N.writableStore].load(node, id: id)
    }

    /// Ends a bulk load of nodes: groups them by type and state and builds the name, external id
    /// and uri indexes of the three kinds; the nine indexes are independent and built in parallel.
    package mutating func indexLoadedNodes() {
        let builds = artifacts.indexBuilds() + executions.indexBuilds() + contexts.indexBuilds()
        let built = Mutex([StringIndex](repeating: StringIndex(), count: builds.count))
        DispatchQueue.concurrentPerform(iterations: builds.count) { k in
            let index = builds[k]()
            built.withLock { $0[k] = index }
        }
        let index = built.withLock { $0 }
        let typeBound = Int(min(typeIDs.last?.rawValue ?? 0, 1 << 16)) + 1
        artifacts.finishLoad(indexes: Array(index[0..<3]), typeBound: typeBound)
        executions.finishLoad(indexes: Array(index[3..<6]), typeBound: typeBound)
        contexts.finishLoad(indexes: Array(index[6..<9]), typeBound: typeBound)
        for kind in NodeKind.allCases { growAdjacency(kind) }
    }
}

extension GraphSnapshot {
    /// Builds a snapshot from a store's records as they stream in (`StoreSink`): nodes as they
    /// arrive; edges into an `EdgeLoader` (or from one loaded elsewhere, see `finish(edges:)`);
    /// then the name, external id and uri indexes and every adjacency list in bulk. No record is
    /// held twice.
    package struct Builder: StoreSink {
        private var g = GraphSnapshot()
        private var edges: EdgeLoader?
        private var indexed = false

        package init() {}

        package mutating func add(_ type: NodeType, id: TypeID) { g.putType(type, id: id) }
        package mutating func add(_ a: Artifact, id: ArtifactID) { g.artifacts.load(a, id: id) }
        package mutating func add(_ e: Execution, id: ExecutionID) { g.executions.load(e, id: id) }
        package mutating func add(_ c: Context, id: ContextID) { g.contexts.load(c, id: id) }

        package mutating func setProperty(_ kind: NodeKind, of id: Int64, name: String, custom: Bool, _ value: Value) {
            switch kind {
            case .artifact: g.artifacts.setProperty(of: id, name: name, custom: custom, value)
            case .execution: g.executions.setProperty(of: id, name: name, custom: custom, value)
            case .context: g.contexts.setProperty(of: id, name: name, custom: custom, value)
            }
        }

        private mutating func edgeLoader() -> EdgeLoader {
            edges ?? EdgeLoader(
                artifacts: (.slots(g.artifacts.slots), g.artifacts.count), executions: (.slots(g.executions.slots), g.executions.count),
                contexts: (.slots(g.contexts.slots), g.contexts.count))
        }

        package mutating func add(rowID: Int64, _ event: Event) {
            if edges == nil { edges = edgeLoader() }
            edges!.add(rowID: rowID, event)
        }

        package mutating func add(rowID: Int64, _ link: Attribution) {
            if edges == nil { edges = edgeLoader() }
            edges!.add(rowID: rowID, link)
        }

        package mutating func add(rowID: Int64, _ link: Association) {
            if edges == nil { edges = edgeLoader() }
            edges!.add(rowID: rowID, link)
        }

        package mutating func add(_ link: ParentContext) {
            if edges == nil { edges = edgeLoader() }
            edges!.add(link)
        }

        /// Whether edges loaded elsewhere against `.dense` slot maps with these id ranges (first id
        /// and count, nil for an empty table) resolve exactly as the nodes added here do.
        package func matches(artifacts: (first: Int64, count: Int)?, executions: (first: Int64, count: Int)?, contexts: (first: Int64, count: Int)?) -> Bool {
            func same<N>(_ store: NodeStore<N>, _ range: (first: Int64, count: Int)?) -> Bool {
                guard let range else { return store.count == 0 }
                return store.idsRunDensely && store.ids.first == range.first && store.count == range.count
            }
            return same(g.artifacts, artifacts) && same(g.executions, executions) && same(g.contexts, contexts)
        }

        /// Groups the nodes by type and state and builds the name, external id and uri indexes,
        /// once all nodes are in (`finish` does it if it has not been done). The nine indexes
        /// are independent and are built in parallel.
        package mutating func indexNodes() {
            guard !indexed else { return }
            indexed = true
            g.indexLoadedNodes()
        }

        /// The snapshot, with the name, external id and uri indexes and every adjacency list
        /// built from the nodes and edges added. `edges` are edges loaded and finished elsewhere
        /// against slot maps that agree with these nodes (see `matches`), in place of any added here.
        package consuming func finish(edges loaded: EdgeLoader? = nil) -> GraphSnapshot {
            indexNodes()
            var e: EdgeLoader
            if let loaded {
                e = loaded
            } else {
                e = edgeLoader()
                e.finish()
            }
            edges = nil
            g.events = e.events
            g.attributions = e.attributions
            g.associations = e.associations
            g.parentContexts = e.parentContexts
            g.orphanEvents = e.orphanEvents
            g.orphanAttributions = e.orphanAttributions
            g.orphanAssociations = e.orphanAssociations
            g.orphanParentContexts = e.orphanParentContexts
            (g.artifactEvents, g.executionEvents) = (e.artifactEvents, e.executionEvents)
            (g.artifactNeighbours, g.executionNeighbours) = (e.artifactNeighbours, e.executionNeighbours)
            (g.contextArtifacts, g.artifactContexts) = (e.contextArtifacts, e.artifactContexts)
            (g.contextExecutions, g.executionContexts) = (e.contextExecutions, e.executionContexts)
            (g.contextParents, g.contextChildren) = (e.contextParents, e.contextChildren)
            return g
        }
    }
}
