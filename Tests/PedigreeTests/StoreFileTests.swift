import Foundation
import Pedigree
import PedigreeFixtures
import Testing

@Suite struct StoreFileTests {
    @Test func newStoreHasSchemaVersionAndBuiltinTypes() throws {
        let path = temporaryStorePath()
        let store = try MetadataStore(path: path)
        let names = store.snapshot.types.map(\.name)
        #expect(names == ["mlmd.Dataset", "mlmd.Model", "mlmd.Metrics", "mlmd.Statistics", "mlmd.Train",
                          "mlmd.Transform", "mlmd.Process", "mlmd.Evaluate", "mlmd.Deploy"])
        #expect(store.snapshot.types.map(\.id!.rawValue) == Array(1...9))
        store.close()
        // Reopening finds the same store.
        let again = try MetadataStore(path: path, mode: .readWrite)
        #expect(again.snapshot.types.count == 9)
    }

    @Test func reopenedStoreHoldsEverythingWritten() throws {
        let path = temporaryStorePath()
        do {
            let f = try Fixture(path: path)
            let a = try f.store.putArtifacts([Artifact(typeID: f.dataset, name: "d", uri: "/d", state: .live, properties: ["rows": .int(3)])])[0]
            let e = try f.store.putExecutions([Execution(typeID: f.trainer, lastKnownState: .complete)])[0]
            try f.store.putEvents([Event(artifactID: a, executionID: e, type: .input, path: [.index(1), .key("k")])])
            f.store.close()
        }
        let store = try MetadataStore(path: path, mode: .readOnly)
        let g = store.snapshot
        #expect(g.artifacts.count == 1)
        #expect(g.artifacts[0].properties == ["rows": .int(3)])
        #expect(g.events.count == 1)
        #expect(g.event(0).path == [.index(1), .key("k")])
        #expect(try store.check().isHealthy)
    }

    /// Every refused file keeps its bytes: validation happens before anything is written.
    private func expectRefused(_ path: String, _ fragment: String, code: MetadataError.Code = .failedPrecondition) throws {
        let before = FileManager.default.contents(atPath: path)
        let message = expectError(code) { _ = try MetadataStore(path: path, mode: .create) }
        #expect(message.contains(fragment), "message was: \(message)")
        #expect(FileManager.default.contents(atPath: path) == before, "the refused file was altered")
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test func refusesFileThatIsNotSQLite() throws {
        let path = temporaryStorePath()
        try Data("this is a text file, not a database\n".utf8).write(to: URL(fileURLWithPath: path))
        try expectRefused(path, "not an SQLite database")
    }

    @Test func refusesSQLiteFileThatIsNotMLMD() throws {
        let path = temporaryStorePath()
        try sqlite(path, "CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('ada');")
        try expectRefused(path, "not an MLMD database")
    }

    @Test func refusesOtherSchemaVersions() throws {
        for version in [9, 11] {
            let path = temporaryStorePath()
            try MetadataStore(path: path).close()
            try sqlite(path, "PRAGMA journal_mode = DELETE; UPDATE MLMDEnv SET schema_version = \(version);")
            try expectRefused(path, "MLMD schema version \(version)")
        }
    }

    @Test func refusesTruncatedFile() throws {
        let path = temporaryStorePath()
        let f = try Fixture(path: path)
        for i in 0..<300 {
            try f.store.putArtifacts([Artifact(typeID: f.dataset, name: "artifact-\(i)", uri: String(repeating: "x", count: 200))])
        }
        f.store.close()
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.count > 8192)
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        try expectRefused(path, "truncated")
        // A cut that is not even a whole page.
        try data.prefix(5000).write(to: URL(fileURLWithPath: path))
        try expectRefused(path, "truncated")
    }

    /// What `kill -9` during a checkpoint leaves: page 1 already says the file has more pages than
    /// it has, and the write-ahead log holds them. That is a store to recover, not a truncated one.
    @Test func opensACrashImageWithAnUnfinishedCheckpoint() throws {
        let path = temporaryStorePath()
        let f = try Fixture(path: path)
        for i in 0..<300 {
            try f.store.putArtifacts([Artifact(typeID: f.dataset, name: "artifact-\(i)", uri: String(repeating: "z", count: 200))])
        }
        // The files as a crash leaves them, copied while the store is open (its log not yet
        // checkpointed away).
        let crash = temporaryStorePath()
        try FileManager.default.copyItem(atPath: path, toPath: crash)
        try FileManager.default.copyItem(atPath: path + "-wal", toPath: crash + "-wal")
        f.store.close()
        var data = try Data(contentsOf: URL(fileURLWithPath: crash))
        let pageSize = Int(data[16]) << 8 | Int(data[17])
        let pages = UInt32(data.count / pageSize + 8)
        for (i, byte) in withUnsafeBytes(of: pages.bigEndian, Array.init).enumerated() { data[28 + i] = byte }
        for i in 0..<4 { data[92 + i] = data[24 + i] }  // the page count is valid for this change counter
        try data.write(to: URL(fileURLWithPath: crash))
        let walSize = try #require(try FileManager.default.attributesOfItem(atPath: crash + "-wal")[.size] as? Int)
        #expect(walSize > 0, "the copy has no log to recover from, so it proves nothing")
        let reopened = try MetadataStore(path: crash, mode: .readWrite)
        #expect(reopened.snapshot.nodeCount(.artifact) == 300)
        #expect(try reopened.check().isHealthy)
        reopened.close()
    }

    @Test func refusesCorruptPages() throws {
        let path = temporaryStorePath()
        let f = try Fixture(path: path)
        for i in 0..<200 {
            try f.store.putArtifacts([Artifact(typeID: f.dataset, name: "artifact-\(i)", uri: String(repeating: "y", count: 300))])
        }
        f.store.close()
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        // Overwrite every page after the first few with garbage, keeping the header intact.
        for i in stride(from: 4096 * 3, to: data.count, by: 1) { data[i] = UInt8(truncatingIfNeeded: i &* 7919) }
        try data.write(to: URL(fileURLWithPath: path))
        let message = expectError(.failedPrecondition) { _ = try MetadataStore(path: path, mode: .readWrite) }
        #expect(message.contains("corrupt") || message.contains("malformed") || message.contains("MLMD"), "\(message)")
    }

    @Test func missingFileIsNotCreatedUnlessAsked() throws {
        let path = temporaryStorePath()
        expectError(.notFound) { _ = try MetadataStore(path: path, mode: .readWrite) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func readOnlyStoreRefusesWrites() throws {
        let path = temporaryStorePath()
        try MetadataStore(path: path).close()
        let store = try MetadataStore(path: path, mode: .readOnly)
        expectError(.failedPrecondition) { try store.putType(NodeType(kind: .artifact, name: "X")) }
    }
}

/// Runs SQL on a file with the sqlite3 shell.
func sqlite(_ path: String, _ sql: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    process.arguments = [path, sql]
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "sqlite3 failed on \(sql)")
}

@Suite struct BulkLoadTests {
    /// A bulk load into an empty store drops and rebuilds the secondary indexes: the schema after
    /// it must be exactly the schema of a new store.
    @Test func bulkLoadLeavesTheSchemaAsItWas() throws {
        let fresh = temporaryStorePath()
        try MetadataStore(path: fresh).close()
        let loaded = temporaryStorePath()
        let store = try MetadataStore(path: loaded)
        try store.insert(SyntheticStore.chain(executions: 300, seed: 9))
        #expect(try store.check().isHealthy)
        store.close()
        #expect(try schema(of: loaded) == schema(of: fresh))
        #expect(try schema(of: fresh).count == 15 + 24)  // MLMD's tables and CREATE INDEX statements
    }

    @Test func failedBulkLoadKeepsIndexes() throws {
        let path = temporaryStorePath()
        let store = try MetadataStore(path: path)
        var contents = SyntheticStore.chain(executions: 50, seed: 1)
        contents.events.append((999_999, Event(artifactID: ArtifactID(123_456), executionID: ExecutionID(1), type: .input)))
        expectError(.invalidArgument) { try store.insert(contents) }
        store.close()
        let fresh = temporaryStorePath()
        try MetadataStore(path: fresh).close()
        #expect(try schema(of: path) == schema(of: fresh))
        #expect(try MetadataStore(path: path).snapshot.artifacts.isEmpty)
    }

    /// A bulk load indexes its nodes once, at the end, so a clash among them is found by the
    /// tables' unique keys: refused as AlreadyExists, and nothing of the load is kept.
    @Test func bulkLoadRefusesDuplicateNamesAndExternalIDs() throws {
        for clash in ["name", "external id"] {
            let store = try MetadataStore.inMemory()
            var contents = SyntheticStore.chain(executions: 50, seed: 2)
            var twin = contents.artifacts[7]
            twin.id = ArtifactID(1_000_000)
            if clash == "external id" {
                contents.artifacts[7].externalID = "same"
                twin.name = "another name"
                twin.externalID = "same"
            }
            contents.artifacts.append(twin)
            let message = expectError(.alreadyExists) { try store.insert(contents) }
            #expect(message.contains("unique"), "\(clash): \(message)")
            #expect(store.snapshot.nodeCount(.artifact) == 0 && store.snapshot.nodeCount(.execution) == 0)
            // The store takes the same contents without the twin.
            contents.artifacts.removeLast()
            try store.insert(contents)
            #expect(try store.snapshot.query("artifact(name = '\(contents.artifacts[7].name ?? "")')").resultNodes.count == 1)
        }
    }

    private func schema(of path: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [path, "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return out.split(separator: "\n").map(String.init)
    }
}
