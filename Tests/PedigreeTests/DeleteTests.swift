import Foundation
import Testing

@testable import Pedigree
import PedigreeFixtures
import PedigreeModel
@_spi(Engine) import PedigreeGraph
@testable import PedigreeStore

/// `delete`: the dry run's report against counts taken from the file with SQL and a plain walk of
/// its Event table, the token check, tombstones, purges, protection and the deletion log.
@Suite struct DeleteTests {
    /// A store on a new file: the demo pipeline (4 runs) or the tfx workload.
    static func store(_ shape: String) throws -> (MetadataStore, String) {
        let path = temporaryStorePath()
        let store = try MetadataStore(path: path)
        if shape == "demo" {
            try DemoPipeline.write(into: store)
        } else {
            try store.insert(SyntheticStore.tfx(executions: 3_000, seed: 11))
        }
        return (store, path)
    }

    /// Queries whose answers are deleted, per store: a run's data, a type, a subgraph.
    static let cases: [(shape: String, query: String)] = [
        ("demo", "artifact(type = 'Examples') in context(name = 'chicago-taxi-run-1')"),
        ("demo", "execution(type = 'Trainer')"),
        ("demo", "artifact(type = 'Schema') in context(name = 'chicago-taxi-run-1') downstream{,2} return subgraph"),
        ("tfx", "artifact(type = 'Examples') in context(name = 'pipeline-0-run-3')"),
        ("tfx", "execution() in context(name = 'pipeline-0-run-2')"),
        ("tfx", "artifact(type = 'Model') limit 40"),
    ]

    /// What SQL and a walk of the Event table say deleting `ids` would do.
    struct Independent: Equatable {
        var nodes = 0, events = 0, pathSteps = 0, attributions = 0, associations = 0, parentContexts = 0
        var losingProvenance = 0, withoutProducer = 0

        init(path: String, artifacts: [Int64], executions: [Int64], contexts: [Int64]) throws {
            let db = try SQLiteConnection(path: path, mode: .readOnly)
            defer { db.close() }
            func list(_ ids: [Int64]) -> String { ids.isEmpty ? "NULL" : ids.map(String.init).joined(separator: ",") }
            func count(_ sql: String) throws -> Int { Int(try db.scalar(sql)?.int64 ?? -1) }
            let (a, e, c) = (list(artifacts), list(executions), list(contexts))
            nodes = artifacts.count + executions.count + contexts.count
            events = try count("SELECT count(*) FROM Event WHERE artifact_id IN (\(a)) OR execution_id IN (\(e))")
            pathSteps = try count(
                "SELECT count(*) FROM EventPath WHERE event_id IN (SELECT id FROM Event WHERE artifact_id IN (\(a)) OR execution_id IN (\(e)))")
            attributions = try count("SELECT count(*) FROM Attribution WHERE artifact_id IN (\(a)) OR context_id IN (\(c))")
            associations = try count("SELECT count(*) FROM Association WHERE execution_id IN (\(e)) OR context_id IN (\(c))")
            parentContexts = try count("SELECT count(*) FROM ParentContext WHERE context_id IN (\(c)) OR parent_context_id IN (\(c))")

            // Downstream: artifact -(input)-> execution -(output)-> artifact, from the deleted nodes.
            var readers: [Int64: [Int64]] = [:], outputs: [Int64: [Int64]] = [:], producers: [Int64: [Int64]] = [:]
            try db.query("SELECT artifact_id, execution_id, type FROM Event") { (row: borrowing Row) in
                let (artifact, execution, type) = (row.int64(0), row.int64(1), row.int64(2))
                if [2, 3, 5].contains(type) { readers[artifact, default: []].append(execution) }
                if [1, 4, 6, 7].contains(type) {
                    outputs[execution, default: []].append(artifact)
                    producers[artifact, default: []].append(execution)
                }
            }
            let deletedArtifacts = Set(artifacts), deletedExecutions = Set(executions)
            var seenA = deletedArtifacts, seenE = deletedExecutions
            var frontierA = artifacts, frontierE = executions
            while !frontierA.isEmpty || !frontierE.isEmpty {
                for x in frontierA.flatMap({ readers[$0] ?? [] }) where seenE.insert(x).inserted { frontierE.append(x) }
                frontierA = []
                for y in frontierE.flatMap({ outputs[$0] ?? [] }) where seenA.insert(y).inserted { frontierA.append(y) }
                frontierE = []
            }
            let losingArtifacts = seenA.subtracting(deletedArtifacts)
            losingProvenance = losingArtifacts.count + seenE.subtracting(deletedExecutions).count
            withoutProducer = losingArtifacts.count(where: { a in
                let p = producers[a] ?? []
                return !p.isEmpty && p.allSatisfy { deletedExecutions.contains($0) }
            })
        }

        init(_ impact: DeleteImpact) {
            nodes = impact.deleted.count
            events = impact.events
            pathSteps = impact.eventPathSteps
            attributions = impact.attributions
            associations = impact.associations
            parentContexts = impact.parentContexts
            losingProvenance = impact.losingProvenance.count
            withoutProducer = impact.withoutProducer.count
        }
    }

    /// The ids a query's answer names, by kind (nodes, or a subgraph's artifacts and executions).
    static func ids(_ store: MetadataStore, _ query: String) throws -> (artifacts: [Int64], executions: [Int64]) {
        let graph = store.snapshot
        let result = try graph.query(query)
        var refs: [NodeRef] = []
        switch result.rows {
        case .nodes(let rows): refs = rows.map(\.node)
        case .subgraph(let s): refs = s.artifacts.map { NodeRef(.artifact, $0) } + s.executions.map { NodeRef(.execution, $0) }
        default: Issue.record("unexpected answer to \(query)")
        }
        return (refs.filter { $0.kind == .artifact }.map { graph.id(of: $0) }.sorted(),
                refs.filter { $0.kind == .execution }.map { graph.id(of: $0) }.sorted())
    }

    /// Rows per table, straight from the file.
    static func tableCounts(_ path: String) throws -> [String: Int64] {
        let db = try SQLiteConnection(path: path, mode: .readOnly)
        defer { db.close() }
        var counts: [String: Int64] = [:]
        for table in [
            "Artifact", "Execution", "Context", "Event", "EventPath", "Attribution", "Association", "ParentContext", "ArtifactProperty",
            "ExecutionProperty", "ContextProperty",
        ] {
            counts[table] = try db.scalar("SELECT count(*) FROM \(table)")?.int64
        }
        return counts
    }

    /// Each artifact's stored state (-1 for NULL).
    static func states(_ path: String) throws -> [Int64: Int64] {
        let db = try SQLiteConnection(path: path, mode: .readOnly)
        defer { db.close() }
        var states: [Int64: Int64] = [:]
        try db.query("SELECT id, COALESCE(state, -1) FROM Artifact") { (row: borrowing Row) in states[row.int64(0)] = row.int64(1) }
        return states
    }

    @Test(arguments: 0..<cases.count)
    func dryRunCountsEqualAnIndependentCount(_ i: Int) throws {
        let (shape, query) = Self.cases[i]
        let (store, path) = try Self.store(shape)
        let ids = try Self.ids(store, query)
        #expect(!ids.artifacts.isEmpty || !ids.executions.isEmpty, "\(query) selects nothing")
        let before = try Self.tableCounts(path)
        let impact = try store.deletionImpact(of: .query(query), options: DeleteOptions(mode: .purge))
        #expect(try Self.tableCounts(path) == before, "a dry run wrote")
        let expected = try Independent(path: path, artifacts: ids.artifacts, executions: ids.executions, contexts: [])
        #expect(Independent(impact) == expected, "\(query)")
        #expect(impact.deleted.count(of: .artifact) == ids.artifacts.count)
        #expect(impact.deleted.groups.reduce(0) { $0 + $1.count } == impact.deleted.count)
        #expect(impact.token.hasPrefix("d1-") && impact.token.count == 35)
        // The same question asked twice has the same token; another mode, another one.
        #expect(try store.deletionImpact(of: .query(query), options: DeleteOptions(mode: .purge)).token == impact.token)
        #expect(try store.deletionImpact(of: .query(query)).token != impact.token)

        // The purge removes exactly what the dry run counted, and the file stays whole.
        let applied = try store.delete(.query(query), options: DeleteOptions(mode: .purge, force: true), token: impact.token)
        #expect(applied.applied && applied.logEntry == 1)
        let after = try Self.tableCounts(path)
        #expect(before["Artifact"]! - after["Artifact"]! == Int64(ids.artifacts.count))
        #expect(before["Execution"]! - after["Execution"]! == Int64(ids.executions.count))
        #expect(before["Event"]! - after["Event"]! == Int64(expected.events))
        #expect(before["EventPath"]! - after["EventPath"]! == Int64(expected.pathSteps))
        #expect(before["Attribution"]! - after["Attribution"]! == Int64(expected.attributions))
        #expect(before["Association"]! - after["Association"]! == Int64(expected.associations))
        #expect(try store.check().isHealthy)
        #expect(try store.check().warnings.isEmpty, "a purge left dangling rows")
        let graph = store.snapshot
        for id in ids.artifacts { #expect(graph.node(ArtifactID(id), as: Artifact.self) == nil) }
        for id in ids.executions { #expect(graph.node(ExecutionID(id), as: Execution.self) == nil) }
        // A store opened afresh holds what the published graph holds.
        let reopened = try MetadataStore(path: path, mode: .readOnly)
        #expect(StoreCounts(reopened.snapshot) == StoreCounts(graph))
        // The query now finds nothing left to delete (a limited one finds the next ones).
        if !query.contains("limit") { #expect(try store.deletionImpact(of: .query(query)).deleted.count == 0) }
    }

    @Test func aStaleTokenIsRefusedAndNothingIsWritten() throws {
        let (store, path) = try Self.store("demo")
        let query = "artifact(type = 'Examples') in context(name = 'chicago-taxi-run-1')"
        let impact = try store.deletionImpact(of: .query(query), options: DeleteOptions(mode: .purge))
        // Another writer reads one of the artifacts: more would now lose provenance.
        let examples = try Self.ids(store, query).artifacts[0]
        let type = try store.putType(NodeType(kind: .execution, name: "Reader"))
        let reader = try store.putExecutions([Execution(typeID: type)])[0]
        try store.putEvents([Event(artifactID: ArtifactID(examples), executionID: reader, type: .input)])
        let before = try Self.tableCounts(path)
        let message = expectError(.failedPrecondition) {
            try store.delete(.query(query), options: DeleteOptions(mode: .purge, force: true), token: impact.token)
        }
        #expect(message.contains("nothing was deleted"))
        #expect(try Self.tableCounts(path) == before)
        #expect(try store.deletionLog().isEmpty)
        // A made-up token, too.
        expectError(.failedPrecondition) {
            try store.delete(.query(query), options: DeleteOptions(mode: .purge, force: true), token: "d1-00000000000000000000000000000000")
        }
        // The fresh dry run's token applies.
        let fresh = try store.deletionImpact(of: .query(query), options: DeleteOptions(mode: .purge, force: true))
        #expect(fresh.token != impact.token)
        #expect(fresh.losingProvenance.count == impact.losingProvenance.count + 1)
        try store.delete(.query(query), options: DeleteOptions(mode: .purge, force: true), token: fresh.token)
        #expect(try store.deletionLog().count == 1)
    }

    @Test func aTombstoneKeepsEveryRow() throws {
        let (store, path) = try Self.store("tfx")
        let query = "artifact(type = 'Examples') in context(name = 'pipeline-0-run-3')"
        let ids = try Self.ids(store, query).artifacts
        let before = try Self.tableCounts(path)
        let states = try Self.states(path)
        let impact = try store.deletionImpact(of: .query(query), options: DeleteOptions(tombstoneState: .deleted))
        #expect(impact.tombstoned == ids.count)
        let applied = try store.delete(.query(query), options: DeleteOptions(tombstoneState: .deleted, force: true), token: impact.token)
        #expect(applied.applied)
        #expect(try Self.tableCounts(path) == before, "a tombstone removed rows")
        for (id, state) in try Self.states(path) {
            #expect(state == (ids.contains(id) ? Int64(ArtifactState.deleted.rawValue) : states[id]), "artifact \(id)")
        }
        #expect(try store.check().isHealthy)
        // Tombstoned again, nothing changes state.
        #expect(try store.deletionImpact(of: .query(query), options: DeleteOptions(tombstoneState: .deleted)).tombstoned == 0)
        let log = try store.deletionLog()
        #expect(log.count == 1 && log[0].mode == "tombstone" && log[0].query == query && log[0].token == impact.token)
        #expect(log[0].counts.contains("\"tombstoned\":\(ids.count)"))
    }

    @Test func aTombstoneNeverRevivesADeletedArtifact() throws {
        let (store, path) = try Self.store("demo")
        let query = "artifact(type = 'Examples') in context(name = 'chicago-taxi-run-1')"
        let before = try Self.states(path)
        let impact = try store.deletionImpact(of: .query(query))
        #expect(impact.deleted.groups.contains { $0.state == "DELETED" }, "the demo's run 1 has a DELETED Examples")
        try store.delete(.query(query), options: DeleteOptions(force: true), token: impact.token)
        let after = try Self.states(path)
        for (id, state) in before where state == Int64(ArtifactState.deleted.rawValue) { #expect(after[id] == state) }
        let changed = after.filter { before[$0.key] != $0.value }
        #expect(impact.tombstoned == changed.count && changed.count > 0)
        #expect(changed.values.allSatisfy { $0 == Int64(ArtifactState.markedForDeletion.rawValue) })
    }

    @Test func protectedModelsAreRefusedUnlessForced() throws {
        let (store, path) = try Self.store("demo")
        let query = "artifact(type = 'Examples') in context(name = 'chicago-taxi-run-1')"
        let impact = try store.deletionImpact(of: .query(query))
        #expect(impact.protectedAtRisk.count > 0)
        #expect(Set(impact.protectedAtRisk.groups.map(\.type)).isSubset(of: ["Model", "PushedModel"]))
        #expect(impact.protectedAtRisk.groups.allSatisfy { $0.state == "LIVE" })
        let before = try Self.tableCounts(path)
        let message = expectError(.failedPrecondition) { try store.delete(.query(query), token: impact.token) }
        #expect(message.contains("--force"))
        #expect(try Self.tableCounts(path) == before)
        // Protecting another type only: the models are not at risk, and the delete goes ahead.
        let other = DeleteOptions(protectedTypes: ["ModelBlessing"])
        let narrower = try store.deletionImpact(of: .query(query), options: other)
        #expect(narrower.protectedAtRisk.groups.allSatisfy { $0.type == "ModelBlessing" })
        if narrower.protectedAtRisk.count == 0 { try store.delete(.query(query), options: other, token: narrower.token) }
        // Deleting a LIVE model itself is refused too.
        let models = try store.deletionImpact(of: .query("artifact(type = 'Model' and state = LIVE) limit 1"))
        #expect(models.protectedAtRisk.count >= 1)
    }

    @Test func queriesThatNameNoNodesAreRefused() throws {
        let (store, _) = try Self.store("demo")
        expectError(.invalidArgument) { _ = try store.deletionImpact(of: .query("artifact(type = 'Model') return count")) }
        expectError(.invalidArgument) { _ = try store.deletionImpact(of: .query("explain artifact(type = 'Model')")) }
        #expect(throws: QueryError.self) { _ = try store.deletionImpact(of: .query("artifact(type = ")) }
    }

    @Test func aFollowerOfTheFileSeesThePurge() throws {
        let (store, path) = try Self.store("demo")
        let follower = try MetadataStore(path: path, mode: .readOnly)
        let query = "execution(type = 'Trainer')"
        let impact = try store.deletionImpact(of: .query(query), options: DeleteOptions(mode: .purge, force: true))
        try store.delete(.query(query), options: DeleteOptions(mode: .purge, force: true), token: impact.token)
        #expect(try follower.follow())
        #expect(StoreCounts(follower.snapshot) == StoreCounts(store.snapshot))
        #expect(try follower.deletionImpact(of: .query(query)).deleted.count == 0)
        #expect(try follower.check().isHealthy)
    }

    @Test func aCommitTokenOfAPurgeIsHeldOnceApplied() throws {
        let (store, _) = try Self.store("demo")
        let query = "execution(type = 'Pusher')"
        let impact = try store.deletionImpact(of: .query(query), options: DeleteOptions(mode: .purge, force: true))
        let receipt = WriteReceipt()
        try MetadataStore.$receipt.withValue(receipt) {
            try store.delete(.query(query), options: DeleteOptions(mode: .purge, force: true), token: impact.token)
        }
        let token = try #require(receipt.commitToken)
        #expect(token.description == "v1:deletion:1")
        #expect(CommitToken(token.description) == token)
    }

    // MARK: Retention policies

    @Test func keepTheLastRunsPerPipeline() throws {
        let (store, path) = try Self.store("demo")
        let policy = try RetentionPolicy(
            """
            # the two newest runs of the pipeline stay
            rule old-runs
              select node() in context(type = 'pipeline_run')
              keep last 2 runs of pipeline_run per pipeline
            """)
        let impact = try store.deletionImpact(of: .policy(policy), options: DeleteOptions(mode: .purge, force: true))
        // Independently: the members of runs 1 and 2 that are in neither run 3 nor run 4.
        let db = try SQLiteConnection(path: path, mode: .readOnly)
        var runOf: [String: Int64] = [:]
        try db.query("SELECT name, id FROM Context WHERE type_id = (SELECT id FROM Type WHERE name = 'pipeline_run')") {
            (row: borrowing Row) in runOf[row.string(0)!] = row.int64(1)
        }
        func members(_ table: String, _ column: String, _ runs: [String]) throws -> Set<Int64> {
            var ids = Set<Int64>()
            let list = runs.map { String(runOf[$0]!) }.joined(separator: ",")
            try db.query("SELECT \(column) FROM \(table) WHERE context_id IN (\(list))") { (row: borrowing Row) in ids.insert(row.int64(0)) }
            return ids
        }
        let old = ["chicago-taxi-run-1", "chicago-taxi-run-2"], new = ["chicago-taxi-run-3", "chicago-taxi-run-4"]
        let artifacts = try members("Attribution", "artifact_id", old).subtracting(members("Attribution", "artifact_id", new))
        let executions = try members("Association", "execution_id", old).subtracting(members("Association", "execution_id", new))
        db.close()
        #expect(impact.deleted.count(of: .artifact) == artifacts.count)
        #expect(impact.deleted.count(of: .execution) == executions.count)
        #expect(impact.deleted.count(of: .context) == 2, "runs 1 and 2 are emptied, so they go too")
        #expect(impact.rules.count == 1 && impact.rules[0].hasPrefix("rule old-runs:"))
        let expected = try Independent(
            path: path, artifacts: artifacts.sorted(), executions: executions.sorted(), contexts: old.map { runOf[$0]! })
        #expect(Independent(impact) == expected)
        try store.delete(.policy(policy), options: DeleteOptions(mode: .purge, force: true), token: impact.token)
        #expect(try store.check().isHealthy)
        #expect(try store.check().warnings.isEmpty)
        let after = try SQLiteConnection(path: path, mode: .readOnly)
        defer { after.close() }
        #expect(try after.scalar("SELECT count(*) FROM Context WHERE name IN ('chicago-taxi-run-1', 'chicago-taxi-run-2')")?.int64 == 0)
        #expect(try after.scalar("SELECT count(*) FROM Context WHERE name IN ('chicago-taxi-run-3', 'chicago-taxi-run-4')")?.int64 == 2)
        // Applied again, the policy finds the two runs left, and keeps them.
        #expect(try store.deletionImpact(of: .policy(policy)).deleted.count == 0)
    }

    @Test func keepTopPropertyValuesAndAge() throws {
        let (store, _) = try Self.store("tfx")
        let graph = store.snapshot
        // Examples carry a span: the two highest spans stay.
        let examples = try Self.ids(store, "artifact(type = 'Examples')").artifacts
        var spans: [Int64: Int64] = [:]
        for id in examples {
            if case .int(let span)? = graph.node(ArtifactID(id), as: Artifact.self)!.properties["span"] { spans[id] = span }
        }
        #expect(spans.count > 4, "the tfx shape's Examples have spans")
        let top = Set(Set(spans.values).sorted(by: >).prefix(2))
        let expected = spans.filter { !top.contains($0.value) }.count
        let policy = try RetentionPolicy("rule examples\n  select artifact(type = 'Examples')\n  keep top 2 by span\n")
        let impact = try store.deletionImpact(of: .policy(policy))
        #expect(impact.deleted.count == expected)
        // The tfx shape's nodes were created in 2023: all are older than 30 days, none older than 100 years.
        let old = try RetentionPolicy("rule a\n select artifact(type = 'Examples')\n older than 30d\nrule b\n select execution(type = 'Trainer')\n older than 5200w\n")
        let aged = try store.deletionImpact(of: .policy(old))
        #expect(aged.deleted.count == examples.count)
        #expect(aged.rules.count == 2 && aged.rules[1].contains(" 0 to delete"))
        // keep last N: the newest N Examples stay.
        let last = try store.deletionImpact(of: .policy(RetentionPolicy("rule e\n select artifact(type = 'Examples')\n keep last 5\n")))
        #expect(last.deleted.count == examples.count - 5)
    }

    @Test func malformedPoliciesNameTheLine() throws {
        let cases: [(String, String)] = [
            ("select artifact()", "line 1"),
            ("rule a\n  keep last x", "line 2"),
            ("rule a\n  select artifact()\n  older than 30 days", "line 3"),
            ("rule a\n  select artifact()\n  keep top 2 span", "line 3"),
            ("rule a\n  select artifact()\nrule b\n  keep last 2", "line 3"),
            ("rule a\n  select artifact()\n  frobnicate", "unknown directive"),
            ("# nothing", "no rules"),
            ("rule a\n select artifact()\nrule a\n select execution()", "two rules are named a"),
        ]
        for (text, expected) in cases {
            let message = expectError(.invalidArgument) { _ = try RetentionPolicy(text) }
            #expect(message.contains(expected), "\(text): \(message)")
        }
        let (store, _) = try Self.store("demo")
        let unknownType = try RetentionPolicy("rule a\n select node()\n keep last 1 runs of nosuchtype")
        expectError(.invalidArgument) { _ = try store.deletionImpact(of: .policy(unknownType)) }
        let badQuery = try RetentionPolicy("rule a\n select artifact(type = \n")
        expectError(.invalidArgument) { _ = try store.deletionImpact(of: .policy(badQuery)) }
        // A `#` inside a quoted string is not a comment.
        let hash = try RetentionPolicy("rule a\n select artifact(name = 'a#b')  # comment\n")
        #expect(hash.rules[0].query == "artifact(name = 'a#b')")
    }
}
