@_spi(Engine) internal import PedigreeGraph
public import PedigreeModel
internal import PedigreeStore
internal import PedigreeQuery

/// How a delete is carried out.
public enum DeleteMode: String, Sendable, CaseIterable {
    /// Artifacts take MLMD's deletion state (`DeleteOptions.tombstoneState`), as TFX's garbage
    /// collection sets it; every row is kept. Executions and contexts have no such state in MLMD:
    /// they are reported, and kept as they are.
    case tombstone
    /// The rows go, in one transaction: the nodes, their properties, their events with the events'
    /// paths, their attributions and associations, and their parent-context links.
    case purge
}

/// What a delete may do, and how its report is drawn up.
public struct DeleteOptions: Sendable {
    public var mode: DeleteMode
    /// The state a tombstone gives artifacts: MARKED_FOR_DELETION (their payload may now be
    /// removed) or DELETED (it was).
    public var tombstoneState: ArtifactState
    /// Artifact types whose LIVE artifacts may not be deleted or lose provenance without `force`; nil
    /// for the default: types whose base type is MODEL, or whose name is `Model` or ends in `Model`.
    public var protectedTypes: [String]?
    /// Apply even when protected artifacts would lose provenance.
    public var force: Bool
    /// How many nodes each sample lists.
    public var sampleSize: Int
    /// Who asks, for the deletion log (a user, a client address).
    public var actor: String

    public init(
        mode: DeleteMode = .tombstone, tombstoneState: ArtifactState = .markedForDeletion, protectedTypes: [String]? = nil,
        force: Bool = false, sampleSize: Int = 10, actor: String = ""
    ) {
        self.mode = mode
        self.tombstoneState = tombstoneState
        self.protectedTypes = protectedTypes
        self.force = force
        self.sampleSize = sampleSize
        self.actor = actor
    }
}

/// What deleting a set of nodes would do (the dry run), or did: the nodes and rows that go, the
/// nodes that would lose provenance, and a token that fingerprints exactly this impact.
public struct DeleteImpact: Sendable {
    /// Nodes of one kind, type and state, and how many.
    public struct Group: Sendable, Hashable {
        public var kind: NodeKind
        public var type: String
        /// MLMD's state name; "" for a node without one (contexts, nodes whose state is unset).
        public var state: String
        public var count: Int
    }

    /// One node, for a sample.
    public struct Sample: Sendable, Hashable {
        public var kind: NodeKind
        public var id: Int64
        public var type: String
        public var name: String
        public var state: String
    }

    /// A set of nodes: how many, by kind, type and state, and the first few by id.
    public struct Nodes: Sendable {
        public var count: Int
        public var groups: [Group]
        public var sample: [Sample]
    }

    public var mode: DeleteMode
    /// The state a tombstone sets (tombstone mode only).
    public var tombstoneState: ArtifactState?
    /// The nodes to delete (the query's answer).
    public var deleted: Nodes
    /// The rows that go with them in a purge (a tombstone keeps them): events, their path steps,
    /// attributions, associations and parent-context links that name a deleted node.
    public var events: Int
    public var eventPathSteps: Int
    public var attributions: Int
    public var associations: Int
    public var parentContexts: Int
    /// Artifacts whose state a tombstone changes (not those in `tombstoneState` already, nor DELETED
    /// ones when it is MARKED_FOR_DELETION).
    public var tombstoned: Int
    /// Nodes that stay but lie downstream of a deleted node: their upstream path to a root would
    /// be cut.
    public var losingProvenance: Nodes
    /// Artifacts that stay but whose every producer (an execution with an output event to them) is
    /// deleted.
    public var withoutProducer: Nodes
    /// LIVE artifacts of protected types that the delete removes or cuts off from their
    /// provenance: a delete is refused unless forced.
    public var protectedAtRisk: Nodes
    /// The protected artifact types, by name.
    public var protectedTypes: [String]
    /// A fingerprint of this impact (`apply` requires the same one).
    public var token: String
    /// What each rule of a retention policy selected, one line each (empty for a query).
    public var rules: [String] = []
    /// Whether it was applied, and the deletion log's entry for it (0 when it was not).
    public var applied = false
    public var logEntry: Int64 = 0
    /// The row ids of the events, attributions and associations that go, for the purge.
    var rows: (events: [Int64], attributions: [Int64], associations: [Int64]) = ([], [], [])

    /// Why the delete would be refused (protected artifacts at risk and no `force`), if it would.
    public func refusal(force: Bool) -> String? {
        guard protectedAtRisk.count > 0, !force else { return nil }
        let types = Set(protectedAtRisk.groups.map(\.type)).sorted().joined(separator: ", ")
        return "\(protectedAtRisk.count) LIVE artifact(s) of protected type(s) (\(types)) would be deleted or lose provenance; pass --force to delete anyway"
    }
}

/// The delete set of a query, and its impact, computed on one snapshot.
struct DeletePlan {
    let graph: GraphSnapshot
    /// Dense indices of the nodes to delete, by kind, sorted.
    var artifacts: [Int32] = []
    var executions: [Int32] = []
    var contexts: [Int32] = []

    init(graph: GraphSnapshot, nodes: some Sequence<NodeRef>) {
        self.graph = graph
        var a = Set<Int32>(), e = Set<Int32>(), c = Set<Int32>()
        for ref in nodes {
            switch ref.kind {
            case .artifact: a.insert(ref.index)
            case .execution: e.insert(ref.index)
            case .context: c.insert(ref.index)
            }
        }
        artifacts = a.sorted()
        executions = e.sorted()
        contexts = c.sorted()
    }

    /// The nodes a query's answer names: its nodes (a `limit` in the query bounds them), or a
    /// subgraph's artifacts and executions (not the contexts it lists, which only say where its
    /// nodes belong).
    static func nodes(of plan: Plan, on graph: GraphSnapshot) throws -> [NodeRef] {
        guard plan.query.mode == .run else {
            throw MetadataError.invalidArgument("a delete takes a query that returns nodes, not an `explain` or `profile` of one")
        }
        let result = try graph.run(plan)
        switch result.rows {
        case .nodes(let rows): return rows.map(\.node)
        case .subgraph(let subgraph):
            return subgraph.artifacts.map { NodeRef(.artifact, $0) } + subgraph.executions.map { NodeRef(.execution, $0) }
        case .paths: throw MetadataError.invalidArgument("a delete takes a query that returns nodes or a subgraph, not paths")
        case .count, .groups: throw MetadataError.invalidArgument("a delete takes a query that returns nodes or a subgraph, not a count")
        }
    }

    /// The rows a purge removes: the nodes, and the event, attribution and association rows the
    /// impact found naming them (deleted by primary key: MLMD indexes Attribution and Association
    /// by context first, so a lookup by member would scan).
    func purgeSet(_ impact: DeleteImpact) -> MLMDTables.PurgeSet {
        MLMDTables.PurgeSet(
            artifacts: artifacts.map { graph.artifacts.ids[Int($0)] }, executions: executions.map { graph.executions.ids[Int($0)] },
            contexts: contexts.map { graph.contexts.ids[Int($0)] }, events: impact.rows.events, attributions: impact.rows.attributions,
            associations: impact.rows.associations)
    }

    /// The impact of deleting the set, fingerprinted.
    func impact(_ options: DeleteOptions) -> DeleteImpact {
        let deletedArtifacts = Set(artifacts), deletedExecutions = Set(executions), deletedContexts = Set(contexts)
        var hash = Fingerprint()
        hash.add(options.mode.rawValue)
        if options.mode == .tombstone { hash.add(Int64(options.tombstoneState.rawValue)) }

        // The nodes.
        let deletedRefs = artifacts.map { NodeRef(.artifact, $0) } + executions.map { NodeRef(.execution, $0) } + contexts.map { NodeRef(.context, $0) }
        let deleted = summary(deletedRefs, sampleSize: options.sampleSize, into: &hash)

        // The rows that name them.
        var eventRows = Set<Int32>()
        for a in artifacts { eventRows.formUnion(graph.artifactEvents.items(a)) }
        for e in executions { eventRows.formUnion(graph.executionEvents.items(e)) }
        let deletedArtifactIDs = Set(artifacts.map { graph.artifacts.ids[Int($0)] })
        let deletedExecutionIDs = Set(executions.map { graph.executions.ids[Int($0)] })
        let deletedContextIDs = Set(contexts.map { graph.contexts.ids[Int($0)] })
        // Rows whose other end is missing (MLMD writes some) go too when they name a deleted node.
        let orphanEvents = graph.orphanEvents.filter {
            $0.event.artifactID.map { deletedArtifactIDs.contains($0.rawValue) } == true
                || $0.event.executionID.map { deletedExecutionIDs.contains($0.rawValue) } == true
        }
        var eventIDs = eventRows.map { graph.events.rowIDs[Int($0)] } + orphanEvents.map(\.rowID)
        eventIDs.sort()
        hash.add(eventIDs)
        let steps = eventRows.reduce(0) { $0 + graph.events.paths[Int($1)].count } + orphanEvents.reduce(0) { $0 + $1.event.path.count }

        /// The membership rows with a deleted end, sorted.
        func memberships(_ records: ChunkedArray<MembershipRecord>, members: Set<Int32>, orphans: [Int64]) -> [Int64] {
            var ids = orphans
            for i in 0..<records.count {
                let r = records[i]
                if deletedContexts.contains(r.context) || members.contains(r.member) { ids.append(r.rowID) }
            }
            return ids.sorted()
        }
        let attributionIDs = memberships(
            graph.attributions, members: deletedArtifacts,
            orphans: graph.orphanAttributions.filter {
                deletedContextIDs.contains($0.attribution.contextID.rawValue) || deletedArtifactIDs.contains($0.attribution.artifactID.rawValue)
            }.map(\.rowID))
        let associationIDs = memberships(
            graph.associations, members: deletedExecutions,
            orphans: graph.orphanAssociations.filter {
                deletedContextIDs.contains($0.association.contextID.rawValue) || deletedExecutionIDs.contains($0.association.executionID.rawValue)
            }.map(\.rowID))
        hash.add(attributionIDs)
        hash.add(associationIDs)
        var links: [ParentContext] = []
        for i in 0..<graph.parentContexts.count {
            let link = graph.parentContexts[i]
            if deletedContextIDs.contains(link.childID.rawValue) || deletedContextIDs.contains(link.parentID.rawValue) { links.append(link) }
        }
        links += graph.orphanParentContexts.filter {
            deletedContextIDs.contains($0.childID.rawValue) || deletedContextIDs.contains($0.parentID.rawValue)
        }
        links.sort { ($0.childID.rawValue, $0.parentID.rawValue) < ($1.childID.rawValue, $1.parentID.rawValue) }
        hash.add(links.flatMap { [$0.childID.rawValue, $0.parentID.rawValue] })

        // Downstream of the deleted nodes: what loses provenance.
        var seenArtifacts = deletedArtifacts, seenExecutions = deletedExecutions
        var frontier = deletedRefs.filter { $0.kind != .context }
        var losing: [NodeRef] = []
        while let ref = frontier.popLast() {
            let downstream = ref.kind == .artifact ? graph.artifactNeighbours.items(ref.index) : graph.executionNeighbours.items(ref.index)
            for item in downstream {
                let far = item >> 3, input = EventType.isInput(raw: item & 7)
                if ref.kind == .artifact, input, seenExecutions.insert(far).inserted {
                    losing.append(NodeRef(.execution, far))
                    frontier.append(NodeRef(.execution, far))
                } else if ref.kind == .execution, !input, EventType.isOutput(raw: item & 7), seenArtifacts.insert(far).inserted {
                    losing.append(NodeRef(.artifact, far))
                    frontier.append(NodeRef(.artifact, far))
                }
            }
        }
        losing.sort()
        let losingProvenance = summary(losing, sampleSize: options.sampleSize, into: &hash)

        // Artifacts left with no producer: every execution with an output event to them goes.
        var orphaned: [NodeRef] = []
        for ref in losing where ref.kind == .artifact {
            var producers = 0, deletedProducers = 0
            for item in graph.artifactNeighbours.items(ref.index) where EventType.isOutput(raw: item & 7) {
                producers += 1
                if deletedExecutions.contains(item >> 3) { deletedProducers += 1 }
            }
            if producers > 0, producers == deletedProducers { orphaned.append(ref) }
        }
        let withoutProducer = summary(orphaned, sampleSize: options.sampleSize, into: &hash)

        // Protected artifacts at risk.
        let protected = protectedTypeIDs(options.protectedTypes)
        let atRisk = (artifacts.map { NodeRef(.artifact, $0) } + losing).filter { ref in
            ref.kind == .artifact && protected.contains(graph.artifacts.types[Int(ref.index)])
                && graph.artifacts.stateRaw(Int(ref.index)) == Int8(ArtifactState.live.rawValue)
        }
        let protectedAtRisk = summary(atRisk, sampleSize: options.sampleSize, into: &hash)

        let tombstoned = artifacts.count(where: { Self.tombstones(graph.node(at: $0, as: Artifact.self).state, to: options.tombstoneState) })
        return DeleteImpact(
            mode: options.mode, tombstoneState: options.mode == .tombstone ? options.tombstoneState : nil, deleted: deleted,
            events: eventIDs.count, eventPathSteps: steps, attributions: attributionIDs.count, associations: associationIDs.count,
            parentContexts: links.count, tombstoned: tombstoned, losingProvenance: losingProvenance, withoutProducer: withoutProducer,
            protectedAtRisk: protectedAtRisk, protectedTypes: protected.compactMap { graph.type($0)?.name }.sorted(),
            token: hash.token, rows: (eventIDs, attributionIDs, associationIDs))
    }

    /// Whether a tombstone to `target` changes an artifact in `state`: not when it is there already,
    /// nor when it is DELETED and the target MARKED_FOR_DELETION (its payload is gone already).
    static func tombstones(_ state: ArtifactState?, to target: ArtifactState) -> Bool {
        state != target && !(target == .markedForDeletion && state == .deleted)
    }

    /// The protected artifact types: those named, or by default those whose base type is MODEL or
    /// whose name is `Model` or ends in `Model`.
    func protectedTypeIDs(_ names: [String]?) -> Set<TypeID> {
        var ids = Set<TypeID>()
        for (id, type) in zip(graph.typeIDs, graph.types) where type.kind == .artifact {
            let protected = names.map { $0.contains(type.name) } ?? (type.baseType == .model || type.name.hasSuffix("Model"))
            if protected { ids.insert(id) }
        }
        return ids
    }

    /// Counts by kind, type and state, a sample (the first by kind and id), and each node's
    /// identity and state into the fingerprint.
    private func summary(_ refs: [NodeRef], sampleSize: Int, into hash: inout Fingerprint) -> DeleteImpact.Nodes {
        var counts: [DeleteImpact.Group: Int] = [:]
        var sample: [DeleteImpact.Sample] = []
        hash.add(Int64(refs.count))
        let ordered = refs.sorted { ($0.kind.rawValue, graph.id(of: $0)) < ($1.kind.rawValue, graph.id(of: $1)) }
        for ref in ordered {
            let state = stateName(ref)
            let type = graph.typeName(of: ref)
            counts[DeleteImpact.Group(kind: ref.kind, type: type, state: state, count: 0), default: 0] += 1
            hash.add(Int64(ref.kind.rawValue))
            hash.add(graph.id(of: ref))
            hash.add(state)
            if sample.count < sampleSize {
                sample.append(DeleteImpact.Sample(kind: ref.kind, id: graph.id(of: ref), type: type, name: graph[ref].nodeName ?? "", state: state))
            }
        }
        let groups = counts.map { key, count in DeleteImpact.Group(kind: key.kind, type: key.type, state: key.state, count: count) }
            .sorted { ($0.kind.rawValue, $0.type, $0.state) < ($1.kind.rawValue, $1.type, $1.state) }
        return DeleteImpact.Nodes(count: refs.count, groups: groups, sample: sample)
    }

    /// MLMD's name of a node's state, from the state column (no node is built).
    private func stateName(_ ref: NodeRef) -> String {
        switch ref.kind {
        case .artifact:
            let raw = graph.artifacts.stateRaw(Int(ref.index))
            return raw < 0 ? "" : ArtifactState(rawValue: Int(raw))?.description ?? "\(raw)"
        case .execution:
            let raw = graph.executions.stateRaw(Int(ref.index))
            return raw < 0 ? "" : ExecutionState(rawValue: Int(raw))?.description ?? "\(raw)"
        case .context: return ""
        }
    }
}

/// FNV-1a, 128 bits: a fingerprint of an impact, not a defence against a forger (who would need
/// write access to the store anyway).
struct Fingerprint {
    private var state: UInt128 = 0x6c62272e07bb014262b821756295c58d
    private static let prime: UInt128 = 0x0000000001000000000000000000013B

    mutating func add(_ byte: UInt8) {
        state ^= UInt128(byte)
        state &*= Self.prime
    }

    mutating func add(_ value: Int64) {
        for shift in stride(from: 0, to: 64, by: 8) { add(UInt8(truncatingIfNeeded: value >> Int64(shift))) }
    }

    mutating func add(_ values: [Int64]) {
        add(Int64(values.count))
        for value in values { add(value) }
    }

    mutating func add(_ text: String) {
        add(Int64(text.utf8.count))
        for byte in text.utf8 { add(byte) }
    }

    /// `d1-` and 32 hex digits.
    var token: String {
        let hex = String(state, radix: 16)
        return "d1-" + String(repeating: "0", count: 32 - hex.count) + hex
    }
}

extension DeleteImpact {
    /// The counts, as the deletion log keeps them.
    package var countsJSON: JSONOut {
        .object([
            ("mode", .string(mode.rawValue)),
            ("nodes", .int(Int64(deleted.count))),
            ("artifacts", .int(Int64(deleted.count(of: .artifact)))),
            ("executions", .int(Int64(deleted.count(of: .execution)))),
            ("contexts", .int(Int64(deleted.count(of: .context)))),
            ("events", .int(Int64(events))),
            ("event_path_steps", .int(Int64(eventPathSteps))),
            ("attributions", .int(Int64(attributions))),
            ("associations", .int(Int64(associations))),
            ("parent_contexts", .int(Int64(parentContexts))),
            ("tombstoned", .int(Int64(tombstoned))),
            ("losing_provenance", .int(Int64(losingProvenance.count))),
            ("without_producer", .int(Int64(withoutProducer.count))),
            ("protected_at_risk", .int(Int64(protectedAtRisk.count))),
        ])
    }
}

extension DeleteImpact.Nodes {
    /// How many of one kind.
    public func count(of kind: NodeKind) -> Int { groups.reduce(0) { $0 + ($1.kind == kind ? $1.count : 0) } }
}
