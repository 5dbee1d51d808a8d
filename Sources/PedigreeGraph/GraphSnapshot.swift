public import PedigreeModel
internal import Dispatch
internal import Synchronization

/// The events, as columns by event index: the stored row id, the ends' dense indices, the type,
/// the path and the time. `GraphSnapshot.event(_:)` assembles one as an `Event`.
public struct EventColumns: Sendable {
    /// `Event.id` in the store.
    public private(set) var rowIDs = ChunkedArray<Int64>()
    public private(set) var artifacts = ChunkedArray<Int32>()
    public private(set) var executions = ChunkedArray<Int32>()
    public private(set) var types = ChunkedArray<UInt8>()
    public private(set) var paths = ChunkedArray<[EventStep]>()
    /// Milliseconds since the epoch, where `hasTime` (two plain columns: 9 bytes an event, where
    /// `Int64?` would pad to 16).
    private var times = ChunkedArray<Int64>()
    private var hasTime = ChunkedArray<Bool>()

    public func time(_ i: Int) -> Int64? { hasTime[i] ? times[i] : nil }

    public var count: Int { rowIDs.count }

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
public struct MembershipRecord: Hashable, Sendable {
    public var rowID: Int64
    public var context: Int32
    public var member: Int32
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
    private var typeSlot: [TypeID: Int] = [:]

    // Nodes by dense index.
    public private(set) var artifacts = NodeTable<Artifact>()
    public private(set) var executions = NodeTable<Execution>()
    public private(set) var contexts = NodeTable<Context>()
    /// Whether dense indices follow id order (true unless nodes arrived out of id order, as an
    /// import with explicit ids can): then sorting by index is sorting by id.
    public private(set) var artifactIndicesFollowIDs = true
    public private(set) var executionIndicesFollowIDs = true

    // id -> dense index.
    private var artifactSlot = IDSlots()
    private var executionSlot = IDSlots()
    private var contextSlot = IDSlots()

    // Secondary indexes: (type, name), external id, uri.
    private var artifactByName = StringIndex()
    private var executionByName = StringIndex()
    private var contextByName = StringIndex()
    private var artifactByExternalID = StringIndex()
    private var executionByExternalID = StringIndex()
    private var contextByExternalID = StringIndex()
    private var artifactsByURI = StringIndex()
    /// Dense indices of each type's nodes, in creation order (a node whose type changed is
    /// filtered on read).
    private var nodesByType: [TypeID: ChunkedArray<Int32>] = [:]
    /// Dense indices by state (slot 0: no state, slot s + 1: raw value s), in the order nodes
    /// entered the state; a node that left a state is filtered on read.
    private var artifactsByState = [ChunkedArray<Int32>](repeating: ChunkedArray(), count: 8)
    private var executionsByState = [ChunkedArray<Int32>](repeating: ChunkedArray(), count: 8)
    /// Exact counts, kept up to date by every write: the planner's statistics.
    public private(set) var statistics = GraphStatistics()

    // Edges.
    public private(set) var events = EventColumns()
    /// artifact index -> event indices; execution index -> event indices.
    public private(set) var artifactEvents = MultiMap()
    public private(set) var executionEvents = MultiMap()
    /// The same adjacency with the far end and the event type packed into one item
    /// (`far << 3 | type`, see `neighbour`), in the order of `artifactEvents` / `executionEvents`:
    /// a traversal reads one list in order instead of three event columns at random.
    public private(set) var artifactNeighbours = MultiMap()
    public private(set) var executionNeighbours = MultiMap()

    public private(set) var attributions = ChunkedArray<MembershipRecord>()
    public private(set) var associations = ChunkedArray<MembershipRecord>()
    /// context -> artifact indices and back; context -> execution indices and back.
    public private(set) var contextArtifacts = MultiMap()
    public private(set) var artifactContexts = MultiMap()
    public private(set) var contextExecutions = MultiMap()
    public private(set) var executionContexts = MultiMap()

    public private(set) var parentContexts = ChunkedArray<ParentContext>()
    /// context -> parent context indices; context -> child context indices.
    public private(set) var contextParents = MultiMap()
    public private(set) var contextChildren = MultiMap()

    /// Rows whose ends do not exist. MLMD itself writes such rows (an event-only pair in
    /// put_execution, for example); they are kept so that export reproduces the file, but they
    /// take no part in the graph.
    public private(set) var orphanEvents: [(rowID: Int64, event: Event)] = []
    public private(set) var orphanAttributions: [(rowID: Int64, attribution: Attribution)] = []
    public private(set) var orphanAssociations: [(rowID: Int64, association: Association)] = []
    public private(set) var orphanParentContexts: [ParentContext] = []

    /// Bumped by every published write.
    public package(set) var generation: UInt64 = 0

    public init() {}
}

// MARK: - Lookups

extension GraphSnapshot {
    /// The type of each artifact and execution, by dense index: a compact column for scans and
    /// traversals that test only the type.
    /// (Inlinable, so that a read of one element in a loop does not copy the column.)
    @inlinable public var artifactTypes: ChunkedArray<TypeID> { artifacts.types }
    @inlinable public var executionTypes: ChunkedArray<TypeID> { executions.types }
    /// The MLMD id of each artifact and execution, by dense index (ids never change).
    @inlinable public var artifactIDs: ChunkedArray<Int64> { artifacts.ids }
    @inlinable public var executionIDs: ChunkedArray<Int64> { executions.ids }

    public func type(_ id: TypeID) -> NodeType? { typeSlot[id].map { types[$0] } }

    public func type(kind: NodeKind, name: String, version: String?) -> NodeType? {
        types.first { $0.kind == kind && $0.name == name && $0.version == version }
    }

    public func types(of kind: NodeKind) -> [NodeType] { types.filter { $0.kind == kind } }

    public func index(of id: ArtifactID) -> Int32? { artifactSlot[id.rawValue] }
    public func index(of id: ExecutionID) -> Int32? { executionSlot[id.rawValue] }
    public func index(of id: ContextID) -> Int32? { contextSlot[id.rawValue] }

    public func artifact(_ id: ArtifactID) -> Artifact? { index(of: id).map { artifacts[Int($0)] } }
    public func execution(_ id: ExecutionID) -> Execution? { index(of: id).map { executions[Int($0)] } }
    public func context(_ id: ContextID) -> Context? { index(of: id).map { contexts[Int($0)] } }

    /// The event at a dense event index, with its ends' ids.
    public func event(_ i: Int) -> Event {
        Event(
            artifactID: ArtifactID(artifactIDs[Int(events.artifacts[i])]),
            executionID: ExecutionID(executionIDs[Int(events.executions[i])]),
            type: EventType(rawValue: Int(events.types[i])) ?? .unknown, path: events.paths[i], time: events.time(i))
    }

    public func artifactIndex(typeID: TypeID, name: String) -> Int32? {
        artifactByName.first(StringIndex.hash(name, qualifier: typeID.rawValue)) {
            let a = artifacts[Int($0)]
            return a.typeID == typeID && a.name == name
        }
    }
    public func executionIndex(typeID: TypeID, name: String) -> Int32? {
        executionByName.first(StringIndex.hash(name, qualifier: typeID.rawValue)) {
            let e = executions[Int($0)]
            return e.typeID == typeID && e.name == name
        }
    }
    public func contextIndex(typeID: TypeID, name: String) -> Int32? {
        contextByName.first(StringIndex.hash(name, qualifier: typeID.rawValue)) {
            let c = contexts[Int($0)]
            return c.typeID == typeID && c.name == name
        }
    }

    public func artifactIndex(externalID: String) -> Int32? {
        artifactByExternalID.first(StringIndex.hash(externalID)) { artifacts[Int($0)].externalID == externalID }
    }
    public func executionIndex(externalID: String) -> Int32? {
        executionByExternalID.first(StringIndex.hash(externalID)) { executions[Int($0)].externalID == externalID }
    }
    public func contextIndex(externalID: String) -> Int32? {
        contextByExternalID.first(StringIndex.hash(externalID)) { contexts[Int($0)].externalID == externalID }
    }

    /// The artifacts with this uri, newest first.
    public func artifactIndices(uri: String) -> [Int32] {
        var found: [Int32] = []
        artifactsByURI.forEach(StringIndex.hash(uri)) { slot in
            if artifacts[Int(slot)].uri == uri { found.append(slot) }
            return true
        }
        return found
    }

    /// Dense indices of the nodes of one type (of that type's kind), in creation order.
    public func nodeIndices(ofType id: TypeID) -> [Int32] {
        guard let list = nodesByType[id], let kind = type(id)?.kind else { return [] }
        return list.filter { i in
            switch kind {
            case .artifact: artifacts[Int(i)].typeID == id
            case .execution: executions[Int(i)].typeID == id
            case .context: contexts[Int(i)].typeID == id
            }
        }
    }

    /// Number of nodes of each type.
    public func countsByType() -> [TypeID: Int] {
        var counts: [TypeID: Int] = [:]
        for t in types { counts[t.id!] = statistics.nodesByType[t.id!] ?? 0 }
        return counts
    }

    /// Dense indices of the artifacts in a state (nil: no state set), in the order they entered it.
    public func artifactIndices(state: ArtifactState?) -> [Int32] {
        artifactsByState[Self.stateSlot(state?.rawValue)].filter { artifacts[Int($0)].state == state }
    }

    /// Dense indices of the executions in a state (nil: no state set), in the order they entered it.
    public func executionIndices(state: ExecutionState?) -> [Int32] {
        executionsByState[Self.stateSlot(state?.rawValue)].filter { executions[Int($0)].lastKnownState == state }
    }

    private static func stateSlot(_ raw: Int?) -> Int { raw.map { $0 + 1 } ?? 0 }
}

// MARK: - Mutation (writer only)

extension GraphSnapshot {
    package mutating func putType(_ type: NodeType) {
        guard let id = type.id else { preconditionFailure("type without id") }
        if let slot = typeSlot[id] {
            types[slot] = type
        } else {
            typeSlot[id] = types.count
            types.append(type)
            if let last = types.dropLast().last, let lastID = last.id, lastID > id {
                types.sort { $0.id! < $1.id! }
                typeSlot = Dictionary(uniqueKeysWithValues: types.enumerated().map { ($1.id!, $0) })
            }
        }
    }

    /// Removes a type that no node uses (the import path replaces unused built-in types).
    package mutating func removeType(_ id: TypeID) {
        guard typeSlot[id] != nil else { return }
        types.removeAll { $0.id == id }
        statistics.nodesByType[id] = nil
        typeSlot = Dictionary(uniqueKeysWithValues: types.enumerated().map { ($1.id!, $0) })
        nodesByType[id] = nil
    }

    /// `addToType` for every node of one kind at once (a bulk load), counting into a table by
    /// type id rather than hashing each node's type.
    private mutating func groupByType(_ types: ChunkedArray<TypeID>) {
        let bound = Int(min(self.types.last?.id?.rawValue ?? 0, 1 << 16)) + 1
        var lists = [ChunkedArray<Int32>](repeating: ChunkedArray(), count: bound)
        for (i, t) in types.enumerated() {
            if t.rawValue >= 0 && t.rawValue < bound {
                lists[Int(t.rawValue)].append(Int32(i))
            } else {
                addToType(t, Int32(i))
            }
        }
        for (t, list) in lists.enumerated() where list.count > 0 {
            nodesByType[TypeID(Int64(t)), default: ChunkedArray()].append(contentsOf: list)
            statistics.nodesByType[TypeID(Int64(t)), default: 0] += list.count
        }
    }

    private mutating func addToType(_ typeID: TypeID, _ index: Int32) {
        nodesByType[typeID, default: ChunkedArray()].append(index)
        statistics.nodesByType[typeID, default: 0] += 1
    }

    private mutating func addArtifactState(_ state: ArtifactState?, _ index: Int32) {
        let s = Self.stateSlot(state?.rawValue)
        artifactsByState[s].append(index)
        statistics.artifactsByState[s] += 1
    }

    private mutating func addExecutionState(_ state: ExecutionState?, _ index: Int32) {
        let s = Self.stateSlot(state?.rawValue)
        executionsByState[s].append(index)
        statistics.executionsByState[s] += 1
    }

    /// Inserts a new artifact or replaces the stored one with the same id.
    package mutating func putArtifact(_ artifact: Artifact) {
        let id = artifact.id!
        if let slot = artifactSlot[id.rawValue] {
            let old = artifacts[Int(slot)]
            if let name = old.name { artifactByName.remove(StringIndex.hash(name, qualifier: old.typeID.rawValue), slot) }
            if let ext = old.externalID { artifactByExternalID.remove(StringIndex.hash(ext), slot) }
            if let uri = old.uri { artifactsByURI.remove(StringIndex.hash(uri), slot) }
            if old.typeID != artifact.typeID {
                statistics.nodesByType[old.typeID, default: 0] -= 1
                addToType(artifact.typeID, slot)
            }
            if old.state != artifact.state {
                statistics.artifactsByState[Self.stateSlot(old.state?.rawValue)] -= 1
                addArtifactState(artifact.state, slot)
            }
            artifacts.replace(Int(slot), with: artifact)
            indexArtifact(artifact, slot)
        } else {
            let slot = Int32(artifacts.count)
            if let last = artifacts.ids.last, last > id.rawValue { artifactIndicesFollowIDs = false }
            artifacts.append(artifact)
            artifactSlot.set(id.rawValue, slot)
            artifactEvents.grow(to: artifacts.count)
            artifactNeighbours.grow(to: artifacts.count)
            artifactContexts.grow(to: artifacts.count)
            addToType(artifact.typeID, slot)
            addArtifactState(artifact.state, slot)
            indexArtifact(artifact, slot)
        }
    }

    private mutating func indexArtifact(_ artifact: Artifact, _ slot: Int32) {
        if let name = artifact.name { artifactByName.insert(StringIndex.hash(name, qualifier: artifact.typeID.rawValue), slot) }
        if let ext = artifact.externalID { artifactByExternalID.insert(StringIndex.hash(ext), slot) }
        if let uri = artifact.uri { artifactsByURI.insert(StringIndex.hash(uri), slot) }
    }

    package mutating func putExecution(_ execution: Execution) {
        let id = execution.id!
        if let slot = executionSlot[id.rawValue] {
            let old = executions[Int(slot)]
            if let name = old.name { executionByName.remove(StringIndex.hash(name, qualifier: old.typeID.rawValue), slot) }
            if let ext = old.externalID { executionByExternalID.remove(StringIndex.hash(ext), slot) }
            if old.typeID != execution.typeID {
                statistics.nodesByType[old.typeID, default: 0] -= 1
                addToType(execution.typeID, slot)
            }
            if old.lastKnownState != execution.lastKnownState {
                statistics.executionsByState[Self.stateSlot(old.lastKnownState?.rawValue)] -= 1
                addExecutionState(execution.lastKnownState, slot)
            }
            executions.replace(Int(slot), with: execution)
            indexExecution(execution, slot)
        } else {
            let slot = Int32(executions.count)
            if let last = executions.ids.last, last > id.rawValue { executionIndicesFollowIDs = false }
            executions.append(execution)
            executionSlot.set(id.rawValue, slot)
            executionEvents.grow(to: executions.count)
            executionNeighbours.grow(to: executions.count)
            executionContexts.grow(to: executions.count)
            addToType(execution.typeID, slot)
            addExecutionState(execution.lastKnownState, slot)
            indexExecution(execution, slot)
        }
    }

    private mutating func indexExecution(_ execution: Execution, _ slot: Int32) {
        if let name = execution.name { executionByName.insert(StringIndex.hash(name, qualifier: execution.typeID.rawValue), slot) }
        if let ext = execution.externalID { executionByExternalID.insert(StringIndex.hash(ext), slot) }
    }

    package mutating func putContext(_ context: Context) {
        let id = context.id!
        if let slot = contextSlot[id.rawValue] {
            let old = contexts[Int(slot)]
            contextByName.remove(StringIndex.hash(old.name, qualifier: old.typeID.rawValue), slot)
            if let ext = old.externalID { contextByExternalID.remove(StringIndex.hash(ext), slot) }
            if old.typeID != context.typeID {
                statistics.nodesByType[old.typeID, default: 0] -= 1
                addToType(context.typeID, slot)
            }
            contexts.replace(Int(slot), with: context)
            indexContext(context, slot)
        } else {
            let slot = Int32(contexts.count)
            contexts.append(context)
            contextSlot.set(id.rawValue, slot)
            contextArtifacts.grow(to: contexts.count)
            contextExecutions.grow(to: contexts.count)
            contextParents.grow(to: contexts.count)
            contextChildren.grow(to: contexts.count)
            addToType(context.typeID, slot)
            indexContext(context, slot)
        }
    }

    private mutating func indexContext(_ context: Context, _ slot: Int32) {
        contextByName.insert(StringIndex.hash(context.name, qualifier: context.typeID.rawValue), slot)
        if let ext = context.externalID { contextByExternalID.insert(StringIndex.hash(ext), slot) }
    }

    /// Adds an event whose endpoints are already in the graph.
    package mutating func addEvent(rowID: Int64, _ event: Event) {
        let a = artifactSlot[event.artifactID!.rawValue]!
        let e = executionSlot[event.executionID!.rawValue]!
        let index = Int32(events.count)
        events.append(rowID: rowID, artifact: a, execution: e, type: event.type, path: event.path, time: event.time)
        artifactEvents.append(index, to: a)
        executionEvents.append(index, to: e)
        let type = UInt8(event.type.rawValue)
        artifactNeighbours.append(Self.neighbour(e, type), to: a)
        executionNeighbours.append(Self.neighbour(a, type), to: e)
    }

    /// A packed adjacency item: the far end's dense index and the event type.
    @inlinable
    public static func neighbour(_ far: Int32, _ type: UInt8) -> Int32 {
        precondition(far < 1 << 28, "more than 2^28 nodes of a kind")
        return far << 3 | Int32(type)
    }

    package mutating func addAttribution(rowID: Int64, _ attribution: Attribution) {
        let c = contextSlot[attribution.contextID.rawValue]!
        let a = artifactSlot[attribution.artifactID.rawValue]!
        attributions.append(MembershipRecord(rowID: rowID, context: c, member: a))
        contextArtifacts.append(a, to: c)
        artifactContexts.append(c, to: a)
    }

    package mutating func addAssociation(rowID: Int64, _ association: Association) {
        let c = contextSlot[association.contextID.rawValue]!
        let e = executionSlot[association.executionID.rawValue]!
        associations.append(MembershipRecord(rowID: rowID, context: c, member: e))
        contextExecutions.append(e, to: c)
        executionContexts.append(c, to: e)
    }

    package mutating func addParentContext(_ link: ParentContext) {
        let child = contextSlot[link.childID.rawValue]!
        let parent = contextSlot[link.parentID.rawValue]!
        parentContexts.append(link)
        contextParents.append(parent, to: child)
        contextChildren.append(child, to: parent)
    }

    /// Adds many events at once (a bulk load); their endpoints must be in the graph.
    package mutating func addEvents(_ rows: [(rowID: Int64, event: Event)]) {
        var artifactPairs: [(Int32, Int32)] = []
        var executionPairs: [(Int32, Int32)] = []
        var artifactFar: [(Int32, Int32)] = []
        var executionFar: [(Int32, Int32)] = []
        for (rowID, event) in rows {
            let a = artifactSlot[event.artifactID!.rawValue]!
            let e = executionSlot[event.executionID!.rawValue]!
            let index = Int32(events.count)
            events.append(rowID: rowID, artifact: a, execution: e, type: event.type, path: event.path, time: event.time)
            artifactPairs.append((a, index))
            executionPairs.append((e, index))
            let type = UInt8(event.type.rawValue)
            artifactFar.append((a, Self.neighbour(e, type)))
            executionFar.append((e, Self.neighbour(a, type)))
        }
        artifactEvents.append(contentsOf: artifactPairs)
        executionEvents.append(contentsOf: executionPairs)
        artifactNeighbours.append(contentsOf: artifactFar)
        executionNeighbours.append(contentsOf: executionFar)
    }

    package mutating func addAttributions(_ rows: [(rowID: Int64, attribution: Attribution)]) {
        var forward: [(Int32, Int32)] = [], backward: [(Int32, Int32)] = []
        for (rowID, link) in rows {
            let c = contextSlot[link.contextID.rawValue]!, a = artifactSlot[link.artifactID.rawValue]!
            attributions.append(MembershipRecord(rowID: rowID, context: c, member: a))
            forward.append((c, a))
            backward.append((a, c))
        }
        contextArtifacts.append(contentsOf: forward)
        artifactContexts.append(contentsOf: backward)
    }

    package mutating func addAssociations(_ rows: [(rowID: Int64, association: Association)]) {
        var forward: [(Int32, Int32)] = [], backward: [(Int32, Int32)] = []
        for (rowID, link) in rows {
            let c = contextSlot[link.contextID.rawValue]!, e = executionSlot[link.executionID.rawValue]!
            associations.append(MembershipRecord(rowID: rowID, context: c, member: e))
            forward.append((c, e))
            backward.append((e, c))
        }
        contextExecutions.append(contentsOf: forward)
        executionContexts.append(contentsOf: backward)
    }
}

// MARK: - Bulk build

/// How a bulk load finds a node's dense index from its id: the slots of the nodes already loaded,
/// or, for a table whose ids are known to run densely from `first`, `id - first`, so that the
/// edges can be read while the nodes still are.
public enum SlotMap: Sendable {
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
public struct EdgeLoader: EdgeSink, Sendable {
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
    public init(artifacts: (SlotMap, count: Int), executions: (SlotMap, count: Int), contexts: (SlotMap, count: Int)) {
        (artifactSlot, artifactCount) = artifacts
        (executionSlot, executionCount) = executions
        (contextSlot, contextCount) = contexts
    }

    public mutating func add(rowID: Int64, _ event: Event) {
        guard let a = event.artifactID.flatMap({ artifactSlot[$0.rawValue] }),
            let e = event.executionID.flatMap({ executionSlot[$0.rawValue] })
        else {
            orphanEvents.append((rowID, event))
            return
        }
        events.append(rowID: rowID, artifact: a, execution: e, type: event.type, path: event.path, time: event.time)
    }

    public mutating func add(rowID: Int64, _ link: Attribution) {
        guard let c = contextSlot[link.contextID.rawValue], let a = artifactSlot[link.artifactID.rawValue] else {
            orphanAttributions.append((rowID, link))
            return
        }
        attributions.append(MembershipRecord(rowID: rowID, context: c, member: a))
    }

    public mutating func add(rowID: Int64, _ link: Association) {
        guard let c = contextSlot[link.contextID.rawValue], let e = executionSlot[link.executionID.rawValue] else {
            orphanAssociations.append((rowID, link))
            return
        }
        associations.append(MembershipRecord(rowID: rowID, context: c, member: e))
    }

    public mutating func add(_ link: ParentContext) {
        guard let child = contextSlot[link.childID.rawValue], let parent = contextSlot[link.parentID.rawValue] else {
            orphanParentContexts.append(link)
            return
        }
        parentContexts.append(link)
        parentLinks.append((child, parent))
    }

    /// Builds every adjacency list at once from the edge columns.
    public mutating func finish() {
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

extension GraphSnapshot {
    /// Builds a snapshot from a store's records as they stream in (`StoreSink`): nodes as they
    /// arrive; edges into an `EdgeLoader` (or from one loaded elsewhere, see `finish(edges:)`);
    /// then the name, external id and uri indexes and every adjacency list in bulk. No record is
    /// held twice.
    public struct Builder: StoreSink {
        private var g = GraphSnapshot()
        private var edges: EdgeLoader?
        private var indexed = false
        /// Whether the ids of each kind so far run densely from the first (`SlotMap.dense` holds).
        private var dense = (artifacts: true, executions: true, contexts: true)

        public init() {}

        public mutating func add(_ type: NodeType) { g.putType(type) }

        public mutating func add(_ a: Artifact) {
            let slot = Int32(g.artifacts.count)
            let id = a.id!.rawValue
            if let first = g.artifacts.ids.first {
                if g.artifacts.ids.last! > id { g.artifactIndicesFollowIDs = false }
                if id != first + Int64(slot) { dense.artifacts = false }
            }
            g.artifacts.append(a)
            g.artifactSlot.set(id, slot)
            g.addArtifactState(a.state, slot)
        }

        public mutating func add(_ e: Execution) {
            let slot = Int32(g.executions.count)
            let id = e.id!.rawValue
            if let first = g.executions.ids.first {
                if g.executions.ids.last! > id { g.executionIndicesFollowIDs = false }
                if id != first + Int64(slot) { dense.executions = false }
            }
            g.executions.append(e)
            g.executionSlot.set(id, slot)
            g.addExecutionState(e.lastKnownState, slot)
        }

        public mutating func add(_ c: Context) {
            let slot = Int32(g.contexts.count)
            let id = c.id!.rawValue
            if let first = g.contexts.ids.first, id != first + Int64(slot) { dense.contexts = false }
            g.contexts.append(c)
            g.contextSlot.set(id, slot)
        }

        public mutating func setProperty(_ kind: NodeKind, of id: Int64, name: String, custom: Bool, _ value: Value) {
            switch kind {
            case .artifact:
                guard let slot = g.artifactSlot[id] else { return }
                g.artifacts.update(Int(slot)) { custom ? ($0.customProperties[name] = value) : ($0.properties[name] = value) }
            case .execution:
                guard let slot = g.executionSlot[id] else { return }
                g.executions.update(Int(slot)) { custom ? ($0.customProperties[name] = value) : ($0.properties[name] = value) }
            case .context:
                guard let slot = g.contextSlot[id] else { return }
                g.contexts.update(Int(slot)) { custom ? ($0.customProperties[name] = value) : ($0.properties[name] = value) }
            }
        }

        private mutating func edgeLoader() -> EdgeLoader {
            edges ?? EdgeLoader(
                artifacts: (.slots(g.artifactSlot), g.artifacts.count), executions: (.slots(g.executionSlot), g.executions.count),
                contexts: (.slots(g.contextSlot), g.contexts.count))
        }

        public mutating func add(rowID: Int64, _ event: Event) {
            if edges == nil { edges = edgeLoader() }
            edges!.add(rowID: rowID, event)
        }

        public mutating func add(rowID: Int64, _ link: Attribution) {
            if edges == nil { edges = edgeLoader() }
            edges!.add(rowID: rowID, link)
        }

        public mutating func add(rowID: Int64, _ link: Association) {
            if edges == nil { edges = edgeLoader() }
            edges!.add(rowID: rowID, link)
        }

        public mutating func add(_ link: ParentContext) {
            if edges == nil { edges = edgeLoader() }
            edges!.add(link)
        }

        /// Whether edges loaded elsewhere against `.dense` slot maps with these id ranges (first id
        /// and count, nil for an empty table) resolve exactly as the nodes added here do.
        public func matches(artifacts: (first: Int64, count: Int)?, executions: (first: Int64, count: Int)?, contexts: (first: Int64, count: Int)?) -> Bool {
            func same<N>(_ table: NodeTable<N>, _ dense: Bool, _ range: (first: Int64, count: Int)?) -> Bool {
                guard let range else { return table.count == 0 }
                return dense && table.ids.first == range.first && table.count == range.count
            }
            return same(g.artifacts, dense.artifacts, artifacts) && same(g.executions, dense.executions, executions)
                && same(g.contexts, dense.contexts, contexts)
        }

        /// Groups the nodes by type and builds the name, external id and uri indexes, once all
        /// nodes are in (`finish` does it if it has not been done). The seven indexes are
        /// independent and are built in parallel.
        public mutating func indexNodes() {
            guard !indexed else { return }
            indexed = true
            g.groupByType(g.artifacts.types)
            g.groupByType(g.executions.types)
            g.groupByType(g.contexts.types)
            let ar = g.artifacts.records, at = g.artifacts.types
            let er = g.executions.records, et = g.executions.types
            let cr = g.contexts.records, ct = g.contexts.types
            let builds: [@Sendable () -> StringIndex] = [
                { StringIndex(count: ar.count) { i in ar[i].name.map { StringIndex.hash($0, qualifier: at[i].rawValue) } } },
                { StringIndex(count: ar.count) { ar[$0].uri.map { StringIndex.hash($0) } } },
                { StringIndex(count: er.count) { i in er[i].name.map { StringIndex.hash($0, qualifier: et[i].rawValue) } } },
                { StringIndex(count: ar.count) { ar[$0].extras?.externalID.map { StringIndex.hash($0) } } },
                { StringIndex(count: er.count) { er[$0].extras?.externalID.map { StringIndex.hash($0) } } },
                { StringIndex(count: cr.count) { StringIndex.hash(cr[$0].name, qualifier: ct[$0].rawValue) } },
                { StringIndex(count: cr.count) { cr[$0].extras?.externalID.map { StringIndex.hash($0) } } },
            ]
            let built = Mutex([StringIndex](repeating: StringIndex(), count: builds.count))
            DispatchQueue.concurrentPerform(iterations: builds.count) { k in
                let index = builds[k]()
                built.withLock { $0[k] = index }
            }
            let index = built.withLock { $0 }
            (g.artifactByName, g.artifactsByURI, g.executionByName) = (index[0], index[1], index[2])
            (g.artifactByExternalID, g.executionByExternalID) = (index[3], index[4])
            (g.contextByName, g.contextByExternalID) = (index[5], index[6])
        }

        /// The snapshot, with the name, external id and uri indexes and every adjacency list
        /// built from the nodes and edges added. `edges` are edges loaded and finished elsewhere
        /// against slot maps that agree with these nodes (see `matches`), in place of any added here.
        public consuming func finish(edges loaded: EdgeLoader? = nil) -> GraphSnapshot {
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
