import Foundation
import Pedigree
import Synchronization
import Testing
@_spi(Engine) import PedigreeGraph

@Suite struct ReadTests {
    /// Ten datasets with ids 1...10 (in this fresh store), created a millisecond or more apart.
    private func tenDatasets() throws -> (Fixture, [ArtifactID]) {
        let f = try Fixture()
        var ids: [ArtifactID] = []
        for i in 0..<10 {
            ids += try f.store.putArtifacts([Artifact(typeID: f.dataset, name: "d\(i)", uri: "/data/\(i % 3)", externalID: "x\(i)")])
        }
        return (f, ids)
    }

    @Test func byIDSkipsMissingAndSortsAscending() throws {
        let (f, ids) = try tenDatasets()
        let got = f.store.snapshot.nodes(ids: [ids[5], ids[2], ArtifactID(999), ids[2]], as: Artifact.self)
        #expect(got.map(\.id) == [ids[2], ids[5]])
    }

    @Test func byTypeNameURIAndExternalID() throws {
        let (f, ids) = try tenDatasets()
        let g = f.store.snapshot
        #expect(try g.nodes(typeName: "Dataset", as: Artifact.self).items.count == 10)
        #expect(try g.nodes(typeName: "Model", as: Artifact.self).items.isEmpty)
        #expect(try g.nodes(typeName: "NoSuchType", as: Artifact.self).items.isEmpty)
        #expect(g.node(typeName: "Dataset", name: "d3", as: Artifact.self)?.id == ids[3])
        #expect(g.node(typeName: "Dataset", name: "nope", as: Artifact.self) == nil)
        #expect(g.artifacts(uri: "/data/1").map(\.id) == [ids[1], ids[4], ids[7]])
        #expect(try g.nodes(externalIDs: ["x9", "x0", "missing"], as: Artifact.self).map(\.id) == [ids[0], ids[9]])
        expectError(.notFound) { _ = try g.nodes(externalIDs: ["missing"], as: Artifact.self) }
        expectError(.invalidArgument) { _ = try g.nodes(externalIDs: [""], as: Artifact.self) }
    }

    @Test func pagesCoverEverythingOnceInOrder() throws {
        let (f, ids) = try tenDatasets()
        let g = f.store.snapshot
        for (field, ascending) in [(ListOptions.OrderField.id, true), (.id, false), (.createTime, true), (.updateTime, false)] {
            var options = ListOptions(maxResultSize: 3, orderBy: field, ascending: ascending)
            var seen: [ArtifactID] = []
            var pages = 0
            while true {
                let page = try g.nodes(as: Artifact.self, options: options)
                seen += page.items.map { $0.id! }
                pages += 1
                guard let token = page.nextPageToken else { break }
                options.nextPageToken = token
            }
            #expect(pages == 4)
            #expect(Set(seen) == Set(ids) && seen.count == 10, "order by \(field) asc=\(ascending)")
            if field == .id { #expect(seen == (ascending ? ids : ids.reversed())) }
        }
    }

    @Test func pageTokensAreChecked() throws {
        let (f, _) = try tenDatasets()
        let g = f.store.snapshot
        let first = try g.nodes(as: Artifact.self, options: ListOptions(maxResultSize: 4))
        let token = try #require(first.nextPageToken)
        expectError(.invalidArgument) {
            _ = try g.nodes(as: Artifact.self, options: ListOptions(maxResultSize: 4, ascending: false, nextPageToken: token))
        }
        expectError(.invalidArgument) {
            _ = try g.nodes(as: Artifact.self, options: ListOptions(maxResultSize: 4, nextPageToken: "%%%not-a-token"))
        }
        expectError(.invalidArgument) { _ = try g.nodes(as: Artifact.self, options: ListOptions(maxResultSize: 0)) }
        // Sizes above MLMD's 100 are honoured, not cut.
        #expect(try g.nodes(as: Artifact.self, options: ListOptions(maxResultSize: 500)).items.count == 10)
    }

    @Test func contextsAndMembership() throws {
        let f = try Fixture()
        let r = try f.store.putExecution(
            Execution(typeID: f.trainer),
            artifactsAndEvents: [.init(artifact: Artifact(typeID: f.dataset, name: "in"), event: Event(type: .input))],
            contexts: [Context(typeID: f.run, name: "b"), Context(typeID: f.run, name: "a")])
        let g = f.store.snapshot
        let artifact = try #require(r.artifactIDs[0])
        #expect(try g.contexts(artifact: artifact).map(\.name) == ["b", "a"])
        #expect(try g.contexts(execution: r.executionID).count == 2)
        #expect(try g.artifacts(context: r.contextIDs[0]).items.map(\.id) == [artifact])
        #expect(try g.executions(context: r.contextIDs[1]).items.map(\.id) == [r.executionID])
        let lonely = try f.store.putArtifacts([Artifact(typeID: f.dataset)])[0]
        expectError(.notFound) { _ = try g.contexts(artifact: lonely) }
        #expect(g.events(executionIDs: [r.executionID]).map(\.artifactID) == [artifact])
    }

    @Test func typeListsHideBuiltins() throws {
        let f = try Fixture()
        let g = f.store.snapshot
        #expect(g.listTypes(.artifact).map(\.name) == ["Dataset", "Model"])
        #expect(g.listTypes(.execution).map(\.name) == ["Trainer"])
        #expect(g.type(kind: .artifact, name: "mlmd.Dataset", version: nil) != nil)
    }
}

@Suite struct SnapshotTests {
    @Test func snapshotsDoNotSeeLaterWrites() throws {
        let f = try Fixture()
        let a = try f.store.putArtifacts([Artifact(typeID: f.dataset, name: "a", properties: ["rows": .int(1)])])[0]
        let before = f.store.snapshot
        var changed = before.artifact(a)!
        changed.properties["rows"] = .int(2)
        try f.store.putArtifacts([changed])
        try f.store.putArtifacts((0..<5000).map { Artifact(typeID: f.dataset, name: "bulk-\($0)") })
        #expect(before.artifact(a)?.properties["rows"] == .int(1))
        #expect(before.artifacts.count == 1)
        #expect(f.store.snapshot.artifacts.count == 5001)
        #expect(f.store.snapshot.artifact(a)?.properties["rows"] == .int(2))
        #expect(f.store.snapshot.generation > before.generation)
    }

    /// A writer adds executions with two events each while reader threads check that no
    /// snapshot ever shows half of one; at the end the graph equals the database.
    @Test func readersNeverSeeHalfAWrite() throws {
        let f = try Fixture(path: temporaryStorePath())
        let store = f.store
        let writes = 300
        let readers = (0..<2).map { _ in
            ReaderThread {
                let g = store.snapshot
                #expect(g.artifacts.count == 2 * g.executions.count)
                #expect(g.events.count == 2 * g.executions.count)
                #expect(g.associations.count == g.executions.count)
                for e in 0..<Int32(g.executions.count) { #expect(g.executionEvents.count(e) == 2) }
                return g.executions.count
            }
        }
        for reader in readers { reader.waitUntilReading() }
        for i in 0..<writes {
            try store.putExecution(
                Execution(typeID: f.trainer, name: "e\(i)"),
                artifactsAndEvents: [
                    .init(artifact: Artifact(typeID: f.dataset, name: "in\(i)"), event: Event(type: .input)),
                    .init(artifact: Artifact(typeID: f.model, name: "out\(i)"), event: Event(type: .output)),
                ],
                contexts: [Context(typeID: f.run, name: "run")], reuseContextIfAlreadyExist: true)
        }
        for reader in readers {
            let seen = reader.stop()
            #expect(seen.count > 2, "a reader saw too few intermediate snapshots to prove anything")
        }
        let report = try store.check()
        #expect(report.isHealthy, "\(report.problems)")
    }
}

/// A thread that runs `read` in a loop until stopped, collecting the distinct values it returns.
final class ReaderThread: Sendable {
    private struct State {
        var seen: Set<Int> = []
        var reading = false
        var stop = false
        var done = false
    }
    private final class Box: Sendable {
        let state = Mutex(State())
    }
    private let box = Box()

    init(_ read: @escaping @Sendable () -> Int) {
        let thread = Thread { [box] in
            while true {
                let value = read()
                let stop = box.state.withLock { s in
                    s.seen.insert(value)
                    s.reading = true
                    return s.stop
                }
                if stop { break }
            }
            box.state.withLock { $0.done = true }
        }
        thread.start()
    }

    func waitUntilReading() {
        while !box.state.withLock({ $0.reading }) { Thread.sleep(forTimeInterval: 0.001) }
    }

    /// Stops the loop; returns the distinct values seen.
    func stop() -> Set<Int> {
        box.state.withLock { $0.stop = true }
        while !box.state.withLock({ $0.done }) { Thread.sleep(forTimeInterval: 0.001) }
        return box.state.withLock { $0.seen }
    }
}

@Suite struct AsyncAPITests {
    @Test func asyncWritesPublishLikeSyncOnes() async throws {
        let store = try await MetadataStore.open(path: temporaryStorePath())
        let type = try await store.putType(NodeType(kind: .artifact, name: "Blob"))
        let ids = try await store.putArtifacts((0..<3).map { Artifact(typeID: type, name: "b\($0)") })
        #expect(store.snapshot.nodes(ids: ids, as: Artifact.self).map(\.name) == ["b0", "b1", "b2"])
        await #expect(throws: MetadataError.self) { try await store.putArtifacts([Artifact(typeID: type, name: "b0")]) }
    }
}

@Suite struct ImportConcurrencyTests {
    /// A reader thread polls snapshots while a writer imports in batches of whole executions;
    /// every snapshot shows whole batches only, and at the end the graph equals the database.
    @Test func readersSeeWholeImportBatches() throws {
        let store = try MetadataStore(path: temporaryStorePath())
        var lines = [#"{"record":"type","kind":"artifact","id":10,"name":"Blob","properties":{}}"#,
                     #"{"record":"type","kind":"execution","id":11,"name":"Step","properties":{}}"#]
        try store.importRecords(text: lines.joined(separator: "\n"))
        lines = []
        let executions = 2_000
        for i in 1...executions {
            // One execution, its output artifact and the event between them: 3 lines.
            lines.append(#"{"record":"artifact","id":\#(i),"type_id":10,"name":"b\#(i)","create_time_since_epoch":1,"last_update_time_since_epoch":1}"#)
            lines.append(#"{"record":"execution","id":\#(i),"type_id":11,"create_time_since_epoch":1,"last_update_time_since_epoch":1}"#)
            lines.append(#"{"record":"event","id":\#(i),"artifact_id":\#(i),"execution_id":\#(i),"type":"OUTPUT"}"#)
        }
        let reader = ReaderThread {
            let g = store.snapshot
            let n = g.executions.count
            #expect(n % 50 == 0, "a snapshot shows \(n) executions: not a whole batch")
            #expect(g.artifacts.count == n && g.events.count == n, "\(n) \(g.artifacts.count) \(g.events.count) \(g.artifactIDs.count)")
            for a in 0..<Int32(g.artifacts.count) { #expect(g.artifactEvents.count(a) == 1) }
            return n
        }
        reader.waitUntilReading()
        try store.importRecords(text: lines.joined(separator: "\n"), batchSize: 3 * 50)
        let seen = reader.stop()
        #expect(seen.count > 2, "the reader saw too few intermediate snapshots to prove anything")
        #expect(store.snapshot.executions.count == executions)
        let report = try store.check()
        #expect(report.isHealthy, "\(report.problems)")
    }
}

@Suite struct StatisticsTests {
    @Test func stateIndexAndCountsFollowUpdates() throws {
        let f = try Fixture()
        let ids = try f.store.putArtifacts((0..<5).map { Artifact(typeID: f.dataset, name: "d\($0)", state: .live) })
        try f.store.putArtifacts([Artifact(typeID: f.model, name: "m")])
        var first = f.store.snapshot.artifact(ids[0])!
        first.state = .deleted
        try f.store.putArtifacts([first])
        let g = f.store.snapshot
        #expect(g.artifactIndices(state: .live).count == 4)
        #expect(g.artifactIndices(state: .deleted).map { g.artifacts[Int($0)].id } == [ids[0]])
        #expect(g.artifactIndices(state: nil).count == 1)
        #expect(g.statistics.artifacts(in: .live) == 4 && g.statistics.artifacts(in: .deleted) == 1)
        #expect(g.statistics.nodesByType[f.dataset] == 5 && g.statistics.nodesByType[f.model] == 1)
        try f.store.putExecutions([Execution(typeID: f.trainer, lastKnownState: .failed)])
        #expect(f.store.snapshot.executionIndices(state: .failed).count == 1)
        #expect(f.store.snapshot.statistics.executions(in: .complete) == 0)
        #expect(try f.store.check().isHealthy)
    }
}
