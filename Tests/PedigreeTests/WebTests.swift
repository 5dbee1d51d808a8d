import Foundation
import Testing

import Pedigree
import PedigreeFixtures
import PedigreeModel
@_spi(Engine) import PedigreeGraph
@testable import PedigreeWeb

/// The lineage explorer without HTTP: its views against the query language's walks, its request
/// parsing, escaping, search order and routes (Tests/Web drives the real server and browser).
@Suite struct WebTests {
    static func demo() throws -> MetadataStore {
        let store = try MetadataStore.inMemory()
        try DemoPipeline.write(into: store)
        return store
    }

    static func tfx() throws -> MetadataStore {
        let store = try MetadataStore.inMemory()
        try store.insert(SyntheticStore.tfx(executions: 1_500, seed: 5))
        return store
    }

    /// The nodes of a subgraph query.
    static func nodes(_ g: GraphSnapshot, _ q: String) throws -> Set<NodeRef> {
        guard case .subgraph(let s) = try g.query(q).rows else { Issue.record("not a subgraph: \(q)"); return [] }
        return Set(s.artifacts.map { NodeRef(.artifact, $0) } + s.executions.map { NodeRef(.execution, $0) })
    }

    static func text(_ g: GraphSnapshot, _ n: NodeRef) -> String { "\(n.kind)(id = \(g.id(of: n)))" }

    /// Some artifacts and executions of a store, spread over it.
    static func sample(_ g: GraphSnapshot, every step: Int) -> [NodeRef] {
        stride(from: 0, to: g.nodeCount(.artifact), by: step).map { NodeRef(.artifact, Int32($0)) }
            + stride(from: 0, to: g.nodeCount(.execution), by: step).map { NodeRef(.execution, Int32($0)) }
    }

    @Test(arguments: ["demo", "tfx"])
    func aViewIsTheUnionOfItsTwoWalks(shape: String) throws {
        let g = try (shape == "demo" ? Self.demo() : Self.tfx()).snapshot
        for focus in Self.sample(g, every: shape == "demo" ? 1 : 97) {
            for (up, down) in [(0, 0), (1, 2), (3, 1), (6, 6)] {
                let view = LineageView(g, LineageRequest(focus: focus, up: up, down: down))
                let up = try Self.nodes(g, "\(Self.text(g, focus)) upstream{0,\(up)} return subgraph")
                let down = try Self.nodes(g, "\(Self.text(g, focus)) downstream{0,\(down)} return subgraph")
                #expect(Set(view.nodes) == up.union(down), "\(Self.text(g, focus)) up \(up) down \(down)")
                for n in view.nodes where n != focus {
                    let d = view.distance[n]!
                    #expect(d != 0 && (d < 0 ? up.contains(n) : down.contains(n)))
                }
                // Every event between two shown nodes is drawn, and only those.
                let shown = Set(view.nodes)
                let induced = Set(view.nodes.filter { $0.kind == .artifact }.flatMap { a in
                    g.artifactEvents.items(a.index).filter { e in
                        shown.contains(NodeRef(.execution, g.events.executions[Int(e)])) && g.events.types[Int(e)] != 0
                    }
                })
                #expect(Set(view.events) == induced)
            }
        }
    }

    @Test func collapsingANodeHidesOnlyWhatLiesBeyondIt() throws {
        let g = try Self.demo().snapshot
        let model = try #require(g.nodeIndex(kind: .artifact, id: 29)).asArtifact
        let full = LineageView(g, LineageRequest(focus: model, up: 6, down: 0))
        let trainer = try #require(full.nodes.first { full.distance[$0] == -1 && $0.kind == .execution })
        let cut = LineageView(g, LineageRequest(focus: model, up: 6, down: 0, collapse: [trainer]))
        // What the cut leaves out lies beyond the trainer: its own upstream walk, in the 5 hops left.
        let beyond = try Self.nodes(g, "\(Self.text(g, trainer)) upstream{1,5} return subgraph")
        #expect(Set(full.nodes).subtracting(cut.nodes).isSubset(of: beyond))
        #expect(cut.nodes.count < full.nodes.count)
        #expect(cut.hiddenBehind[trainer] == full.nodes.count - cut.nodes.count)
        #expect(cut.nodes.contains(trainer) && (cut.moreUpstream[trainer] ?? 0) > 0)
    }

    @Test func expandingANodeShowsTwoHopsAroundIt() throws {
        let g = try Self.demo().snapshot
        let model = try #require(g.nodeIndex(kind: .artifact, id: 29)).asArtifact
        let small = LineageView(g, LineageRequest(focus: model, up: 1, down: 0))
        let edge = try #require(small.nodes.first { (small.moreUpstream[$0] ?? 0) > 0 && $0 != model })
        let grown = LineageView(g, LineageRequest(focus: model, up: 1, down: 0, expand: [edge]))
        let around = try Self.nodes(g, "\(Self.text(g, edge)) upstream{0,2} return subgraph")
            .union(try Self.nodes(g, "\(Self.text(g, edge)) downstream{0,2} return subgraph"))
        #expect(Set(grown.nodes) == Set(small.nodes).union(around))
    }

    @Test func aPathViewHoldsTheNodesBetweenTheTwo() throws {
        let g = try Self.tfx().snapshot
        var checked = 0
        for focus in Self.sample(g, every: 211) {
            let up = try Self.nodes(g, "\(Self.text(g, focus)) upstream* return subgraph")
            for target in up.sorted().prefix(20) where target != focus {
                let view = LineageView(g, LineageRequest(focus: focus, pathTo: target))
                let between = up.intersection(try Self.nodes(g, "\(Self.text(g, target)) downstream* return subgraph"))
                #expect(Set(view.nodes) == between && !view.noPath)
                checked += 1
            }
        }
        #expect(checked > 20)
        // No directed path: the two ends alone, and said so.
        let a = NodeRef(.artifact, 0), b = NodeRef(.artifact, Int32(g.nodeCount(.artifact) - 1))
        let view = LineageView(g, LineageRequest(focus: a, pathTo: b))
        if try !Self.nodes(g, "\(Self.text(g, a)) both* return subgraph").contains(b) {
            #expect(view.noPath && Set(view.nodes) == [a, b])
        }
    }

    @Test func theTypeFilterKeepsTheFocus() throws {
        let g = try Self.demo().snapshot
        let model = try #require(g.nodeIndex(kind: .artifact, id: 29)).asArtifact
        let full = LineageView(g, LineageRequest(focus: model, up: 6, down: 6))
        let only = LineageView(g, LineageRequest(focus: model, up: 6, down: 6, types: ["Examples"]))
        #expect(Set(only.nodes) == Set(full.nodes.filter { g.typeName(of: $0) == "Examples" || $0 == model }))
        #expect(only.hiddenByType.values.reduce(0, +) == full.nodes.count - only.nodes.count)
        let hidden = LineageView(g, LineageRequest(focus: model, up: 6, down: 6, hide: ["Model", "Examples"]))
        #expect(Set(hidden.nodes) == Set(full.nodes.filter { !["Model", "Examples"].contains(g.typeName(of: $0)) || $0 == model }))
    }

    @Test func htmlEscapesMarkup() {
        #expect(HTML.escape(#"<a href="x">'&"#) == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;")
        #expect(!HTML.scriptJSON(#"{"n":"</script><script>"}"#).contains("<"))
        #expect(HTML.url("/node/artifact/1", [("q", "a b&c=<d>"), ("empty", "")]) == "/node/artifact/1?q=a%20b%26c%3D%3Cd%3E")
        #expect(HTML.count(1234567) == "1,234,567" && HTML.count(-1000) == "-1,000" && HTML.count(12) == "12")
    }

    @Test func requestFieldsComeFromTheURLAndTheBody() throws {
        let r = try WebRequest(method: "GET", target: "/node/artifact/1?up=2&expand=artifact:1,execution:2&expand=artifact:3&q=a+b%20c&p.t=Model")
        #expect(r.path == "/node/artifact/1" && r["q"] == "a b c" && r.list("expand") == ["artifact:1", "execution:2", "artifact:3"])
        #expect(try r.int("up", default: 0, in: 0...5) == 2 && r.queryParameters == ["t": "Model"])
        #expect(throws: WebError.self) { try r.int("q", default: 0, in: 0...5) }
        let json = try WebRequest(method: "POST", target: "/api/v1/query", headers: ["content-type": "application/json"],
                                  body: Array(#"{"q": "x", "limit": 3, "parameters": {"n": 2, "b": true}}"#.utf8))
        #expect(json["q"] == "x" && json["limit"] == "3" && json.queryParameters == ["n": "2", "b": "true"])
        for (type, body, status) in [("application/json", "[1]", 400), ("application/json", "{\"parameters\": 1}", 400), ("text/plain", "q=x", 415)] {
            let result = Result { () throws(WebError) in
                try WebRequest(method: "POST", target: "/", headers: ["content-type": type], body: Array(body.utf8))
            }
            guard case .failure(let error) = result else {
                Issue.record("\(type) \(body) was taken")
                continue
            }
            #expect(error.status == status)
        }
        #expect(throws: WebError.self) { _ = try WebRequest(method: "POST", target: "/", headers: ["content-type": "application/json"], body: [0xff, 0xfe]) }
    }

    @Test func searchPutsExactNamesFirst() throws {
        let g = try Self.demo().snapshot
        let s = NodeSearch(g, index: SearchIndex(g), text: "CHICAGO-taxi-run-2/model", kind: nil, typeName: nil, limit: 5)
        #expect(s.hits.first.map { g.id(of: $0.node) } == 14 && s.hits.first?.rank == 0)
        let all = NodeSearch(g, index: SearchIndex(g), text: "run-2", kind: .artifact, typeName: nil, limit: 3)
        #expect(all.hits.count == 3 && all.total > 3 && all.hits.allSatisfy { $0.node.kind == .artifact })
        #expect(NodeSearch(g, index: SearchIndex(g), text: "artifact:29", kind: nil, typeName: nil, limit: 5).hits.map { g.id(of: $0.node) } == [29])
        #expect(NodeSearch(g, index: SearchIndex(g), text: "no such thing", kind: nil, typeName: nil, limit: 5).total == 0)
    }

    @Test func theSearchIndexFindsWhatAScanFinds() throws {
        let g = try Self.tfx().snapshot
        let index = SearchIndex(g)
        for text in ["run-1", "EXAMPLES", "pipeline-0-run-10/model", "/", "zzz", "e", "gs://"] {
            let needle = Array(text.utf8)
            var found: [NodeRef] = []
            index.matches(needle.map(NodeSearch.fold)) { ref, _, _, _ in found.append(ref) }
            var want: Set<NodeRef> = []
            for k in [NodeKind.artifact, .execution, .context] {
                for i in 0..<g.nodeCount(k) {
                    let ref = NodeRef(k, Int32(i))
                    let uri = k == .artifact ? g.artifacts.uri(at: i) : nil
                    if [g.nodeName(ref), uri].contains(where: { $0.map { NodeSearch.contains(needle, $0) } ?? false }) { want.insert(ref) }
                }
            }
            #expect(Set(found) == want && found.count >= want.count, "\(text)")
        }
    }

    @Test func routesAnswerWithTheirStatus() async throws {
        let store = try Self.demo()
        let app = WebApp(store: store, limits: QueryLimits(), authToken: nil)
        for (target, status) in [
            ("/", 200), ("/?q=model", 200), ("/node/artifact/29", 200), ("/node/context/1", 200), ("/impact/artifact/1", 200),
            ("/query?q=artifact()", 200), ("/query?q=artifact(", 200), ("/node/artifact/999", 404), ("/nowhere", 404),
            ("/api/v1/nodes?q=x", 200), ("/api/v1/lineage/artifact/29?format=dot", 200), ("/api/v1/lineage/artifact/29?up=x", 400),
            ("/api/v1/impact/context/1", 400), ("/api/v1/nope", 404), ("/api/v1/check?q=artifact()", 200), ("/api/v1/check?q=artifact(", 400),
        ] {
            let r = await app.respond(try WebRequest(method: "GET", target: target))
            #expect(r.status == status, "\(target)")
        }
        let post = await app.respond(try WebRequest(method: "POST", target: "/api/v1/stats", headers: ["content-type": "application/json"], body: Array("{}".utf8)))
        #expect(post.status == 405)

        let locked = WebApp(store: store, limits: QueryLimits(), authToken: "t0ken")
        #expect(await locked.respond(try WebRequest(method: "GET", target: "/api/v1/stats")).status == 401)
        #expect(await locked.respond(try WebRequest(method: "GET", target: "/api/v1/stats", headers: ["authorization": "Bearer t0ken"])).status == 200)
        let page = await locked.respond(try WebRequest(method: "GET", target: "/node/artifact/1"))
        #expect(page.status == 303 && page.headers.contains { $0.0 == "Location" && $0.1 == "/login?next=/node/artifact/1" })
        #expect(await locked.respond(try WebRequest(method: "GET", target: "/", headers: ["cookie": "a=b; pedigree_token=t0ken"])).status == 200)
        #expect(await locked.respond(try WebRequest(method: "GET", target: "/static/pedigree.css")).status == 200)
    }
}

extension Int32 {
    fileprivate var asArtifact: NodeRef { NodeRef(.artifact, self) }
}
