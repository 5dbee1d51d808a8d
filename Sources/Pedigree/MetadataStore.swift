internal import PedigreeStore
internal import Synchronization
internal import Foundation
public import PedigreeGraph

/// An MLMD store: one SQLite file in MLMD's schema version 10, held as an in-memory lineage graph.
///
/// Writes are serialised and each is one SQLite transaction; after it commits, the next graph
/// snapshot is published. Readers take a snapshot (O(1)) and are never blocked by a write.
public final class MetadataStore: Sendable {
    public enum OpenMode: Sendable {
        /// Open an existing store read-only; the file is never written.
        case readOnly
        /// Open an existing store for reading and writing.
        case readWrite
        /// Open the store, creating it if the file does not exist or is empty (the default).
        case create
    }

    /// The writer's state: only reachable under the lock.
    struct Writer {
        var db: (any SQLDatabase)?
        /// How far the published graph has followed the file (nil for a store in memory, which no
        /// other connection can write to).
        var position: MLMDPosition?
    }

    /// What the follower has applied, readable without waiting for the writer.
    struct FollowState {
        var position: MLMDPosition?
        /// Catch-up rounds begun, and the number of the latest one completed (rounds run one at a
        /// time, under the writer's lock).
        var started = 0
        var round = 0
        /// When the latest completed round began, and when one last found something new.
        var appliedAt: Int64 = 0
        var changedAt: Int64 = 0
        var lastError: (at: Int64, message: String)?
    }

    let writer: Mutex<Writer>
    let published: Mutex<GraphSnapshot>
    let followState: Mutex<FollowState>
    public let path: String
    /// The database engine: "SQLite", "MySQL" or "PostgreSQL" ("memory" for a store in memory).
    public let engine: String
    public let isReadOnly: Bool
    /// Whether open read the edge tables on a second connection alongside the nodes (see `load`).
    package let loadedEdgesAlongside: Bool

    /// Opens (or creates) the store at `path`. The file is validated before anything is written.
    public convenience init(path: String, mode: OpenMode = .create) throws {
        try self.init(path: path, mode: mode, edgesAlongsideFrom: Self.edgesAlongsideThreshold)
    }

    /// `edgesAlongsideFrom`: read the edges on a second connection when the store has at least
    /// this many events (nil: never).
    package init(path: String, mode: OpenMode, edgesAlongsideFrom threshold: Int64?) throws {
        let fileMode: MLMDFile.OpenMode =
            switch mode {
            case .readOnly: .readOnly
            case .readWrite: .readWrite
            case .create: .create
            }
        let location = try DatabaseLocation(path)
        let db: any SQLDatabase
        let graph: GraphSnapshot
        let position: MLMDPosition
        do {
            db = try MLMDDatabase.open(location, mode: fileMode)
            (graph, loadedEdgesAlongside, position) = try Self.load(db, path: path, edgesAlongsideFrom: threshold)
        } catch let error as DatabaseError {
            throw MLMDDatabase.translate(error, location: location.description)
        }
        self.path = location.description
        engine = path == ":memory:" ? "memory" : db.engine.rawValue
        isReadOnly = mode == .readOnly
        let followed = path == ":memory:" ? nil : position
        writer = Mutex(Writer(db: db, position: followed))
        followState = Mutex(FollowState(position: followed, appliedAt: position.readTime, changedAt: position.readTime))
        if Self.checksInvariants { graph._checkInvariants() }
        published = Mutex(graph)
    }

    /// A new, empty store that lives in memory only.
    public static func inMemory() throws -> MetadataStore { try MetadataStore(path: ":memory:") }

    /// Reads the whole store into a graph, in one read transaction. On a file with enough edges
    /// to be worth it, the edge tables are read on a second connection (its own thread) while
    /// this one reads the nodes; the edges resolve their ends by id arithmetic, which holds when
    /// each node table's ids run densely (checked against the nodes read), and both transactions
    /// must see the same edges (checked by fingerprint). Otherwise the edges are read here after
    /// the nodes.
    /// The position returned is that of the same read (see `follow`).
    private static func load(
        _ db: any SQLDatabase, path: String, edgesAlongsideFrom threshold: Int64?
    ) throws -> (GraphSnapshot, alongside: Bool, position: MLMDPosition) {
        let tables = MLMDTables(db)
        let readTime = now()
        try db.beginRead()
        defer { try? db.commit() }
        let horizon = try tables.horizon(now: readTime)
        let fingerprint = try tables.edgeFingerprint()
        var builder = GraphSnapshot.Builder()
        func finish(edges: EdgeLoader? = nil) throws -> (GraphSnapshot, alongside: Bool, position: MLMDPosition) {
            let graph = edges.map { builder.finish(edges: $0) } ?? builder.finish()
            return (graph, edges != nil, try tables.position(afterLoading: graph.heldIDs(), horizon: horizon, readTime: readTime))
        }
        guard db is SQLiteConnection, path != ":memory:", let threshold, fingerprint[0] >= threshold else {
            try tables.load(into: &builder)
            return try finish()
        }
        let ranges = (
            artifacts: try tables.denseRange("Artifact"), executions: try tables.denseRange("Execution"),
            contexts: try tables.denseRange("Context"))
        let alongside = EdgeReader(path: path, ranges: ranges, fingerprint: fingerprint)
        let nodes = Result {
            try tables.loadNodes(into: &builder)
            builder.indexNodes()  // while the edges may still be loading
        }
        let edges = alongside.wait()
        try nodes.get()
        if let edges, builder.matches(artifacts: ranges.artifacts, executions: ranges.executions, contexts: ranges.contexts) {
            return try finish(edges: edges)
        }
        try tables.loadEdges(into: &builder)
        return try finish()
    }

    /// Below this many events a second connection is not worth opening.
    static let edgesAlongsideThreshold: Int64 = 200_000

    /// Reads the edge tables on a connection and thread of its own (see `load`).
    private final class EdgeReader: Sendable {
        typealias Range = (first: Int64, count: Int)?
        private let result = Mutex<EdgeLoader?>(nil)
        private let done = DispatchSemaphore(value: 0)

        init(path: String, ranges: (artifacts: Range, executions: Range, contexts: Range), fingerprint: [Int64]) {
            let thread = Thread { [self] in
                defer { done.signal() }
                // Any failure here leaves the edges to the main connection, which reports it.
                guard let db = try? SQLiteConnection(path: path, mode: .readOnly) else { return }
                defer { db.close() }
                let tables = MLMDTables(db)
                guard (try? db.execute("BEGIN")) != nil, (try? tables.edgeFingerprint()) == fingerprint else { return }
                func map(_ range: Range) -> (SlotMap, count: Int) {
                    range.map { (.dense(first: $0.first, count: $0.count), $0.count) } ?? (.dense(first: 0, count: 0), 0)
                }
                var loader = EdgeLoader(artifacts: map(ranges.artifacts), executions: map(ranges.executions), contexts: map(ranges.contexts))
                guard (try? tables.loadEdges(into: &loader)) != nil else { return }
                try? db.execute("COMMIT")
                loader.finish()
                result.withLock { $0 = loader }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }

        /// The edges, finished, or nil if they could not be read alongside.
        func wait() -> EdgeLoader? {
            done.wait()
            return result.withLock { $0.take() }
        }
    }

    /// The current snapshot: an immutable view that stays valid while later writes publish new ones.
    public var snapshot: GraphSnapshot { published.withLock { $0 } }

    /// Closes the database; later writes fail. Readers keep their snapshots.
    public func close() {
        writer.withLock { w in
            w.db?.close()
            w.db = nil
        }
    }

    /// Milliseconds since the epoch, as MLMD timestamps are.
    static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// Runs `body` as one transaction against a copy of the current graph; publishes the copy
    /// only if the transaction commits.
    ///
    /// First, inside the transaction (which holds SQLite's write lock, so nothing else can commit
    /// until it ends), the graph catches up with what other connections committed (`follow`): a
    /// write never publishes a snapshot that lacks someone else's commit, and never decides on a
    /// stale graph. What it caught up is published even when `body` throws.
    func write<T: Sendable>(_ body: (inout WriteContext) throws -> T) throws -> T {
        try writer.withLock { (w: inout Writer) throws -> T in
            guard !isReadOnly else { throw MetadataError.failedPrecondition("\(path) is open read-only") }
            guard let db = w.db else { throw MetadataError.failedPrecondition("the store is closed") }
            var base = published.withLock { $0 }
            var round: Round?
            var context: WriteContext?
            let result: T
            do {
                result = try db.transaction { () throws -> T in
                    let (graph, r) = try catchUpRound(&w, db: db, graph: base)
                    round = r
                    if let graph { base = graph }
                    context = WriteContext(tables: MLMDTables(db), graph: base, now: Self.now())
                    return try body(&context!)
                }
            } catch {
                // What the round read was committed by others: it stands even though this write failed.
                if round?.changed == true { publish(base) }
                record(round, position: w.position)
                if let error = error as? DatabaseError { throw Self.translate(error, location: path) }
                throw error
            }
            if let entry = context!.purged {
                // Rows went: the graph is read again, as of after the commit (a purge is rare and
                // large; removing nodes from the graph in place is not worth its complexity).
                let (graph, _, position) = try Self.load(db, path: path, edgesAlongsideFrom: nil)
                if w.position != nil { w.position = position }
                publish(graph)
                record(round, position: w.position)
                Self.receipt?.record(CommitToken(.deletion(entry)))
                return result
            }
            let next = context!.graph
            let written = next.heldIDs(since: base)
            if var position = w.position {
                // Past this write's own rows, so that the next round does not read them again.
                for table in MLMDIDTable.allCases { position.observe(table, ids: written[table.rawValue]) }
                w.position = position
            }
            publish(next)
            record(round, position: w.position)
            Self.receipt?.record(CommitToken(written: written, updated: context!.updated))
            return result
        }
    }

    /// Publishes `graph` as the next snapshot (checking its invariants first when the environment
    /// asks, as the test suite does: `PEDIGREE_CHECK_INVARIANTS=1`).
    func publish(_ graph: GraphSnapshot) {
        if Self.checksInvariants { graph._checkInvariants() }
        var next = graph
        published.withLock {
            next.generation = $0.generation &+ 1
            $0 = next
        }
    }

    /// Whether every published snapshot is checked (O(size) each: for tests).
    static let checksInvariants = ProcessInfo.processInfo.environment["PEDIGREE_CHECK_INVARIANTS"] == "1"

    /// Maps an SQLite failure to MLMD's status codes.
    /// `location`: the store's, when the caller knows it (the engine's name otherwise).
    static func translate(_ error: DatabaseError, location: String? = nil) -> MetadataError {
        if error.engine == .sqlite, error.kind == .other { return .internal(error.description) }
        return MLMDDatabase.translate(error, location: location ?? (error.engine == .sqlite ? "the database" : error.engine.rawValue))
    }

    /// Re-reads the whole database and compares it with the live graph: the `check` command.
    public func check() throws -> CheckReport {
        try writer.withLock { (w: inout Writer) throws -> CheckReport in
            guard let db = w.db else { throw MetadataError.failedPrecondition("the store is closed") }
            // One read transaction: the graph first catches up with what other connections
            // committed, then is compared with the file as of that same commit.
            try db.beginRead()
            defer { try? db.commit() }
            let (graph, round) = try catchUpRound(&w, db: db, graph: published.withLock { $0 })
            if let graph { publish(graph) }
            record(round, position: w.position)
            var report = CheckReport()
            if let file = db as? SQLiteConnection { report.problems += try file.integrityProblems().map { "SQLite integrity: \($0)" } }
            report.warnings += try Self.danglingReferences(db)
            // One connection, no id arithmetic: an independent reading of the file.
            var builder = GraphSnapshot.Builder()
            try MLMDTables(db).load(into: &builder)
            let fresh = builder.finish()
            report.problems += GraphComparison.differences(published.withLock { $0 }, fresh)
            report.counts = StoreCounts(published.withLock { $0 })
            return report
        }
    }

    private static func danglingReferences(_ db: any SQLDatabase) throws -> [String] {
        let checks: [(String, String)] = [
            ("events with a missing artifact", "SELECT count(*) FROM Event WHERE artifact_id NOT IN (SELECT id FROM Artifact)"),
            ("events with a missing execution", "SELECT count(*) FROM Event WHERE execution_id NOT IN (SELECT id FROM Execution)"),
            ("event path steps of missing events", "SELECT count(*) FROM EventPath WHERE event_id NOT IN (SELECT id FROM Event)"),
            ("attributions with a missing end", "SELECT count(*) FROM Attribution WHERE context_id NOT IN (SELECT id FROM Context) OR artifact_id NOT IN (SELECT id FROM Artifact)"),
            ("associations with a missing end", "SELECT count(*) FROM Association WHERE context_id NOT IN (SELECT id FROM Context) OR execution_id NOT IN (SELECT id FROM Execution)"),
            ("parent context links with a missing end", "SELECT count(*) FROM ParentContext WHERE context_id NOT IN (SELECT id FROM Context) OR parent_context_id NOT IN (SELECT id FROM Context)"),
            ("nodes of a missing type", "SELECT (SELECT count(*) FROM Artifact WHERE type_id NOT IN (SELECT id FROM Type WHERE type_kind = 1)) + (SELECT count(*) FROM Execution WHERE type_id NOT IN (SELECT id FROM Type WHERE type_kind = 0)) + (SELECT count(*) FROM Context WHERE type_id NOT IN (SELECT id FROM Type WHERE type_kind = 2))"),
        ]
        var problems: [String] = []
        for (what, sql) in checks {
            let n = try db.scalar(sql)?.int64 ?? 0
            if n > 0 { problems.append("\(n) \(what)") }
        }
        return problems
    }
}

/// What `check` found.
public struct CheckReport: Sendable {
    public var problems: [String] = []
    /// Rows that refer to missing nodes: MLMD itself writes some (an event-only pair in put_execution).
    public var warnings: [String] = []
    public var counts = StoreCounts()
    public var isHealthy: Bool { problems.isEmpty }
}

/// The state of one write: the tables to write to and the next graph, updated as rows are written.
struct WriteContext {
    let tables: MLMDTables
    var graph: GraphSnapshot
    let now: Int64
    /// A node this write updated (the latest), for its commit token.
    var updated: (kind: NodeKind, id: Int64, stamp: Int64)?
    /// Edges of a bulk write, added to the graph together at its end.
    var pendingEvents: [(rowID: Int64, event: Event)] = []
    var pendingAttributions: [(rowID: Int64, attribution: Attribution)] = []
    var pendingAssociations: [(rowID: Int64, association: Association)] = []
    /// Set by a purge to its deletion log entry: the graph is read again after the commit.
    var purged: Int64?

    init(tables: MLMDTables, graph: GraphSnapshot, now: Int64) {
        self.tables = tables
        self.graph = graph
        self.now = now
    }
}
