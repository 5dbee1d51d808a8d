package import PedigreeModel

/// The tables whose rows carry an id of their own: the three node tables and three edge tables.
/// (ParentContext has no id; EventPath rows belong to their event.)
package enum MLMDIDTable: Int, CaseIterable, Sendable {
    case artifact, execution, context, event, attribution, association

    package var name: String {
        switch self {
        case .artifact: "Artifact"
        case .execution: "Execution"
        case .context: "Context"
        case .event: "Event"
        case .attribution: "Attribution"
        case .association: "Association"
        }
    }
}

/// How a follower tells which writing transactions may still commit.
///
/// A transaction takes its ids when it inserts and stamps `last_update_time_since_epoch` when it
/// writes, but others see both only when it commits, which can be long after: so a follower cannot
/// take "every id up to the highest one I have read" or "every update up to my last read" as done.
/// Each read takes a mark first and learns the oldest open transaction, as numbers that compare:
/// - PostgreSQL: transaction ids (`pg_current_snapshot()`: the next id, and the oldest still running);
/// - MySQL/MariaDB: the server's clock (`INNODB_TRX`: when the oldest open transaction started),
///   when the user may read it (PROCESS privilege);
/// - otherwise (SQLite, where writers take turns; MySQL without the privilege): the local clock, and
///   the assumption that no writing transaction stays open longer than `assumedLongest`.
package struct TransactionHorizon: Sendable, Equatable {
    package enum Source: Sendable, Equatable {
        case transactionIDs, serverClock, localClock
    }

    package var source: Source
    /// Taken when the read began.
    package var mark: Int64
    /// Every transaction that began writing before a mark at or below this one has ended.
    package var oldestOpen: Int64

    package init(source: Source, mark: Int64, oldestOpen: Int64) {
        self.source = source
        self.mark = mark
        self.oldestOpen = oldestOpen
    }
}

/// Ids below a table's highest that were missing when it was read: rows of transactions that were
/// still open (they may commit later) or that rolled back (they never will). A follower reads them
/// again on every catch-up until they appear or until every transaction that could have taken them
/// has ended.
package struct IDGap: Sendable, Equatable {
    package var first: Int64
    package var last: Int64
    /// The mark of the first read after the one that found the gap (nil until that read): once the
    /// oldest open transaction is at or past it, whoever took these ids has ended.
    package var settledAt: Int64?
}

/// How far a reader has followed an MLMD database: the highest id of each table and the ids below it
/// still to come, the marks of its recent reads (to tell how far back an open transaction's updates
/// can be stamped), and SQLite's `data_version`.
package struct MLMDPosition: Sendable, Equatable {
    /// `PRAGMA data_version` inside the read that reached this position (SQLite: it changes when
    /// another connection commits).
    package var dataVersion: Int64 = 0
    /// By `MLMDIDTable`.
    package var highest: [Int64] = Array(repeating: 0, count: MLMDIDTable.allCases.count)
    package var gaps: [[IDGap]] = Array(repeating: [], count: MLMDIDTable.allCases.count)
    /// The latest purge in the deletion log read (`MLMDTables.deletionLog`; 0: none), and
    /// whether the log was there (once it is, it is not looked for again).
    package var deletions: Int64 = 0
    package var hasDeletionLog = false
    /// The horizon of the latest read.
    package var horizon: TransactionHorizon
    /// Recent reads: when each began (local milliseconds) and its mark, oldest first.
    package var history: [Read] = []

    package struct Read: Sendable, Equatable {
        package var time: Int64
        package var mark: Int64
    }

    /// The longest a writing transaction is assumed to stay open when the database cannot tell
    /// (`TransactionHorizon.Source.localClock`), and how far before a transaction's start its
    /// stamps may lie (the writers' clocks against this machine's), in milliseconds.
    package static let assumedLongest: Int64 = 10_000
    package static let clockSkew: Int64 = 2_000

    package init(horizon: TransactionHorizon, readTime: Int64) {
        self.horizon = horizon
        history = [Read(time: readTime, mark: horizon.mark)]
    }

    /// When the latest read began (local milliseconds).
    package var readTime: Int64 { history.last?.time ?? 0 }

    /// Whether every row with this id, of this table, that has committed is held.
    package func holds(_ table: MLMDIDTable, id: Int64) -> Bool {
        id <= highest[table.rawValue] && !gaps[table.rawValue].contains { $0.first <= id && id <= $0.last }
    }

    package var gapCount: Int { gaps.reduce(0) { $0 + $1.reduce(0) { $0 + Int($1.last - $1.first + 1) } } }

    /// The earliest `last_update_time_since_epoch` that an update not yet read could carry: the
    /// start of the latest read taken before the oldest transaction open at the previous read began
    /// writing, less the clock skew allowed.
    package var updateWindowStart: Int64 {
        let oldest = horizon.oldestOpen
        let began = history.last(where: { $0.mark <= oldest })?.time ?? ((history.first?.time ?? 0) - Self.assumedLongest)
        return min(began, readTime) - Self.clockSkew
    }

    /// Moves past ids that were read (`ids` of `table`, in any order): raises the highest, records
    /// the ids skipped on the way as gaps, and fills the gaps they were in.
    package mutating func observe(_ table: MLMDIDTable, ids: some Sequence<Int64>) {
        let t = table.rawValue
        var above: [Int64] = []
        var filled: [Int64] = []
        for id in ids {
            if id > highest[t] { above.append(id) } else { filled.append(id) }
        }
        if !filled.isEmpty, !gaps[t].isEmpty {
            filled.sort()
            var remaining: [IDGap] = []
            for gap in gaps[t] {
                var start = gap.first
                let lo = filled.partitionPoint { $0 < gap.first }
                for id in filled[lo...] {
                    if id > gap.last { break }
                    if id > start { remaining.append(IDGap(first: start, last: id - 1, settledAt: gap.settledAt)) }
                    start = id + 1
                }
                if start <= gap.last { remaining.append(IDGap(first: start, last: gap.last, settledAt: gap.settledAt)) }
            }
            gaps[t] = remaining
        }
        if !above.isEmpty {
            above.sort()
            var previous = highest[t]
            for id in above where id > previous {
                if id > previous + 1 { gaps[t].append(IDGap(first: previous + 1, last: id - 1, settledAt: nil)) }
                previous = id
            }
            highest[t] = previous
        }
        // (Filling a coarse range splits it into the holes it covered: coarsen again.)
        if gaps[t].count > Self.maxGapRanges { gaps[t] = Self.coarsen(gaps[t]) }
    }

    /// Gap ranges one table keeps apart; more are merged (reading a few present rows again costs
    /// less than a long list of ranges in every query).
    static let maxGapRanges = 256

    /// Merges the ranges closest together until at most half the limit remain; a merged range keeps
    /// the later settling mark.
    static func coarsen(_ gaps: [IDGap]) -> [IDGap] {
        var merged = gaps.sorted { $0.first < $1.first }
        while merged.count > maxGapRanges / 2 {
            let spacings = zip(merged, merged.dropFirst()).map { $1.first - $0.last }
            let cut = spacings.sorted()[merged.count - 1 - maxGapRanges / 2]
            var next: [IDGap] = []
            for gap in merged {
                if let last = next.last, gap.first - last.last <= cut {
                    let settled: Int64? = if let a = last.settledAt, let b = gap.settledAt { max(a, b) } else { nil }
                    next[next.count - 1] = IDGap(first: last.first, last: gap.last, settledAt: settled)
                } else {
                    next.append(gap)
                }
            }
            merged = next
        }
        return merged
    }

    /// After a read with `horizon` (taken before it) that included every gap: gaps found earlier
    /// get their settling mark, gaps whose takers have all ended are dropped, and the read joins the
    /// history (kept back to the latest read before the oldest open transaction began).
    package mutating func finishRead(horizon: TransactionHorizon, readTime: Int64) {
        for t in gaps.indices {
            gaps[t] = gaps[t].compactMap { gap in
                guard let settledAt = gap.settledAt else { return IDGap(first: gap.first, last: gap.last, settledAt: horizon.mark) }
                return settledAt <= horizon.oldestOpen ? nil : gap
            }
        }
        self.horizon = horizon
        history.append(Read(time: readTime, mark: horizon.mark))
        if let keep = history.lastIndex(where: { $0.mark <= horizon.oldestOpen }), keep > 0 { history.removeFirst(keep) }
        if history.count > 4096 {
            // Thin out the middle: a lookup then finds an earlier read, which is still sound.
            history = history.enumerated().filter { $0.offset % 2 == 0 || $0.offset == history.count - 1 }.map(\.element)
        }
    }
}

extension Array {
    /// The first index whose element does not satisfy `predicate` (the array partitioned by it).
    fileprivate func partitionPoint(_ predicate: (Element) -> Bool) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if predicate(self[mid]) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// What a database holds beyond a position: every type as stored now; the nodes inserted since
/// (above the highest ids or in the gaps) or updated within the window, with all their
/// properties; the edges inserted since; and every parent-context link when their number differs
/// from what the reader holds (the table has no id of its own).
package struct MLMDChanges: Sendable {
    package var types: [(id: TypeID, type: NodeType)] = []
    package var artifacts: [(id: ArtifactID, node: Artifact)] = []
    package var executions: [(id: ExecutionID, node: Execution)] = []
    package var contexts: [(id: ContextID, node: Context)] = []
    package var events: [(rowID: Int64, event: Event)] = []
    package var attributions: [(rowID: Int64, attribution: Attribution)] = []
    package var associations: [(rowID: Int64, association: Association)] = []
    /// nil when the table holds as many links as the reader; otherwise the whole table.
    package var parentContexts: [ParentContext]?
    /// Whether rows were deleted (the deletion log grew): only a full reload is sound then.
    package var deleted = false
    /// The position these changes bring the reader to.
    package var position: MLMDPosition
}
