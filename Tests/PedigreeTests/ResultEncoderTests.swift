import Foundation
@testable import Pedigree
import Testing
@_spi(Engine) import PedigreeGraph

/// The one JSON encoder of results, nodes and diagnostics.
@Suite struct ResultEncoderTests {
    /// A dataset with awkward strings and doubles, read by a trainer that wrote a model.
    static func store() throws -> (Fixture, GraphSnapshot) {
        let f = try Fixture()
        let hostile = "<script>alert(\"x\")</script>\n\t\\ \u{1} é"
        let ids = try f.store.putArtifacts([
            Artifact(typeID: f.dataset, name: hostile, uri: "gs://d", state: .live, properties: ["rows": .int(3)],
                     customProperties: ["nan": .double(.nan), "inf": .double(-.infinity), "s": .struct(["k": .list([.number(1.5), .null])])]),
            Artifact(typeID: f.model, name: "m", properties: ["accuracy": .double(0.25)]),
        ])
        let run = try f.store.putExecutions([Execution(typeID: f.trainer, name: "t", lastKnownState: .complete)])[0]
        try f.store.putEvents([Event(artifactID: ids[0], executionID: run, type: .input), Event(artifactID: ids[1], executionID: run, type: .output)])
        return (f, f.store.snapshot)
    }

    func decode(_ out: JSONOut) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(out.text.utf8)) as? [String: Any], "\(out.text)")
    }

    @Test func everyResultKindIsValidJSONWithTruncated() throws {
        let (_, g) = try Self.store()
        let encoder = ResultEncoder(snapshot: g)
        for (query, key) in [("artifact(type = 'Dataset') downstream*", "nodes"), ("artifact(type = 'Dataset') downstream* return count", "count"),
                             ("node() return count group by kind, type", "groups"), ("artifact(type = 'Model') upstream* return subgraph", "edges"),
                             ("all paths artifact(type = 'Dataset') downstream* artifact(type = 'Model')", "paths")] {
            let object = try decode(encoder.encode(try g.query(query)))
            #expect(object[key] != nil && object.keys.contains("truncated"), "\(query): \(object.keys)")
        }
        let limited = try decode(encoder.encode(try g.query("node() limit 1")))
        let truncated = try #require(limited["truncated"] as? [String: Any])
        #expect(truncated["returned"] as? Int == 1 && truncated["omitted"] as? Int == 2)
    }

    /// Strings from the store come back exactly, and never break out of their JSON string.
    @Test func stringsAndOddDoublesRoundTrip() throws {
        let (_, g) = try Self.store()
        let object = try decode(ResultEncoder(snapshot: g).encode(try g.query("artifact(type = 'Dataset')")))
        let node = try #require((object["nodes"] as? [[String: Any]])?.first)
        #expect(node["name"] as? String == "<script>alert(\"x\")</script>\n\t\\ \u{1} é")
        let custom = try #require(node["custom_properties"] as? [String: [String: Any]])
        #expect(custom["nan"]?["double"] as? String == "NaN" && custom["inf"]?["double"] as? String == "-Infinity")
        let list = try #require((custom["s"]?["struct"] as? [String: Any])?["k"] as? [Any])
        #expect(list.first as? Double == 1.5 && list.last is NSNull)
        // Keys in the order written: kind, id, type first.
        #expect(ResultEncoder(snapshot: g).node(NodeRef(.artifact, 0), depth: nil).text.hasPrefix(#"{"kind":"artifact","id":1,"type":"Dataset""#))
    }

    @Test func diagnosticsAsData() throws {
        let (_, g) = try Self.store()
        do {
            _ = try g.plan("artifact(type = 'Datset')")
            Issue.record("no error")
        } catch let error as QueryError {
            let object = try decode(ResultEncoder.encode(error))
            let first = try #require((object["errors"] as? [[String: Any]])?.first)
            #expect(first["line"] as? Int == 1 && first["column"] as? Int == 17 && (first["notes"] as? [String])?.isEmpty == false)
        }
    }

    /// `show`'s detail: fields, the events seen from the node, and its sections.
    @Test func nodeDetail() throws {
        let (_, g) = try Self.store()
        let d = try g.detail(kind: .execution, id: 1)
        let object = try decode(ResultEncoder(snapshot: g).encode(d))
        let events = try #require(object["events"] as? [[String: Any]])
        #expect(events.map { $0["type"] as? String } == ["INPUT", "OUTPUT"])
        #expect(object["last_known_state"] as? String == "COMPLETE")
        _ = expectError(.notFound) { _ = try g.detail(kind: .artifact, id: 99) }
    }
}
