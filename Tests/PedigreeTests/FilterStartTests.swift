import Pedigree
import PedigreeFixtures
import Testing

/// `nodeIndices(_:matchingFilter:)`: MLMD filter semantics, with `id = N` / `id IN (...)` looked
/// up instead of scanned; the answers must be the same as a scan's.
@Suite struct FilterStartTests {
    @Test func idFiltersAnswerAsAScanDoes() throws {
        let store = try MetadataStore.inMemory()
        try DemoPipeline.write(into: store)
        let g = store.snapshot
        func ids(_ kind: NodeKind, _ filter: String) throws -> [Int64] {
            try g.nodeIndices(kind, matchingFilter: filter).map { g.nodeID(kind, $0) }
        }
        #expect(try ids(.artifact, "id = 3") == [3])
        #expect(try ids(.artifact, "  id=3 ") == [3])
        #expect(try ids(.artifact, "id IN (7, 3, 5)") == [3, 5, 7])
        #expect(try ids(.artifact, "id in (7,3)") == [3, 7])
        #expect(try ids(.artifact, "id IN (3, 3, 5)") == [3, 5])
        #expect(try ids(.artifact, "uri LIKE '%' AND id = 4") == [4])
        #expect(try ids(.artifact, "id = 999999").isEmpty)
        #expect(try ids(.execution, "id = 2") == [2])
        // Not the plain form: scanned, same semantics.
        #expect(try ids(.artifact, "id = 3 OR id = 4") == [3, 4])
        #expect(try ids(.artifact, "id IN (3) AND uri = 'nowhere'").isEmpty)
        #expect(try ids(.artifact, "id > 27").count == g.artifacts.count - 27)
        #expect(throws: MetadataError.self) { try ids(.artifact, "id = ") }
    }
}
