import Foundation
@testable import Pedigree
import Testing

/// Two stores on one file: what one commits, the other follows (`MetadataStore.follow`, and every
/// write first), and its graph then equals the file record by record (`check`).
@Suite struct FollowTests {
    /// The differences between two graphs, record by record (empty when equal).
    func differences(_ a: MetadataStore, _ b: MetadataStore) -> [String] {
        GraphComparison.differences(a.snapshot, b.snapshot)
    }

    func expectHealthy(_ store: MetadataStore, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let report = try store.check()
        #expect(report.problems.isEmpty, "\(report.problems)", sourceLocation: sourceLocation)
    }

    /// Runs the sqlite3 shell on `path` (a third connection, as another program would write).
    func sqlite(_ path: String, _ sql: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sqlite3", path, sql]
        let err = Pipe()
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        try #require(process.terminationStatus == 0, "sqlite3 failed: \(message)")
    }

    @Test func aSecondStoreFollowsWhatTheFirstCommits() throws {
        let path = temporaryStorePath()
        let fixture = try Fixture(path: path)
        let writer = fixture.store
        let follower = try MetadataStore(path: path)
        try expectHealthy(follower)
        let before = follower.snapshot.generation

        // Nodes, events with paths, contexts with memberships, a parent context.
        let pipeline = try writer.putContexts([Context(typeID: fixture.run, name: "pipeline")])[0]
        let result = try writer.putExecution(
            Execution(typeID: fixture.trainer, lastKnownState: .running, properties: ["epochs": .int(3)]),
            artifactsAndEvents: [
                .init(artifact: Artifact(typeID: fixture.dataset, name: "census", uri: "/data", properties: ["rows": .int(10)]),
                      event: Event(type: .input, path: [.key("examples"), .index(0)])),
                .init(artifact: Artifact(typeID: fixture.model, name: "model", customProperties: ["note": .string("x")]),
                      event: Event(type: .output)),
            ],
            contexts: [Context(typeID: fixture.run, name: "run-1")])
        try writer.putParentContexts([ParentContext(childID: result.contextIDs[0], parentID: pipeline)])
        #expect(follower.snapshot.artifacts.count == 0, "the follower saw the writes before following")
        #expect(follower.snapshot.generation == before)

        #expect(try follower.follow())
        #expect(differences(writer, follower).isEmpty, "\(differences(writer, follower))")
        let g = follower.snapshot
        #expect(g.artifacts.count == 2 && g.executions.count == 1 && g.contexts.count == 2)
        #expect(g.events.count == 2 && g.attributions.count == 2 && g.associations.count == 1 && g.parentContexts.count == 1)
        #expect(try g.contexts(execution: result.executionID).map(\.name) == ["run-1"])
        #expect(g.events(executionIDs: [result.executionID]).contains { $0.path == [.key("examples"), .index(0)] })
        try expectHealthy(follower)
        #expect(try follower.follow() == false, "nothing new, yet the follower applied something")

        // Updates: a state and a property of existing nodes, a renamed context, a type that gains a property.
        try writer.putExecutions([Execution(id: result.executionID, typeID: fixture.trainer, lastKnownState: .complete, properties: ["epochs": .int(4)])])
        try writer.putContexts([Context(id: pipeline, typeID: fixture.run, name: "pipeline-renamed", properties: ["note": .string("n")])])
        try writer.putType(NodeType(kind: .artifact, name: "Model", baseType: .model, properties: ["accuracy": .double, "loss": .double]), canAddFields: true)
        try writer.putArtifacts([Artifact(id: result.artifactIDs[1]!, typeID: fixture.model, name: "model", state: .live, properties: ["loss": .double(0.5)])])
        #expect(try follower.follow())
        #expect(differences(writer, follower).isEmpty, "\(differences(writer, follower))")
        #expect(follower.snapshot.execution(result.executionID)?.lastKnownState == .complete)
        #expect(follower.snapshot.contexts.index(typeID: fixture.run, name: "pipeline-renamed") != nil)
        #expect(follower.snapshot.contexts.index(typeID: fixture.run, name: "pipeline") == nil)
        try expectHealthy(follower)

        // And the other way: the follower writes, the first store follows.
        try follower.putArtifacts([Artifact(typeID: fixture.dataset, name: "from-the-follower")])
        #expect(try writer.follow())
        #expect(differences(writer, follower).isEmpty, "\(differences(writer, follower))")
        try expectHealthy(writer)
        try expectHealthy(follower)
    }

    @Test func aWriteCatchesUpBeforeItWrites() throws {
        let path = temporaryStorePath()
        let fixture = try Fixture(path: path)
        let other = try MetadataStore(path: path)
        let census = try fixture.store.putArtifacts([Artifact(typeID: fixture.dataset, name: "census")])[0]
        let trainer = try fixture.store.putExecutions([Execution(typeID: fixture.trainer)])[0]
        // Without following first, the other store's write sees the artifact and execution the
        // first one wrote (an event between them is refused when either is unknown) and publishes
        // them along with its own.
        try other.putEvents([Event(artifactID: census, executionID: trainer, type: .input)])
        #expect(other.snapshot.artifact(census)?.name == "census")
        #expect(other.snapshot.events.count == 1)
        // Its unique-name check sees them too.
        expectError(.alreadyExists) { try other.putArtifacts([Artifact(typeID: fixture.dataset, name: "census")]) }
        // A write that fails still publishes what it caught up.
        try fixture.store.putArtifacts([Artifact(typeID: fixture.dataset, name: "second")])
        expectError(.alreadyExists) { try other.putArtifacts([Artifact(typeID: fixture.dataset, name: "census")]) }
        #expect(other.snapshot.artifacts.index(typeID: fixture.dataset, name: "second") != nil)
        try expectHealthy(other)
        // The first store's write of "second" caught up with the other's event before it wrote.
        #expect(fixture.store.snapshot.events.count == 1)
        #expect(try fixture.store.follow() == false)
        #expect(differences(fixture.store, other).isEmpty, "\(differences(fixture.store, other))")
    }

    @Test func anUpdateStampedBeforeTheLastReadIsFoundWithinTheOverlap() throws {
        let path = temporaryStorePath()
        let fixture = try Fixture(path: path)
        let id = try fixture.store.putArtifacts([Artifact(typeID: fixture.dataset, name: "late", state: .pending)])[0]
        let follower = try MetadataStore(path: path)
        #expect(try follower.follow() == false)
        // A transaction that stamped its update a few seconds ago and commits only now (as a long
        // ml-metadata transaction does): its update time is before the follower's last read.
        let stamp = Int64(Date().timeIntervalSince1970 * 1000) - 5_000
        try sqlite(path, "UPDATE Artifact SET state = 2, last_update_time_since_epoch = \(stamp) WHERE id = \(id.rawValue)")
        #expect(try follower.follow())
        #expect(follower.snapshot.artifact(id)?.state == .live)
        try expectHealthy(follower)
    }

    @Test func rowsTheGraphKeepsApartMakeAFullReload() throws {
        let path = temporaryStorePath()
        let fixture = try Fixture(path: path)
        let id = try fixture.store.putArtifacts([Artifact(typeID: fixture.dataset, name: "a")])[0]
        let follower = try MetadataStore(path: path)
        // An event whose execution does not exist (ml-metadata writes such rows): a full load keeps
        // it apart from the graph, and so must following.
        try sqlite(path, "INSERT INTO Event (artifact_id, execution_id, type, milliseconds_since_epoch) VALUES (\(id.rawValue), 4242, 3, 1)")
        try fixture.store.putArtifacts([Artifact(typeID: fixture.dataset, name: "b")])
        #expect(try follower.follow())
        #expect(follower.snapshot.orphanEvents.count == 1)
        #expect(follower.snapshot.artifacts.count == 2)
        try expectHealthy(follower)
        // The first store's own next write catches up the same way.
        try fixture.store.putArtifacts([Artifact(typeID: fixture.dataset, name: "c")])
        #expect(fixture.store.snapshot.orphanEvents.count == 1)
        try expectHealthy(fixture.store)
    }

    @Test func aStoreInMemoryHasNothingToFollow() throws {
        let store = try MetadataStore.inMemory()
        #expect(try store.follow() == false)
    }
}
