import Foundation
import Pedigree
import PedigreeFixtures
import Testing

/// The import reads the lines that `export` writes (flat objects, no spaces) without building a
/// JSON value, and hands every other line to the general JSON decoder. These check that both
/// readings agree: on the records, and on the errors.
@Suite struct InterchangeFlatLineTests {
    /// An export, as lines.
    static func exportLines(_ store: MetadataStore) -> [String] {
        var lines: [String] = []
        Interchange.export(store.snapshot) { lines.append($0) }
        return lines
    }

    /// The same JSON with a space after every separator: the general decoder reads it.
    static func spaced(_ line: String) -> String {
        line.replacingOccurrences(of: ",\"", with: ", \"").replacingOccurrences(of: "\":", with: "\": ")
    }

    static func importError(_ lines: [String]) throws -> String? {
        let store = try MetadataStore.inMemory()
        do {
            try store.importRecords(text: lines.joined(separator: "\n"))
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test(arguments: ["chain", "tfx"])
    func flatAndSpacedLinesImportTheSameRecords(shape: String) throws {
        let source = try MetadataStore.inMemory()
        try source.insert(shape == "chain" ? SyntheticStore.chain(executions: 60, seed: 3) : SyntheticStore.tfx(executions: 60, seed: 3))
        let lines = Self.exportLines(source)
        let flat = try MetadataStore.inMemory()
        try flat.importRecords(text: lines.joined(separator: "\n"))
        let spaced = try MetadataStore.inMemory()
        try spaced.importRecords(text: lines.map(Self.spaced).joined(separator: "\n"))
        #expect(Self.exportLines(flat) == lines)
        #expect(Self.exportLines(spaced) == lines)
    }

    @Test func linesTheFlatReaderLeavesToTheGeneralDecoder() throws {
        let base = [
            #"{"record":"type","kind":"artifact","id":20,"name":"D","properties":{}}"#,
            #"{"record":"type","kind":"execution","id":21,"name":"T","properties":{}}"#,
            #"{"record":"type","kind":"context","id":22,"name":"R","properties":{}}"#,
        ]
        let lines = [
            // an escaped string, a non-ASCII name, a property, a duplicated key (the last one counts)
            #"{"record":"artifact","id":1,"type_id":20,"name":"a\"1","uri":"/d/é","state":"LIVE","properties":{},"custom_properties":{"k":{"int":5}}}"#,
            #"{"record":"artifact","id":2,"type_id":20,"name":"a2","name":"a2b"}"#,
            #"{"record":"execution","id":1,"type_id":21,"name":"e1","last_known_state":"COMPLETE","unknown_key":7}"#,
            #"{"record":"context","id":1,"type_id":22,"name":"r1"}"#,
            #"{"record":"event","id":1,"artifact_id":1,"execution_id":1,"type":"INPUT","path":[{"index":0},{"key":"k"}],"milliseconds_since_epoch":5}"#,
            #"{"record":"event","id":2,"artifact_id":2,"execution_id":1,"type":"OUTPUT","milliseconds_since_epoch":007}"#,
            #"{"record":"attribution","id":1,"context_id":1,"artifact_id":1}"#,
            #"{"record":"association","context_id":1,"execution_id":1}"#,
        ]
        let store = try MetadataStore.inMemory()
        try store.importRecords(text: (base + lines).joined(separator: "\n"))
        let spacedStore = try MetadataStore.inMemory()
        try spacedStore.importRecords(text: (base + lines).map(Self.spaced).joined(separator: "\n"))
        #expect(Self.exportLines(store) == Self.exportLines(spacedStore))
        let g = store.snapshot
        #expect(g.artifacts.contains { $0.name == "a\"1" && $0.uri == "/d/é" })
        #expect(g.artifacts.contains { $0.name == "a2b" })
    }

    @Test(arguments: [
        #"{"record":"event","id":1,"artifact_id":1,"execution_id":1,"type":"BOGUS"}"#,
        #"{"record":"event","id":1,"artifact_id":1,"type":"INPUT"}"#,
        #"{"record":"attribution","id":99999999999999999999,"context_id":1,"artifact_id":1}"#,
        #"{"record":"artifact","id":5,"type_id":20,"state":"NOPE"}"#,
        #"{"record":"artifact","type_id":20,"name":"x"}"#,
        #"{"record":"context","id":5,"type_id":22}"#,
        #"{"record":"parent_context","child_id":1}"#,
        #"{"record":"event","id":1,"artifact_id":"1","execution_id":1,"type":"INPUT"}"#,
    ])
    func errorsAreTheGeneralDecodersErrors(line: String) throws {
        let base = [
            #"{"record":"type","kind":"artifact","id":20,"name":"D","properties":{}}"#,
            #"{"record":"type","kind":"context","id":22,"name":"R","properties":{}}"#,
        ]
        let flat = try Self.importError(base + [line])
        let spaced = try Self.importError(base + [Self.spaced(line)])
        #expect(flat != nil)
        #expect(flat == spaced)
    }
}
