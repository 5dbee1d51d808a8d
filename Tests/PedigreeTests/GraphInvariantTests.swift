@testable import Pedigree
@testable import PedigreeGraph
import PedigreeFixtures
import Testing

/// `invariantViolations` (what `_checkInvariants` and `check` report): clean on a loaded and a
/// written graph, and it does catch an index that disagrees with the nodes. The suite runs with
/// `PEDIGREE_CHECK_INVARIANTS=1`, so every snapshot any test publishes is checked too.
@Suite struct GraphInvariantTests {
    @Test func aLoadedGraphAndItsWritesKeepTheInvariants() throws {
        let contents = SyntheticStore.chain(executions: 300, seed: 3)
        var builder = GraphSnapshot.Builder()
        for t in contents.types { builder.add(t, id: t.id ?? TypeID(0)) }
        for a in contents.artifacts { builder.add(a, id: a.id ?? ArtifactID(0)) }
        for e in contents.executions { builder.add(e, id: e.id ?? ExecutionID(0)) }
        for c in contents.contexts { builder.add(c, id: c.id ?? ContextID(0)) }
        for (row, e) in contents.events { builder.add(rowID: row, e) }
        for (row, a) in contents.attributions { builder.add(rowID: row, a) }
        for (row, a) in contents.associations { builder.add(rowID: row, a) }
        var g = builder.finish()
        #expect(g.invariantViolations() == [])
        #expect(g.artifacts.count == contents.artifacts.count && g.events.count == contents.events.count)

        // A rename, a state change and a new node, each through the one generic put.
        var first = g.artifacts[0]
        first.name = "renamed"
        first.state = .deleted
        g.put(first, id: g.artifacts.id(at: 0))
        let type = g.artifacts.types[0]
        g.put(Artifact(typeID: type, name: "new", uri: "/new"), id: ArtifactID(1_000_000))
        g.addEvent(rowID: 9_999_999, Event(artifactID: ArtifactID(1_000_000), executionID: g.executions.id(at: 0), type: .output))
        #expect(g.invariantViolations() == [])
        #expect(g.artifacts.index(typeID: type, name: "renamed") == 0)
        #expect(g.artifactIndices(state: .deleted) == [0])
        #expect(g.artifactIndices(uri: "/new").count == 1)
        #expect(g.artifacts.indicesFollowIDs == false || g.artifacts.ids.last == 1_000_000)
    }

    @Test func aBrokenIndexIsReported() {
        var g = GraphSnapshot()
        let type = TypeID(10)
        g.putType(NodeType(kind: .artifact, name: "Dataset"), id: type)
        g.put(Artifact(typeID: type, name: "d"), id: ArtifactID(1))
        #expect(g.invariantViolations() == [])
        // A second node of the same type and name (MLMD's unique key forbids it): the name index
        // now finds only the newer one, and the older one is reported.
        g.put(Artifact(typeID: type, name: "d"), id: ArtifactID(2))
        let found = g.invariantViolations()
        #expect(found.count == 1)
        #expect(found.first?.contains("id 1: name 'd' not indexed") == true)
    }
}
