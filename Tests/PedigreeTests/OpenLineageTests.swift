import Foundation
import Testing

@testable import Pedigree
import PedigreeFixtures
import PedigreeModel
@_spi(Engine) import PedigreeGraph

/// OpenLineage events onto MLMD's model: the spec's example shapes, out-of-order delivery,
/// duplicates, a join with an MLMD pipeline, and bad input.
@Suite struct OpenLineageTests {
    static let producer = "https://github.com/OpenLineage/OpenLineage/tree/1.0.0/integration/airflow"
    static let schema = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent"

    /// A RunEvent shaped as the spec's examples: a job, inputs and outputs with facets, a parent.
    static func runEvent(
        _ type: String?, run: String, time: String, job: String = "etl.orders_daily", inputs: [String] = ["public.orders"],
        outputs: [(ns: String, name: String)] = [("s3://lake", "curated/orders")], parent: String? = nil, facets: Bool = true
    ) -> String {
        var event: [String: Any] = [
            "eventTime": time, "producer": producer, "schemaURL": schema,
            "job": ["namespace": "airflow", "name": job,
                    "facets": facets ? ["sql": ["_producer": producer, "_schemaURL": "https://x/SQLJobFacet.json", "query": "INSERT INTO curated SELECT * FROM orders"]] : [:]],
            "inputs": inputs.map { ["namespace": "postgres://db.example.com:5432", "name": $0,
                                    "facets": ["schema": ["_producer": producer, "_schemaURL": "https://x", "fields": [["name": "id", "type": "INTEGER"]]]]] },
            "outputs": outputs.map { ["namespace": $0.ns, "name": $0.name,
                                      "outputFacets": ["outputStatistics": ["_producer": producer, "_schemaURL": "https://x", "rowCount": 1200]]] },
        ]
        var runObject: [String: Any] = ["runId": run]
        if let parent {
            runObject["facets"] = ["parent": ["_producer": producer, "_schemaURL": "https://x", "run": ["runId": parent],
                                              "job": ["namespace": "airflow", "name": "orders_dag"]]]
        }
        event["run"] = runObject
        if let type { event["eventType"] = type }
        return String(decoding: try! JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]), as: UTF8.self)
    }

    static let runA = "0176a8c2-fe01-7439-87e6-56a1a1b4029f"
    static let runB = "3f5e83fa-3480-44ff-99c5-ff943904e5e8"

    func run(_ g: GraphSnapshot, _ id: String) throws -> Execution {
        try #require(try g.nodes(externalIDs: [id], as: Execution.self).first)
    }

    @Test func runEventsMapOntoMLMD() throws {
        let store = try MetadataStore.inMemory()
        try store.ingestOpenLineage([
            Self.runEvent("START", run: Self.runA, time: "2024-03-01T10:00:00.000Z", parent: Self.runB),
            Self.runEvent("COMPLETE", run: Self.runA, time: "2024-03-01T10:05:00.250+01:00", parent: Self.runB, facets: false),
            Self.runEvent("FAIL", run: Self.runB, time: "2024-03-01T11:00:00Z", job: "etl.other", inputs: ["public.customers"], outputs: []),
        ])
        let g = store.snapshot
        let a = try run(g, Self.runA)
        #expect(g.type(a.typeID)?.name == "ol.Run" && a.name == Self.runA && a.lastKnownState == .complete)
        #expect(a.customProperties["ol.start_time"] == .int(1_709_287_200_000))
        #expect(a.customProperties["ol.parent_run_id"] == .string(Self.runB))
        guard case .struct(let outputs)? = a.customProperties["ol.output_facets"],
              case .object(let stats)? = outputs["s3://lake/curated/orders"] else { Issue.record("no output facets"); return }
        #expect(stats["outputStatistics"] != nil)
        #expect(try run(g, Self.runB).lastKnownState == .failed)

        let job = try #require(g.node(typeName: "ol.Job", name: "airflow/etl.orders_daily", as: Context.self))
        guard case .struct(let sql)? = job.customProperties["ol.facet.sql"] else { Issue.record("no sql facet"); return }
        #expect(sql["query"] == .string("INSERT INTO curated SELECT * FROM orders"))
        #expect(try g.executions(context: job.id!).items.map(\.externalID) == [Self.runA])
        let parentJob = try #require(g.node(typeName: "ol.Job", name: "airflow/orders_dag", as: Context.self))
        #expect(g.parentContexts(of: job.id!).map(\.id) == [parentJob.id])

        let orders = try #require(g.artifacts(uri: "postgres://db.example.com:5432/public.orders").first)
        #expect(g.type(orders.typeID)?.name == "ol.Dataset" && orders.customProperties["ol.facet.schema"] != nil)
        let lake = try #require(g.artifacts(uri: "s3://lake/curated/orders").first)
        let events = g.events(executionIDs: [a.id!])
        #expect(Set(events.map { "\($0.type) \($0.artifactID!.rawValue)" }) == ["INPUT \(orders.id!.rawValue)", "OUTPUT \(lake.id!.rawValue)"])
        #expect(events.allSatisfy { $0.time == 1_709_287_200_000 })
        #expect(try store.check().problems.isEmpty)
    }

    @Test func eventsMergeInAnyOrder() throws {
        let events = [
            Self.runEvent("OTHER", run: Self.runA, time: "2024-03-01T09:59:00Z"),
            Self.runEvent("START", run: Self.runA, time: "2024-03-01T10:00:00Z"),
            Self.runEvent("RUNNING", run: Self.runA, time: "2024-03-01T10:01:00Z"),
            Self.runEvent("COMPLETE", run: Self.runA, time: "2024-03-01T10:05:00Z"),
        ]
        var seen: Set<String> = []
        for order in [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1], [3, 0, 1, 2]] {
            let store = try MetadataStore.inMemory()
            for i in order { try store.ingestOpenLineage([events[i]]) }
            let g = store.snapshot
            let a = try run(g, Self.runA)
            #expect(a.lastKnownState == .complete, "\(order)")
            #expect(a.customProperties["ol.start_time"] == .int(1_709_287_140_000) || a.customProperties["ol.start_time"] == .int(1_709_287_200_000))
            let counts = StoreCounts(g)
            seen.insert("\(counts.artifacts) \(counts.executions) \(counts.contexts) \(counts.events) \(counts.associations)")
        }
        #expect(seen.count == 1)
    }

    @Test func duplicatesChangeNothing() throws {
        let store = try MetadataStore.inMemory()
        let events = [Self.runEvent("START", run: Self.runA, time: "2024-03-01T10:00:00Z", parent: Self.runB),
                      Self.runEvent("COMPLETE", run: Self.runA, time: "2024-03-01T10:05:00Z")]
        try store.ingestOpenLineage(events)
        let before = store.snapshot
        try store.ingestOpenLineage(events)
        try store.ingestOpenLineage(events.reversed())
        let after = store.snapshot
        #expect(StoreCounts(before) == StoreCounts(after))
        for (x, y) in zip(before.executions, after.executions) { #expect(x.isSameRecord(as: y, ignoringTimes: true)) }
        for (x, y) in zip(before.artifacts, after.artifacts) { #expect(x.isSameRecord(as: y, ignoringTimes: true)) }
    }

    @Test func aWarehouseTableReachesTheModelsTrainedOnIt() throws {
        let store = try MetadataStore.inMemory()
        try DemoPipeline.write(into: store)
        let examples = try #require(store.snapshot.node(typeName: "Examples", name: "chicago-taxi-run-1/examples", as: Artifact.self))
        let uri = try #require(examples.uri)
        // An ETL job writes the pipeline's input: the same uri, so the same node.
        let slash = uri.range(of: "/", options: [], range: uri.index(uri.startIndex, offsetBy: 5)..<uri.endIndex)!.lowerBound
        try store.ingestOpenLineage([Self.runEvent("COMPLETE", run: Self.runA, time: "2024-03-01T10:00:00Z",
                                                   outputs: [(String(uri[..<slash]), String(uri[uri.index(after: slash)...]))])])
        let g = store.snapshot
        #expect(g.artifacts(uri: uri).count == 1)
        let models = try g.query("artifact(uri = 'postgres://db.example.com:5432/public.orders') downstream* artifact(type = 'Model')")
        guard case .nodes(let rows) = models.rows else { Issue.record("not nodes"); return }
        let mlmd = try g.query("artifact(id = \(examples.id!.rawValue)) downstream* artifact(type = 'Model')")
        guard case .nodes(let direct) = mlmd.rows else { Issue.record("not nodes"); return }
        #expect(!rows.isEmpty && rows.map(\.id) == direct.map(\.id))
        // The MLMD artifact is left as the pipeline wrote it.
        #expect(g.node(examples.id!, as: Artifact.self)!.isSameRecord(as: examples))
    }

    @Test func badEventsNameTheField() throws {
        let good = Self.runEvent("START", run: Self.runA, time: "2024-03-01T10:00:00Z")
        func without(_ key: String) -> String {
            var o = try! JSONSerialization.jsonObject(with: Data(good.utf8)) as! [String: Any]
            if key == "run.runId" { o["run"] = [String: Any]() } else if key == "job.name" { o["job"] = ["namespace": "x"] } else { o[key] = nil }
            return String(decoding: try! JSONSerialization.data(withJSONObject: o), as: UTF8.self)
        }
        let cases: [(String, String)] = [
            (without("eventTime"), "eventTime"), (without("producer"), "producer"), (without("run.runId"), "run.runId"),
            (without("job"), "job"), (without("job.name"), "job.name"),
            (good.replacingOccurrences(of: "\"START\"", with: "\"BEGIN\""), "eventType"),
            (good.replacingOccurrences(of: "2024-03-01T10:00:00Z", with: "yesterday"), "eventTime"),
            (good.replacingOccurrences(of: "\"inputs\":[", with: "\"inputs\":[7,"), "inputs[0]"),
            ("{not json", ""), ("[1, 2]", "(event)"),
        ]
        for (text, path) in cases {
            let result = Result { () throws(OpenLineage.FieldError) in try OpenLineage.parse(text) }
            guard case .failure(let error) = result else { Issue.record("taken: \(path)"); continue }
            #expect(error.path == path, "\(error.message)")
        }
        // From a file: the line and the field, and nothing of the file written.
        let store = try MetadataStore.inMemory()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ol-\(UUID()).jsonl").path
        try [good, Self.runEvent("COMPLETE", run: Self.runA, time: "2024-03-01T10:05:00Z"), without("run.runId")]
            .joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(throws: MetadataError.self) { try store.importOpenLineage(file: file) }
        do {
            try store.importOpenLineage(file: file)
        } catch let error as MetadataError {
            #expect(error.message == "line 3: run.runId: a required field is missing")
        }
        #expect(store.snapshot.nodeCount(.execution) == 0 && store.snapshot.nodeCount(.artifact) == 0)
    }

    /// A store's runs as OpenLineage events, one JSON text each.
    static func exported(_ store: MetadataStore) -> [String] {
        var lines: [String] = []
        store.exportOpenLineage { lines.append($0) }
        return lines
    }

    @Test func exportedEventsComeBackTheSame() throws {
        let store = try MetadataStore.inMemory()
        try DemoPipeline.write(into: store)
        try store.ingestOpenLineage([
            Self.runEvent("START", run: Self.runA, time: "2024-03-01T10:00:00Z", parent: Self.runB),
            Self.runEvent("COMPLETE", run: Self.runA, time: "2024-03-01T10:05:00Z", outputs: [("gs://taxi", "chicago-taxi-run-1/examples")]),
        ])
        let first = Self.exported(store)
        #expect(first.count == store.snapshot.nodeCount(.execution))
        let again = try MetadataStore.inMemory()
        try again.ingestOpenLineage(first)
        #expect(Self.exported(again) == first)
        let g = again.snapshot
        #expect(g.nodeCount(.execution) == store.snapshot.nodeCount(.execution))
        #expect(StoreCounts(g).events == StoreCounts(store.snapshot).events)
        // The OpenLineage run goes back as it came; an MLMD execution as a run of job mlmd/CONTEXT.TYPE.
        let a = try run(g, Self.runA)
        #expect(a.lastKnownState == .complete && a.customProperties["ol.parent_run_id"] == .string(Self.runB))
        let events = first.map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let trainer = try #require(events.first { (($0["job"] as! [String: Any])["name"] as! String).hasSuffix(".Trainer") })
        #expect((trainer["job"] as! [String: Any])["namespace"] as? String == "mlmd" && OpenLineage.isUUID((trainer["run"] as! [String: Any])["runId"] as! String))
        let outputs = trainer["outputs"] as! [[String: Any]]
        #expect(outputs.contains { $0["namespace"] as? String == "gs://taxi" && ($0["name"] as! String).hasSuffix("/model") })
        let mine = try #require(events.first { ($0["run"] as! [String: Any])["runId"] as? String == Self.runA })
        let stats = ((mine["outputs"] as! [[String: Any]])[0]["outputFacets"] as! [String: Any])["outputStatistics"] as! [String: Any]
        #expect("\(stats["rowCount"]!)" == "1200")
    }

    @Test func derivedRunIDsAreStableUUIDs() {
        let a = OpenLineage.derivedUUID("pedigree execution 1 x"), b = OpenLineage.derivedUUID("pedigree execution 2 x")
        #expect(OpenLineage.isUUID(a) && OpenLineage.isUUID(b) && a != b && a == OpenLineage.derivedUUID("pedigree execution 1 x"))
        #expect(Array(a)[14] == "8" && "89ab".contains(Array(a)[19]))
        #expect(!OpenLineage.isUUID("0176a8c2-fe01-7439-87e6-56a1a1b4029") && OpenLineage.isUUID(Self.runA))
    }

    @Test func timestampsReadEveryISOForm() throws {
        for (text, ms) in [
            ("1970-01-01T00:00:00Z", Int64(0)), ("2020-12-28T19:52:00.001+10:00", 1_609_149_120_001),
            ("2020-12-28T09:52:00.001Z", 1_609_149_120_001), ("2024-02-29T23:59:59.123456789-05:30", 1_709_270_999_123),
            ("2024-03-01T10:00:00.5Z", 1_709_287_200_500), ("1969-12-31T23:59:59Z", -1_000),
        ] {
            #expect(try OpenLineage.timestamp(text, path: "t") == ms, "\(text)")
        }
        for bad in ["2024-13-01T00:00:00Z", "2024-03-01", "2024-03-01T10:00:00+25:00", "2024-03-01T10:00:00.Z", "2024-03-01T10:00:00Zx"] {
            #expect(throws: OpenLineage.FieldError.self) { try OpenLineage.timestamp(bad, path: "t") }
        }
    }
}
