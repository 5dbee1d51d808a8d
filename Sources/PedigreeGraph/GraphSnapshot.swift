public import PedigreeModel

/// One event as the graph holds it: dense endpoints plus the stored row.
public struct EventRecord: Hashable, Sendable {
    /// `Event.id` in the store.
    public var rowID: Int64
    public var artifact: Int32
    public var execution: Int32
    public var event: Event
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
    public private(set) var artifacts = ChunkedArray<Artifact>()
    public private(set) var executions = ChunkedArray<Execution>()
    public private(set) var contexts = ChunkedArray<Context>()
    /// The type of each artifact and execution, by dense index: a compact column for scans and
    /// traversals that test only the type.
    public private(set) var artifactTypes = ChunkedArray<TypeID>()
    public private(set) var executionTypes = ChunkedArray<TypeID>()
    /// The MLMD id of each artifact and execution, by dense index (ids never change).
    public private(set) var artifactIDs = ChunkedArray<Int64>()
    public private(set) var executionIDs = ChunkedArray<Int64>()
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
    public private(set) var events = ChunkedArray<EventRecord>()
    /// Compact columns of the events, for traversal: the ends' dense indices and the type.
    public private(set) var eventArtifact = ChunkedArray<Int32>()
    public private(set) var eventExecution = ChunkedArray<Int32>()
    public private(set) var eventType = ChunkedArray<UInt8>()
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
            artifacts[Int(slot)] = artifact
            artifactTypes[Int(slot)] = artifact.typeID
            indexArtifact(artifact, slot)
        } else {
            let slot = Int32(artifacts.count)
            artifacts.append(artifact)
            artifactTypes.append(artifact.typeID)
            if let last = artifactIDs.last, last > id.rawValue { artifactIndicesFollowIDs = false }
            artifactIDs.append(id.rawValue)
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
            executions[Int(slot)] = execution
            executionTypes[Int(slot)] = execution.typeID
            indexExecution(execution, slot)
        } else {
            let slot = Int32(executions.count)
            executions.append(execution)
            executionTypes.append(execution.typeID)
            if let last = executionIDs.last, last > id.rawValue { executionIndicesFollowIDs = false }
            executionIDs.append(id.rawValue)
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
            contexts[Int(slot)] = context
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
        appendEvent(EventRecord(rowID: rowID, artifact: a, execution: e, event: event))
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

    private mutating func appendEvent(_ record: EventRecord) {
        events.append(record)
        eventArtifact.append(record.artifact)
        eventExecution.append(record.execution)
        eventType.append(UInt8(record.event.type.rawValue))
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
            appendEvent(EventRecord(rowID: rowID, artifact: a, execution: e, event: event))
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

extension GraphSnapshot {
    /// Builds a snapshot in one pass: nodes and indexes first, then every adjacency list in bulk.
    /// Rows that refer to missing nodes are set aside as orphans.
    public static func build(_ contents: consuming StoreContents) -> GraphSnapshot {
        var g = GraphSnapshot()
        for t in contents.types { g.putType(t) }
        g.artifactByName.reserve(contents.artifacts.count)
        g.artifactsByURI.reserve(contents.artifacts.count)
        g.executionByName.reserve(contents.executions.count)
        g.contextByName.reserve(contents.contexts.count)
        for a in contents.artifacts {
            let slot = Int32(g.artifacts.count)
            g.artifacts.append(a)
            g.artifactTypes.append(a.typeID)
            if let last = g.artifactIDs.last, last > a.id!.rawValue { g.artifactIndicesFollowIDs = false }
            g.artifactIDs.append(a.id!.rawValue)
            g.artifactSlot.set(a.id!.rawValue, slot)
            g.addToType(a.typeID, slot)
            g.addArtifactState(a.state, slot)
            g.indexArtifact(a, slot)
        }
        for e in contents.executions {
            let slot = Int32(g.executions.count)
            g.executions.append(e)
            g.executionTypes.append(e.typeID)
            if let last = g.executionIDs.last, last > e.id!.rawValue { g.executionIndicesFollowIDs = false }
            g.executionIDs.append(e.id!.rawValue)
            g.executionSlot.set(e.id!.rawValue, slot)
            g.addToType(e.typeID, slot)
            g.addExecutionState(e.lastKnownState, slot)
            g.indexExecution(e, slot)
        }
        // Each table is released once copied, so that the whole store is not held twice.
        contents.artifacts = []
        contents.executions = []
        for c in contents.contexts {
            let slot = Int32(g.contexts.count)
            g.contexts.append(c)
            g.contextSlot.set(c.id!.rawValue, slot)
            g.addToType(c.typeID, slot)
            g.indexContext(c, slot)
        }

        var artifactPairs: [(Int32, Int32)] = []
        var executionPairs: [(Int32, Int32)] = []
        var artifactFar: [(Int32, Int32)] = []
        var executionFar: [(Int32, Int32)] = []
        artifactPairs.reserveCapacity(contents.events.count)
        executionPairs.reserveCapacity(contents.events.count)
        artifactFar.reserveCapacity(contents.events.count)
        executionFar.reserveCapacity(contents.events.count)
        for (rowID, event) in contents.events {
            guard let a = g.artifactSlot[event.artifactID!.rawValue], let e = g.executionSlot[event.executionID!.rawValue] else {
                g.orphanEvents.append((rowID, event))
                continue
            }
            let index = Int32(g.events.count)
            g.appendEvent(EventRecord(rowID: rowID, artifact: a, execution: e, event: event))
            artifactPairs.append((a, index))
            executionPairs.append((e, index))
            let type = UInt8(event.type.rawValue)
            artifactFar.append((a, Self.neighbour(e, type)))
            executionFar.append((e, Self.neighbour(a, type)))
        }
        g.artifactEvents = MultiMap(keyCount: g.artifacts.count, pairs: artifactPairs)
        g.executionEvents = MultiMap(keyCount: g.executions.count, pairs: executionPairs)
        g.artifactNeighbours = MultiMap(keyCount: g.artifacts.count, pairs: artifactFar)
        g.executionNeighbours = MultiMap(keyCount: g.executions.count, pairs: executionFar)

        var contextToMember: [(Int32, Int32)] = []
        var memberToContext: [(Int32, Int32)] = []
        contents.events = []
        for (rowID, link) in contents.attributions {
            guard let c = g.contextSlot[link.contextID.rawValue], let a = g.artifactSlot[link.artifactID.rawValue] else {
                g.orphanAttributions.append((rowID, link))
                continue
            }
            g.attributions.append(MembershipRecord(rowID: rowID, context: c, member: a))
            contextToMember.append((c, a))
            memberToContext.append((a, c))
        }
        g.contextArtifacts = MultiMap(keyCount: g.contexts.count, pairs: contextToMember)
        g.artifactContexts = MultiMap(keyCount: g.artifacts.count, pairs: memberToContext)

        contextToMember.removeAll(keepingCapacity: true)
        memberToContext.removeAll(keepingCapacity: true)
        for (rowID, link) in contents.associations {
            guard let c = g.contextSlot[link.contextID.rawValue], let e = g.executionSlot[link.executionID.rawValue] else {
                g.orphanAssociations.append((rowID, link))
                continue
            }
            g.associations.append(MembershipRecord(rowID: rowID, context: c, member: e))
            contextToMember.append((c, e))
            memberToContext.append((e, c))
        }
        g.contextExecutions = MultiMap(keyCount: g.contexts.count, pairs: contextToMember)
        g.executionContexts = MultiMap(keyCount: g.executions.count, pairs: memberToContext)

        var parents: [(Int32, Int32)] = []
        var children: [(Int32, Int32)] = []
        for link in contents.parentContexts {
            guard let child = g.contextSlot[link.childID.rawValue], let parent = g.contextSlot[link.parentID.rawValue] else {
                g.orphanParentContexts.append(link)
                continue
            }
            g.parentContexts.append(link)
            parents.append((child, parent))
            children.append((parent, child))
        }
        g.contextParents = MultiMap(keyCount: g.contexts.count, pairs: parents)
        g.contextChildren = MultiMap(keyCount: g.contexts.count, pairs: children)
        return g
    }
}
