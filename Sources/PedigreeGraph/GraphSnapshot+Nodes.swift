public import PedigreeModel

extension GraphSnapshot {
    /// The nodes of one kind, with their indexes: `snapshot[Artifact.self]`.
    public subscript<N: StoredNode>(_ kind: N.Type) -> NodeStore<N> { self[keyPath: N.store] }

    /// The node a reference points to, whatever its kind: `snapshot[ref].nodeName`.
    public subscript(_ ref: NodeRef) -> any MetadataNode {
        switch ref.kind {
        case .artifact: artifacts[Int(ref.index)]
        case .execution: executions[Int(ref.index)]
        case .context: contexts[Int(ref.index)]
        }
    }

    /// The MLMD id of the node a reference points to.
    public func id(of ref: NodeRef) -> Int64 { ids(ref.kind)[Int(ref.index)] }

    /// The MLMD ids of the nodes of a kind, by dense index.
    package func ids(_ kind: NodeKind) -> ChunkedArray<Int64> {
        switch kind {
        case .artifact: artifacts.ids
        case .execution: executions.ids
        case .context: contexts.ids
        }
    }

    /// The type ids of the nodes of a kind, by dense index.
    package func typeColumn(_ kind: NodeKind) -> ChunkedArray<TypeID> {
        switch kind {
        case .artifact: artifacts.types
        case .execution: executions.types
        case .context: contexts.types
        }
    }

    /// The name of the type of the node a reference points to ("?" for a type the store lacks).
    public func typeName(of ref: NodeRef) -> String {
        type(typeColumn(ref.kind)[Int(ref.index)])?.name ?? "?"
    }

    /// The ids of the types of a kind with this name (one per version).
    package func typeIDs(kind: NodeKind, name: String) -> [TypeID] {
        zip(typeIDs, types).filter { $1.kind == kind && $1.name == name }.map(\.0)
    }

    /// Generic access to the nodes of one kind.
    public func node<N: StoredNode>(_ id: N.ID, as: N.Type = N.self) -> N? { self[N.self].node(id) }

    package func node<N: StoredNode>(at index: Int32, as: N.Type = N.self) -> N { self[N.self][Int(index)] }

    public func nodeCount(_ kind: NodeKind) -> Int { ids(kind).count }

    package func nodeIndex(kind: NodeKind, typeID: TypeID, name: String) -> Int32? {
        switch kind {
        case .artifact: artifacts.index(typeID: typeID, name: name)
        case .execution: executions.index(typeID: typeID, name: name)
        case .context: contexts.index(typeID: typeID, name: name)
        }
    }

    package func nodeIndex(kind: NodeKind, externalID: String) -> Int32? {
        switch kind {
        case .artifact: artifacts.index(externalID: externalID)
        case .execution: executions.index(externalID: externalID)
        case .context: contexts.index(externalID: externalID)
        }
    }

    package func nodeIndex(kind: NodeKind, id: Int64) -> Int32? {
        switch kind {
        case .artifact: artifacts.slots[id]
        case .execution: executions.slots[id]
        case .context: contexts.slots[id]
        }
    }

    /// Dense indices of the nodes of one type (of that type's kind), in creation order.
    package func nodeIndices(ofType id: TypeID) -> [Int32] {
        switch type(id)?.kind {
        case .artifact: artifacts.indices(ofType: id)
        case .execution: executions.indices(ofType: id)
        case .context: contexts.indices(ofType: id)
        case nil: []
        }
    }

    /// The artifacts with this uri, newest first.
    package func artifactIndices(uri: String) -> [Int32] { artifacts.indices(uri: uri) }

    /// Dense indices of the artifacts in a state (nil: no state set), in the order they entered it.
    package func artifactIndices(state: ArtifactState?) -> [Int32] {
        artifacts.indices(stateRaw: state.map { Int8($0.rawValue) } ?? -1)
    }

    /// Dense indices of the executions in a state (nil: no state set), in the order they entered it.
    package func executionIndices(state: ExecutionState?) -> [Int32] {
        executions.indices(stateRaw: state.map { Int8($0.rawValue) } ?? -1)
    }

    /// What does not hold of the snapshot's nodes, indexes, edges and adjacency, one line each;
    /// empty when all is well. O(size): tests call it after every write (`_checkInvariants`).
    package func invariantViolations() -> [String] {
        var found = artifacts.invariantViolations() + executions.invariantViolations() + contexts.invariantViolations()
        func check(_ holds: Bool, _ what: @autoclosure () -> String) { if !holds { found.append(what()) } }
        check(types.count == typeIDs.count && types.count == typeSlot.count, "type columns of different lengths")
        for (i, id) in typeIDs.enumerated() {
            check(types[i].id == id && typeSlot[id] == i, "type \(id) is not at its slot")
            if i > 0 { check(typeIDs[i - 1] < id, "types out of id order at \(i)") }
        }
        let adjacency: [(String, MultiMap, Int)] = [
            ("artifactEvents", artifactEvents, artifacts.count), ("executionEvents", executionEvents, executions.count),
            ("artifactNeighbours", artifactNeighbours, artifacts.count), ("executionNeighbours", executionNeighbours, executions.count),
            ("artifactContexts", artifactContexts, artifacts.count), ("executionContexts", executionContexts, executions.count),
            ("contextArtifacts", contextArtifacts, contexts.count), ("contextExecutions", contextExecutions, contexts.count),
            ("contextParents", contextParents, contexts.count), ("contextChildren", contextChildren, contexts.count),
        ]
        for (name, map, keys) in adjacency { check(map.keyCount == keys, "\(name) has \(map.keyCount) keys for \(keys) nodes") }
        for (name, map) in [("artifactEvents", artifactEvents), ("executionEvents", executionEvents), ("artifactNeighbours", artifactNeighbours), ("executionNeighbours", executionNeighbours)] {
            check(map.itemCount == events.count, "\(name) holds \(map.itemCount) items for \(events.count) events")
        }
        for r in attributions where !contextArtifacts.items(r.context).contains(r.member) || !artifactContexts.items(r.member).contains(r.context) {
            check(false, "attribution \(r.rowID) missing from the adjacency")
        }
        for r in associations where !contextExecutions.items(r.context).contains(r.member) || !executionContexts.items(r.member).contains(r.context) {
            check(false, "association \(r.rowID) missing from the adjacency")
        }
        check(contextArtifacts.itemCount == attributions.count && artifactContexts.itemCount == attributions.count, "attribution lists differ from the rows")
        check(contextExecutions.itemCount == associations.count && executionContexts.itemCount == associations.count, "association lists differ from the rows")
        check(contextParents.itemCount == parentContexts.count && contextChildren.itemCount == parentContexts.count, "parent lists differ from the rows")
        for i in 0..<events.count {
            let a = events.artifacts[i], e = events.executions[i], type = events.types[i]
            guard a >= 0 && Int(a) < artifacts.count && e >= 0 && Int(e) < executions.count else {
                found.append("event \(events.rowIDs[i]) has an end outside the graph")
                continue
            }
            check(artifactEvents.items(a).contains(Int32(i)), "event \(events.rowIDs[i]) missing from its artifact's list")
            check(executionEvents.items(e).contains(Int32(i)), "event \(events.rowIDs[i]) missing from its execution's list")
            check(artifactNeighbours.items(a).contains(Self.neighbour(e, type)), "event \(events.rowIDs[i]) missing from its artifact's neighbours")
            check(executionNeighbours.items(e).contains(Self.neighbour(a, type)), "event \(events.rowIDs[i]) missing from its execution's neighbours")
            if found.count > 40 { break }
        }
        return found
    }

    /// Stops the program, listing what is wrong, when an invariant does not hold (tests only).
    package func _checkInvariants() {
        let found = invariantViolations()
        precondition(found.isEmpty, "graph invariants broken:\n" + found.joined(separator: "\n"))
    }
}

extension GraphSnapshot {
    /// Calls `body(neighbour, event)` for each event of `n` that leads downstream (artifact to the
    /// execution that read it, execution to what it wrote) or upstream; UNKNOWN events, which have
    /// no direction, in neither. (The executor's walks read the packed lists themselves.)
    package func forEachEdge(_ n: NodeRef, downstream: Bool, _ body: (NodeRef, Int32) -> Void) {
        let fromArtifact = n.kind == .artifact
        let neighbours = fromArtifact ? artifactNeighbours.items(n.index) : executionNeighbours.items(n.index)
        let events = fromArtifact ? artifactEvents.items(n.index) : executionEvents.items(n.index)
        let farKind: NodeKind = fromArtifact ? .execution : .artifact
        let wantInput = downstream == fromArtifact
        var e = events.startIndex
        for item in neighbours {
            defer { e += 1 }
            let raw = item & 7
            guard raw != 0, EventType.isInput(raw: raw) == wantInput else { continue }
            body(NodeRef(farKind, item >> 3), events[e])
        }
    }

    /// The name of the node a reference points to, read without building the node.
    package func nodeName(_ ref: NodeRef) -> String? {
        switch ref.kind {
        case .artifact: artifacts.name(at: Int(ref.index))
        case .execution: executions.name(at: Int(ref.index))
        case .context: contexts.name(at: Int(ref.index))
        }
    }
}
