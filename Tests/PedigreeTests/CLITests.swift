import Foundation
import Pedigree
import Testing

@Suite struct CLITests {
    @Test func badFilesExit65AndStayUntouched() throws {
        let dir = temporaryDirectory()
        let text = dir.appendingPathComponent("notes.txt").path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: text))
        for command in [["stats"], ["check"], ["export", "-"], ["show", "artifact", "1"]] {
            let (code, _, err) = try runPedigree(command + ["--db", text])
            #expect(code == 65, "\(command): \(err)")
            #expect(err.contains("not an SQLite database"))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: text)) == Data("hello".utf8))
        let (code, _, err) = try runPedigree(["stats", "--db", dir.appendingPathComponent("missing.sqlite").path])
        #expect(code == 65 && err.contains("no such file"))
    }

    @Test func foreignAndDamagedStoresExit65AndStayUntouched() throws {
        let dir = temporaryDirectory()
        let foreign = dir.appendingPathComponent("foreign.sqlite").path
        try sqlite(foreign, "CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        let old = dir.appendingPathComponent("v9.sqlite").path
        try MetadataStore(path: old).close()
        try sqlite(old, "PRAGMA journal_mode = DELETE; UPDATE MLMDEnv SET schema_version = 9;")
        let truncated = dir.appendingPathComponent("cut.sqlite").path
        #expect(try runPedigree(["demo", "--db", truncated]).0 == 0)
        let whole = try Data(contentsOf: URL(fileURLWithPath: truncated))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: truncated))
        for (path, fragment) in [(foreign, "not an MLMD database"), (old, "schema version 9"), (truncated, "truncated")] {
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            for command in [["stats"], ["import", "-"], ["init"]] {
                let (code, _, err) = try runPedigree(command + ["--db", path], stdin: "")
                #expect(code == 65, "\(command) on \(path): \(err)")
                #expect(err.contains(fragment), "\(err)")
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "\(path) was altered")
        }
    }

    @Test func usageErrorsExit64() throws {
        let (code, _, _) = try runPedigree(["stats", "--format", "yaml"])
        #expect(code == 64)
        let (code2, _, _) = try runPedigree(["no-such-command"])
        #expect(code2 == 64)
    }

    @Test func badImportsExit65AndWriteNothing() throws {
        let dir = temporaryDirectory()
        let db = dir.appendingPathComponent("s.sqlite").path
        let demo = dir.appendingPathComponent("demo.sqlite").path
        #expect(try runPedigree(["demo", "--db", demo]).0 == 0)
        let exported = try runPedigree(["export", "--db", demo, "-"]).1
        var lines = exported.split(separator: "\n").map(String.init)
        let good = lines.joined(separator: "\n")

        // A property of the wrong type, an event whose artifact does not exist, a duplicate (type, name), broken JSON.
        let artifactLine = try #require(lines.firstIndex { $0.contains(#""record":"artifact""#) && $0.contains(#""span":{"int""#) })
        let wrongType = lines.enumerated().map { $0.offset == artifactLine ? $0.element.replacingOccurrences(of: #""span":{"int":"#, with: #""span":{"string":"x","#).replacingOccurrences(of: #""string":"x",1}"#, with: #""string":"x"}"#) : $0.element }
        let danglingEvent = lines + [#"{"record":"event","id":9999,"artifact_id":424242,"execution_id":1,"type":"INPUT"}"#]
        let firstArtifact = lines[artifactLine]
        let duplicate = lines + [firstArtifact.replacingOccurrences(of: #""id":"#, with: #""id":9"#).replacingOccurrences(of: #""external_id""#, with: #""x""#)]
        lines.insert("{not json", at: 5)
        let cases: [(String, [String], String)] = [
            ("wrong property type", wrongType, "unmatched property type"),
            ("dangling event", danglingEvent, "No artifact with the given id 424242"),
            ("duplicate name", duplicate, "already exists"),
            ("broken JSON", lines, "line 6"),
        ]
        for (name, content, fragment) in cases {
            try? FileManager.default.removeItem(atPath: db)
            try MetadataStore(path: db).close()
            let before = try Data(contentsOf: URL(fileURLWithPath: db))
            let (code, _, err) = try runPedigree(["import", "--db", db, "-"], stdin: content.joined(separator: "\n"))
            #expect(code == 65, "\(name): \(err)")
            #expect(err.contains(fragment), "\(name): \(err)")
            let store = try MetadataStore(path: db, mode: .readOnly)
            #expect(store.snapshot.artifacts.isEmpty && store.snapshot.events.count == 0, "\(name) wrote something")
            _ = before
        }
        // The good file imports, and exports back identically.
        try? FileManager.default.removeItem(atPath: db)
        #expect(try runPedigree(["import", "--db", db, "-"], stdin: good).0 == 0)
        #expect(try runPedigree(["export", "--db", db, "-"]).1 == exported)
    }

    @Test func statsJSONHasTheDocumentedKeys() throws {
        let demo = temporaryStorePath()
        #expect(try runPedigree(["demo", "--db", demo]).0 == 0)
        let (code, out, _) = try runPedigree(["stats", "--db", demo, "--format", "json"])
        #expect(code == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        for key in ["types", "artifacts", "executions", "contexts", "events", "attributions", "associations", "parent_contexts", "by_type"] {
            #expect(json[key] != nil, "missing \(key)")
        }
        let byType = try #require(json["by_type"] as? [String: Int])
        #expect(byType["Trainer"] == 4 && byType["pipeline_run"] == 4)
        let store = try MetadataStore(path: demo, mode: .readOnly)
        #expect(json["artifacts"] as? Int == store.snapshot.artifacts.count)
    }

    /// SIGKILL in the middle of a long batched import: on reopen the file passes check and holds
    /// exactly the batches that committed.
    @Test func killedImportLeavesWholeTransactions() throws {
        let dir = temporaryDirectory()
        let db = dir.appendingPathComponent("s.sqlite").path
        let input = dir.appendingPathComponent("in.jsonl").path
        // One artifact type and many artifacts, as interchange lines.
        var lines = [#"{"record":"header","format":"pedigree-jsonl","version":1,"mlmd_schema_version":10}"#,
                     #"{"record":"type","kind":"artifact","id":10,"name":"Blob","properties":{}}"#]
        for i in 1...400_000 {
            lines.append(#"{"record":"artifact","id":\#(i),"type_id":10,"name":"blob-\#(i)","uri":"/blobs/\#(i)","create_time_since_epoch":1,"last_update_time_since_epoch":1}"#)
        }
        try lines.joined(separator: "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let batch = 10_000

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Fixture.pedigreeBinary)
        process.arguments = ["import", "--db", db, "--batch-size", String(batch), input]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait until some batches have committed, then kill.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            if let size = try? FileManager.default.attributesOfItem(atPath: db + "-wal")[.size] as? Int, size > 2_000_000 { break }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the import finished before it could be killed")

        let store = try MetadataStore(path: db, mode: .readWrite)
        let report = try store.check()
        #expect(report.isHealthy, "\(report.problems)")
        let n = store.snapshot.artifacts.count
        // The first batch holds the header and type lines too.
        #expect(n > 0 && (n + 2) % batch == 0, "\(n) artifacts is not a whole number of committed batches")
        #expect(n < 400_000)
        let ids = store.snapshot.artifacts.map { $0.id!.rawValue }
        #expect(ids == Array(1...Int64(n)), "the committed prefix is not contiguous")
    }

    @Test func queriesPrintEveryFormatAndBadQueriesExit65() throws {
        let demo = temporaryStorePath()
        #expect(try runPedigree(["demo", "--db", demo]).0 == 0)
        let q = "artifact(name = 'chicago-taxi-run-1/examples') downstream* artifact(type = 'Model')"
        let (code, ids, _) = try runPedigree(["query", "--db", demo, "--format", "ids", q])
        #expect(code == 0 && ids == "artifact 6\nartifact 14\n")
        let (_, csv, _) = try runPedigree(["query", "--db", demo, "--format", "csv", q + " return nodes with depth"])
        #expect(csv.hasPrefix("kind,id,type,name,depth\nartifact,6,Model,chicago-taxi-run-1/model,"))
        let (_, json, _) = try runPedigree(["query", "--db", demo, "--format", "json", "artifact(id = 29) upstream{1,2} return subgraph"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect((object["nodes"] as? [Any])?.count == 5 && (object["edges"] as? [Any])?.count == 4)
        let (_, timed, timing) = try runPedigree(["query", "--db", demo, "--timing", "--repeat", "5", "--param", "n=1",
                                                  "artifact(type = 'Model') limit $n"])
        #expect(timed.contains("artifact 6") && timing.contains("open:") && timing.contains("median of 5") && timing.contains("truncated"))

        // Bad queries: a clear diagnostic with carets, exit 65; as data with --format json.
        for bad in ["artifact(type = 'Modell')", "artifact(span = 'x')", "artifact((a = 1)", "artifact() sideways", "",
                    "artifact(" + String(repeating: "(", count: 100_000) + "a = 1)"] {
            let (code, _, err) = try runPedigree(["query", "--db", demo, "-"], stdin: bad)
            #expect(code == 65, "\(bad.prefix(40)): \(err)")
            #expect(err.contains("error:") && err.contains("^"), "\(err.prefix(300))")
        }
        let (jcode, jout, _) = try runPedigree(["explain", "--db", demo, "--format", "json", "artifact(type = 'Modell')"])
        #expect(jcode == 65)
        let diag = try #require(try JSONSerialization.jsonObject(with: Data(jout.utf8)) as? [String: Any])
        let first = try #require((diag["errors"] as? [[String: Any]])?.first)
        #expect(first["id"] as? String == "bind.unknown-type" && first["line"] as? Int == 1 && first["column"] as? Int == 17)
        #expect((first["notes"] as? [String]) == ["did you mean 'Model'?"])
    }
}
