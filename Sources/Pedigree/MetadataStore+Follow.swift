internal import PedigreeStore
@_spi(Engine) internal import PedigreeGraph
internal import PedigreeModel
internal import Synchronization

/// Following the database: what other connections commit to it (other Pedigree servers,
/// ml-metadata writing directly, TFX writing the same SQLite file in process) becomes part of the
/// graph, and is published as a new snapshot.
///
/// Each catch-up is a "round": one read of what was committed beyond the store's position
/// (`MLMDPosition`: highest ids, the ids below them still to come, the update window), in one
/// transaction. Every write begins with a round, inside its own transaction; `follow` runs one
/// on its own. A round sees everything committed before it began, which is what `CommitToken`s
/// rely on.
extension MetadataStore {
    /// Applies what other connections committed since the graph last caught up, and publishes it
    /// as a new snapshot. Returns whether anything changed. On SQLite, one query when nothing was
    /// committed elsewhere (`PRAGMA data_version`); on a server, one indexed query per table. A
    /// store in memory has nothing to follow.
    @discardableResult
    public func follow() throws -> Bool {
        try writer.withLock { (w: inout Writer) throws -> Bool in
            guard let db = w.db else { throw MetadataError.failedPrecondition("the store is closed") }
            guard w.position != nil else { return false }
            do {
                let changed: Bool
                do {
                    changed = try followRound(&w, db: db)
                } catch let error as DatabaseError where error.kind == .unavailable {
                    // The server dropped the connection since the last round: open it again.
                    try db.reconnect()
                    changed = try followRound(&w, db: db)
                }
                return changed
            } catch {
                let failure = error as? DatabaseError
                let translated: any Error = failure.map { Self.translate($0, location: path) } ?? error
                followState.withLock { $0.lastError = (Self.now(), "\(translated)") }
                throw translated
            }
        }
    }

    private func followRound(_ w: inout Writer, db: any SQLDatabase) throws -> Bool {
        try db.beginRead()
        defer { if db.isInTransaction { try? db.commit() } }
        let (graph, round) = try catchUpRound(&w, db: db, graph: published.withLock { $0 })
        if let graph { publish(graph) }
        record(round, position: w.position)
        return graph != nil
    }

    /// A catch-up round: its number, when it began, and whether it found something new.
    struct Round {
        let number: Int
        let started: Int64
        let changed: Bool
    }

    /// One round inside a transaction of `db`: brings the writer's position forward and returns the
    /// graph brought up to date (nil if nothing changed). The caller publishes the graph, then
    /// `record`s the round: readers trust `followState` only for what is published.
    func catchUpRound(_ w: inout Writer, db: any SQLDatabase, graph: GraphSnapshot) throws -> (GraphSnapshot?, Round?) {
        guard let position = w.position else { return (nil, nil) }
        let started = Self.now()
        let number = followState.withLock {
            $0.started += 1
            return $0.started
        }
        let (next, nextPosition) = try Self.catchUp(db, graph: graph, position: position)
        w.position = nextPosition
        return (next, Round(number: number, started: started, changed: next != nil))
    }

    /// After publishing what a round (and a write after it) brought: the position readers may
    /// now rely on.
    func record(_ round: Round?, position: MLMDPosition?) {
        followState.withLock {
            $0.position = position
            guard let round else { return }
            $0.round = round.number
            $0.appliedAt = round.started
            if round.changed { $0.changedAt = round.started }
        }
    }

    /// Inside a transaction of `db`: the graph brought up to date with what was committed beyond
    /// `position` (nil if nothing changed), and the new position.
    ///
    /// Incremental: every type (types are few), the nodes inserted beyond the position or updated
    /// within its window, the edges inserted beyond it, applied through the same graph updates as
    /// Pedigree's own writes. Rows that are already in the graph as read (Pedigree's own, or an
    /// update that is not one) are skipped, so reading a row twice is harmless. A full reload
    /// instead, in the same transaction, when an incremental update would not be sound: a type was
    /// removed or changed its kind or the kind of a property (the graph's nodes were read under the
    /// old type), an edge names a node that does not exist (the graph keeps such rows apart, as a
    /// full load does), or there are fewer parent-context links than the graph holds (something
    /// was deleted), or a Pedigree delete was applied (its log grew). MLMD never deletes nodes,
    /// events or memberships; a deletion of those by another process that does not log it is not
    /// seen until the store is opened again.
    static func catchUp(
        _ db: any SQLDatabase, graph: GraphSnapshot, position: MLMDPosition
    ) throws -> (GraphSnapshot?, MLMDPosition) {
        let tables = MLMDTables(db)
        let readTime = now()
        if db.engine == .sqlite, try tables.dataVersion() == position.dataVersion {
            // Nothing was committed elsewhere (SQLite commits one writer at a time).
            var same = position
            same.finishRead(horizon: try tables.horizon(now: readTime), readTime: readTime)
            return (nil, same)
        }
        let changes = try tables.changes(
            since: position, parentContextCount: graph.parentContexts.count + graph.orphanParentContexts.count, readTime: readTime
        ) { table, id, updated in
            // Held as stored: the same update time (Pedigree's own updates always move it forward).
            guard let kind = table.nodeKind, let held = graph.updateTime(of: kind, id: id) else { return false }
            return held == updated
        }
        var next = graph
        switch Self.apply(changes, to: &next) {
        case .unchanged: return (nil, changes.position)
        case .changed: return (next, changes.position)
        case .reload: break
        }
        let horizon = try tables.horizon(now: readTime, previous: position.horizon.source)
        var builder = GraphSnapshot.Builder()
        try tables.load(into: &builder)
        let reloaded = builder.finish()
        return (reloaded, try tables.position(afterLoading: reloaded.heldIDs(), horizon: horizon, readTime: readTime))
    }

    enum Applied { case unchanged, changed, reload }

    /// Puts the nodes that differ from the graph's (or are new to it); whether any did.
    private static func putChanged<N: WritableStoredNode>(_ nodes: [(id: N.ID, node: N)], into graph: inout GraphSnapshot) -> Bool {
        var changed = false
        for (id, node) in nodes where graph.node(id, as: N.self).map({ !$0.isSameRecord(as: node) }) ?? true {
            graph.put(node, id: id)
            changed = true
        }
        return changed
    }

    /// Applies `changes` to `graph` (`.reload`, with `graph` partly updated, when only a full
    /// reload is sound: see `catchUp`).
    static func apply(_ changes: MLMDChanges, to graph: inout GraphSnapshot) -> Applied {
        if changes.deleted { return .reload }
        let stored = Dictionary(uniqueKeysWithValues: changes.types)
        for (id, type) in zip(graph.typeIDs, graph.types) {
            guard let current = stored[id], current.kind == type.kind else { return .reload }
            for (name, kind) in type.properties where current.properties[name] != kind { return .reload }
        }
        var changed = false
        for (id, type) in changes.types where graph.type(id) != type {
            graph.putType(type, id: id)
            changed = true
        }
        if putChanged(changes.artifacts, into: &graph) { changed = true }
        if putChanged(changes.executions, into: &graph) { changed = true }
        if putChanged(changes.contexts, into: &graph) { changed = true }

        for (rowID, event) in changes.events {
            guard let a = event.artifactID.flatMap({ graph.index(of: $0) }), event.executionID.flatMap({ graph.index(of: $0) }) != nil
            else { return .reload }
            // (artifact, execution, type) is unique in the table: the same triple is this row.
            let present = graph.artifactEvents.items(a).contains { e in
                let known = graph.event(Int(e))
                return known.executionID == event.executionID && known.type == event.type
            }
            if !present {
                graph.addEvent(rowID: rowID, event)
                changed = true
            }
        }
        for (rowID, link) in changes.attributions {
            guard let c = graph.index(of: link.contextID), let a = graph.index(of: link.artifactID) else { return .reload }
            if !graph.contextArtifacts.items(c).contains(a) {
                graph.addAttribution(rowID: rowID, link)
                changed = true
            }
        }
        for (rowID, link) in changes.associations {
            guard let c = graph.index(of: link.contextID), let e = graph.index(of: link.executionID) else { return .reload }
            if !graph.contextExecutions.items(c).contains(e) {
                graph.addAssociation(rowID: rowID, link)
                changed = true
            }
        }
        if let links = changes.parentContexts {
            guard links.count >= graph.parentContexts.count + graph.orphanParentContexts.count else { return .reload }
            for link in links {
                guard let child = graph.index(of: link.childID), let parent = graph.index(of: link.parentID) else { return .reload }
                if !graph.contextParents.items(child).contains(parent) {
                    graph.addParentContext(link)
                    changed = true
                }
            }
        }
        return changed ? .changed : .unchanged
    }
}

extension GraphSnapshot {
    /// The ids the graph holds, by `MLMDIDTable`; with `old`, only those appended since (`self`
    /// extends `old`: nodes and edges are appended).
    func heldIDs(since old: GraphSnapshot? = nil) -> [[Int64]] {
        var ids = Array(repeating: [Int64](), count: MLMDIDTable.allCases.count)
        for i in (old?.artifacts.count ?? 0)..<artifacts.count { ids[MLMDIDTable.artifact.rawValue].append(artifactIDs[i]) }
        for i in (old?.executions.count ?? 0)..<executions.count { ids[MLMDIDTable.execution.rawValue].append(executionIDs[i]) }
        for i in (old?.contexts.count ?? 0)..<contexts.count { ids[MLMDIDTable.context.rawValue].append(contexts.ids[i]) }
        for i in (old?.events.count ?? 0)..<events.count { ids[MLMDIDTable.event.rawValue].append(events.rowIDs[i]) }
        for i in (old?.orphanEvents.count ?? 0)..<orphanEvents.count { ids[MLMDIDTable.event.rawValue].append(orphanEvents[i].rowID) }
        for i in (old?.attributions.count ?? 0)..<attributions.count { ids[MLMDIDTable.attribution.rawValue].append(attributions[i].rowID) }
        for i in (old?.orphanAttributions.count ?? 0)..<orphanAttributions.count {
            ids[MLMDIDTable.attribution.rawValue].append(orphanAttributions[i].rowID)
        }
        for i in (old?.associations.count ?? 0)..<associations.count { ids[MLMDIDTable.association.rawValue].append(associations[i].rowID) }
        for i in (old?.orphanAssociations.count ?? 0)..<orphanAssociations.count {
            ids[MLMDIDTable.association.rawValue].append(orphanAssociations[i].rowID)
        }
        return ids
    }
}

// MARK: Commit tokens and status

/// Where a write committed, in a form another server on the same database can check: a row the
/// write inserted, or a node it updated (with the update time it stamped). A server has applied a
/// token when it holds that row (or that update, or a later one); a server that has not yet applied
/// it applies it by one catch-up round, since any round that begins after the write committed
/// sees it. `CommitToken.now` asks for such a round unconditionally.
///
/// Written as text (`description`, and `init?(_:)` to read it back), which is how the gRPC server
/// hands it out and takes it in (`pedigree-commit` and `pedigree-min-commit` metadata).
public struct CommitToken: Sendable, Hashable, LosslessStringConvertible {
    enum Mark: Hashable {
        case row(MLMDIDTable, Int64)
        case update(NodeKind, Int64, stamp: Int64)
        /// An entry of the deletion log.
        case deletion(Int64)
        case now
    }

    let mark: Mark

    init(_ mark: Mark) { self.mark = mark }

    /// A token that any catch-up round beginning after it was made satisfies.
    public static let now = CommitToken(.now)

    public var description: String {
        switch mark {
        case .row(let table, let id): "v1:\(table.tokenName):\(id)"
        case .update(let kind, let id, let stamp): "v1:\(kind):\(id)@\(stamp)"
        case .deletion(let id): "v1:deletion:\(id)"
        case .now: "v1:now"
        }
    }

    public init?(_ description: String) {
        let parts = description.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] == "v1" else { return nil }
        if parts.count == 2, parts[1] == "now" {
            mark = .now
            return
        }
        guard parts.count == 3 else { return nil }
        let value = parts[2].split(separator: "@", omittingEmptySubsequences: false)
        guard let id = Int64(value[0]), id > 0 else { return nil }
        if value.count == 2 {
            guard let kind = NodeKind.allCases.first(where: { $0.description == parts[1] }), let stamp = Int64(value[1]) else { return nil }
            mark = .update(kind, id, stamp: stamp)
        } else if value.count == 1, let table = MLMDIDTable.allCases.first(where: { $0.tokenName == parts[1] }) {
            mark = .row(table, id)
        } else if value.count == 1, parts[1] == "deletion" {
            mark = .deletion(id)
        } else {
            return nil
        }
    }
}

extension MLMDIDTable {
    var tokenName: String { name.lowercased() }

    /// The kind of node the table holds (nil for an edge table).
    var nodeKind: NodeKind? {
        switch self {
        case .artifact: .artifact
        case .execution: .execution
        case .context: .context
        case .event, .attribution, .association: nil
        }
    }
}

extension GraphSnapshot {
    /// The stored `last_update_time_since_epoch` of a node the graph holds (nil when it does not
    /// hold it, or the node has none).
    func updateTime(of kind: NodeKind, id: Int64) -> Int64? {
        switch kind {
        case .artifact: node(ArtifactID(id), as: Artifact.self)?.updateTime
        case .execution: node(ExecutionID(id), as: Execution.self)?.updateTime
        case .context: node(ContextID(id), as: Context.self)?.updateTime
        }
    }
}

/// How far a store has followed its database, for the `Status` call and the staleness gauge.
public struct FollowStatus: Sendable {
    /// Whether the store follows a database at all (a store in memory does not).
    public var follows: Bool
    /// Catch-up rounds completed.
    public var rounds: Int
    /// When the latest completed round began (milliseconds since the epoch): everything committed
    /// before then is in the graph. 0 before the first.
    public var appliedAt: Int64
    /// When a round last found something new.
    public var changedAt: Int64
    /// The highest id held of each table (artifact, execution, context, event, attribution,
    /// association), and how many ids below them are still expected.
    public var highestIDs: [String: Int64]
    public var pendingIDs: Int
    /// How the store tells which transactions may still commit: `transaction ids`, `server clock`
    /// or `local clock`.
    public var horizon: String
    /// The latest failure to follow, if it is later than the latest round.
    public var lastError: String?
    public var lastErrorAt: Int64?
    /// The snapshot's generation.
    public var generation: UInt64
}

extension MetadataStore {
    /// What the follower has applied (see `FollowStatus`).
    public var followStatus: FollowStatus {
        let state = followState.withLock { $0 }
        var highest: [String: Int64] = [:]
        for table in MLMDIDTable.allCases { highest[table.tokenName] = state.position?.highest[table.rawValue] ?? 0 }
        let error = state.lastError.flatMap { $0.at >= state.appliedAt ? $0 : nil }
        let horizon =
            switch state.position?.horizon.source {
            case .transactionIDs: "transaction ids"
            case .serverClock: "server clock"
            case .localClock: "local clock"
            case nil: "none"
            }
        return FollowStatus(
            follows: state.position != nil, rounds: state.round, appliedAt: state.appliedAt, changedAt: state.changedAt,
            highestIDs: highest, pendingIDs: state.position?.gapCount ?? 0, horizon: horizon,
            lastError: error?.message, lastErrorAt: error?.at, generation: snapshot.generation)
    }

    /// Whether the published graph holds what `token` names (false when it cannot tell).
    public func hasApplied(_ token: CommitToken) -> Bool {
        // A store in memory has nothing to follow: every write to it is its own.
        guard let position = followState.withLock({ $0.position }) else { return true }
        let graph = snapshot
        switch token.mark {
        case .now: return false
        case .row(let table, let id): return position.holds(table, id: id)
        case .deletion(let id): return position.deletions >= id
        case .update(let kind, let id, let stamp):
            return (graph.updateTime(of: kind, id: id) ?? .min) >= stamp
        }
    }

    /// Returns once the published graph holds what `token` names: at once when it already does;
    /// otherwise after a catch-up round that began after this call (shared with any other round
    /// that did). Throws what the round throws (UNAVAILABLE when the database cannot be reached).
    public func waitUntilApplied(_ token: CommitToken) async throws {
        if hasApplied(token) { return }
        let arrived = followState.withLock { $0.started }
        try await perform { store in
            // A round numbered above `arrived` began after this call: it saw the write.
            guard store.followState.withLock({ $0.round }) <= arrived else { return }
            try store.follow()
        }
    }
}

extension CommitToken {
    /// The token of a write that inserted `written` (ids by `MLMDIDTable`) and updated `updated`:
    /// any one of its rows stands for all of it (a round reads one commit whole).
    init(written: [[Int64]], updated: (kind: NodeKind, id: Int64, stamp: Int64)?) {
        if let table = MLMDIDTable.allCases.first(where: { !written[$0.rawValue].isEmpty }), let id = written[table.rawValue].max() {
            self.init(.row(table, id))
        } else if let updated {
            self.init(.update(updated.kind, updated.id, stamp: updated.stamp))
        } else {
            self = .now
        }
    }
}

/// Collects the commit token of the writes made while it is bound to `MetadataStore.receipt`
/// (the latest write's, which stands for the earlier ones too: its round began after they
/// committed).
public final class WriteReceipt: Sendable {
    private let token = Mutex<CommitToken?>(nil)

    public init() {}

    public var commitToken: CommitToken? { token.withLock { $0 } }

    func record(_ commit: CommitToken) { token.withLock { $0 = commit } }
}

extension MetadataStore {
    /// Where the writes of the current task report their commit tokens (the async writes carry it
    /// to the writer's queue).
    @TaskLocal public static var receipt: WriteReceipt?
}
