internal import PedigreeStore
internal import PedigreeModel
internal import PedigreeGraph
package import PedigreeQuery

/// What a delete removes: the nodes a query returns, or what a retention policy selects.
public struct DeleteSelection: Sendable {
    /// What the deletion log records as the delete's query.
    let text: String
    /// The nodes, on a snapshot, at a time (milliseconds since the epoch), and a line per rule of
    /// a policy.
    let select: @Sendable (GraphSnapshot, Int64) throws -> (nodes: [NodeRef], rules: [String])

    /// The nodes (or a subgraph's artifacts and executions) a query returns.
    public static func query(_ text: String, parameters: [String: String] = [:]) -> Self {
        Self(text: text) { graph, _ in (try DeletePlan.nodes(of: graph.plan(text, parameters: parameters), on: graph), []) }
    }

    /// `query` with parameter values that already have their types (as the gRPC service gets them).
    package static func query(_ text: String, typedParameters: [String: Literal.Value]) -> Self {
        Self(text: text) { graph, _ in (try DeletePlan.nodes(of: graph.plan(text, typedParameters: typedParameters), on: graph), []) }
    }

    /// What a retention policy's rules select, as of the time of the call.
    public static func policy(_ policy: RetentionPolicy) -> Self {
        Self(text: policy.text) { graph, now in try policy.select(in: graph, now: now) }
    }
}

/// Deleting what a query returns or a policy selects: the dry run (`deletionImpact`) and the
/// delete itself (`delete`), which applies only the impact its dry run reported.
extension MetadataStore {
    /// What deleting `selection` would do. Writes nothing. A store on a file or a server first
    /// catches up with what others committed, so that the report is that of the database now.
    public func deletionImpact(of selection: DeleteSelection, options: DeleteOptions = DeleteOptions()) throws -> DeleteImpact {
        try follow()
        let graph = snapshot
        let (nodes, rules) = try selection.select(graph, Self.now())
        var impact = DeletePlan(graph: graph, nodes: nodes).impact(options)
        impact.rules = rules
        return impact
    }

    /// Deletes `selection`, if the impact of doing so is still the one whose token `token` is
    /// (the dry run's); otherwise throws FAILED_PRECONDITION and writes nothing. A delete that
    /// would cut the provenance of a LIVE artifact of a protected type is refused unless
    /// `options.force`. One transaction: readers see all of it or none of it. Every applied
    /// delete is logged (`deletionLog()`).
    @discardableResult
    public func delete(_ selection: DeleteSelection, options: DeleteOptions = DeleteOptions(), token: String) throws -> DeleteImpact {
        try ensureDeletionLog()
        return try write { (context: inout WriteContext) throws -> DeleteImpact in
            let graph = context.graph
            let (nodes, rules) = try selection.select(graph, context.now)
            let plan = DeletePlan(graph: graph, nodes: nodes)
            var impact = plan.impact(options)
            impact.rules = rules
            guard impact.token == token else {
                throw MetadataError.failedPrecondition(
                    "the impact of this delete is no longer the one token \(token) stands for: nothing was deleted; run the dry run again and check its report"
                )
            }
            if let refusal = impact.refusal(force: options.force) { throw MetadataError.failedPrecondition(refusal + "; nothing was deleted") }
            switch options.mode {
            case .tombstone:
                for index in plan.artifacts {
                    var artifact = graph.node(at: index, as: Artifact.self)
                    guard DeletePlan.tombstones(artifact.state, to: options.tombstoneState) else { continue }
                    artifact.id = ArtifactID(graph.artifacts.ids[Int(index)])
                    artifact.state = options.tombstoneState
                    _ = try context.upsert(artifact)
                }
            case .purge:
                let removed = try context.tables.purge(plan.purgeSet(impact))
                var expected = MLMDTables.PurgeCounts()
                expected.artifacts = plan.artifacts.count
                expected.executions = plan.executions.count
                expected.contexts = plan.contexts.count
                expected.events = impact.events
                expected.eventPathSteps = impact.eventPathSteps
                expected.attributions = impact.attributions
                expected.associations = impact.associations
                expected.parentContexts = impact.parentContexts
                expected.properties = removed.properties
                guard removed == expected else {
                    throw MetadataError(
                        .aborted,
                        "the database held other rows than the graph for this delete (removed \(removed), expected \(expected)): nothing was deleted; retry"
                    )
                }
            }
            let entry = try context.tables.logDeletion(
                MLMDTables.DeletionRecord(
                    time: context.now, actor: options.actor, mode: options.mode.rawValue, query: selection.text, token: token,
                    summary: impact.countsJSON.text))
            if options.mode == .purge { context.purged = entry }
            impact.applied = true
            impact.logEntry = entry
            return impact
        }
    }

    /// The deletes applied to this store, oldest first.
    public func deletionLog() throws -> [DeletionLogEntry] {
        try writer.withLock { (w: inout Writer) throws -> [DeletionLogEntry] in
            guard let db = w.db else { throw MetadataError.failedPrecondition("the store is closed") }
            do {
                return try MLMDTables(db).deletions().map {
                    DeletionLogEntry(
                        id: $0.id, time: $0.record.time, actor: $0.record.actor, mode: $0.record.mode, query: $0.record.query,
                        token: $0.record.token, counts: $0.record.summary)
                }
            } catch let error as DatabaseError {
                throw Self.translate(error, location: path)
            }
        }
    }

    /// Creates the deletion log when the store lacks it, outside any transaction (MySQL commits
    /// an open transaction at CREATE TABLE).
    private func ensureDeletionLog() throws {
        try writer.withLock { (w: inout Writer) throws in
            guard !isReadOnly else { throw MetadataError.failedPrecondition("\(path) is open read-only") }
            guard let db = w.db else { throw MetadataError.failedPrecondition("the store is closed") }
            do {
                let tables = MLMDTables(db)
                if try !tables.hasDeletionLog() { try tables.createDeletionLog() }
            } catch let error as DatabaseError {
                throw Self.translate(error, location: path)
            }
        }
    }
}

/// One applied delete, from the store's deletion log.
public struct DeletionLogEntry: Sendable {
    public var id: Int64
    /// Milliseconds since the epoch.
    public var time: Int64
    public var actor: String
    /// "tombstone" or "purge".
    public var mode: String
    public var query: String
    public var token: String
    /// The impact's counts, as JSON.
    public var counts: String
}
