import Foundation
import Pedigree
import PedigreeFixtures
import Testing
@_spi(Engine) import PedigreeGraph

@Suite struct QueryExecutionTests {
    static let chain: GraphSnapshot = {
        let store = try! MetadataStore.inMemory()
        try! store.insert(SyntheticStore.chain(executions: 3_000, seed: 7))
        return store.snapshot
    }()

    @Test func visitBudgetIsAClearError() throws {
        let message = expectError(.resourceExhausted) {
            _ = try Self.chain.query("artifact(name = 'dataset-0') downstream*", limits: QueryLimits(maxVisits: 5_000))
        }
        #expect(message.contains("budget"))
    }

    @Test func deadlineIsAClearError() throws {
        let message = expectError(.deadlineExceeded) {
            _ = try Self.chain.query("node() both*", limits: QueryLimits(timeout: .nanoseconds(1)))
        }
        #expect(message.contains("deadline"))
    }

    @Test func cancellationStopsAQuery() async throws {
        let g = Self.chain
        let task = Task { () throws -> QueryResult in
            withUnsafeCurrentTask { $0?.cancel() }
            return try g.query("node() both*")
        }
        await #expect(throws: MetadataError.self) { _ = try await task.value }
        do {
            _ = try await task.value
        } catch let error as MetadataError {
            #expect(error.code == .cancelled)
        }
    }

    @Test func limitsAreNeverSilent() throws {
        let r = try Self.chain.query("artifact(type = 'Model') limit 5")
        guard case .nodes(let nodes) = r.rows else { Issue.record("not nodes"); return }
        #expect(nodes.count == 5)
        let t = try #require(r.truncated)
        #expect(t.returned == 5 && t.omitted == 1995)
        // Early stop: the count of what was left is unknown, and says so.
        let early = try Self.chain.query("artifact(name = 'dataset-0') downstream* limit 3")
        #expect(early.truncated?.omitted == nil && early.truncated?.returned == 3)
        // No limit reached: no truncation.
        #expect(try Self.chain.query("artifact(type = 'Model') limit 5000").truncated == nil)
    }

    /// The reverse strategy answers exactly what the forward one does.
    @Test func reverseAndForwardAgree() throws {
        let g = Self.chain
        var rng = SplitMix64(seed: 11)
        var reversed = 0
        for _ in 0..<40 {
            let target = Int(rng.next() % 6000) + 11
            let bounds = ["*", "{1,6}", "{2,10}", "{0,4}"][Int(rng.next() % 4)]
            let q = "artifact(type = 'Dataset' or type = 'Examples') downstream\(bounds) where id != \(target + 7) artifact(id = \(target))"
            let plan = try g.plan(q)
            if plan.fired(.reverseSelectiveStep) { reversed += 1 }
            let a = AnswerText.render(try g.run(plan), g)
            let b = AnswerText.render(try g.run(try g.plan(q, disabledRules: [.reverseSelectiveStep])), g)
            #expect(a == b, "\(q)")
        }
        #expect(reversed == 40, "the rule should fire on these queries")
    }

    /// Searching from both ends finds paths as short as searching from one, and valid ones.
    @Test func bidirectionalShortestPathsAreShortest() throws {
        let g = Self.chain
        var rng = SplitMix64(seed: 5)
        var fired = 0
        for _ in 0..<40 {
            let a = Int(rng.next() % 6000) + 11, b = Int(rng.next() % 6000) + 11
            let (from, to) = (max(a, b), min(a, b))
            let q = "shortest path artifact(id = \(from)) upstream* where id != \(from - 3) artifact(id = \(to))"
            let plan = try g.plan(q)
            if plan.fired(.searchFromBothEnds) { fired += 1 }
            guard case .paths(let two) = try g.run(plan).rows,
                case .paths(let one) = try g.run(try g.plan(q, disabledRules: [.searchFromBothEnds])).rows
            else { Issue.record("not paths"); continue }
            #expect(two.count == one.count, "\(q)")
            guard let p = two.first, let o = one.first else { continue }
            #expect(p.events.count == o.events.count, "\(q): \(p.events.count) vs \(o.events.count) hops")
            // The path is a real walk: consecutive nodes joined by the named events, upstream.
            for (i, e) in p.events.enumerated() {
                let ends = Set([NodeRef(.artifact, g.events.artifacts[Int(e)]), NodeRef(.execution, g.events.executions[Int(e)])])
                #expect(ends == Set([p.nodes[i], p.nodes[i + 1]]))
            }
            #expect(AnswerText.id(p.nodes.first!, g) == "artifact \(from)" && AnswerText.id(p.nodes.last!, g) == "artifact \(to)")
        }
        #expect(fired == 40)
    }

    /// Depths are the smallest number of hops, found independently by a plain BFS here.
    @Test func depthsAreShortestHops() throws {
        let g = Self.chain
        let r = try g.query("artifact(name = 'dataset-3') downstream{1,12} return nodes with depth")
        guard case .nodes(let nodes) = r.rows else { Issue.record("not nodes"); return }
        var depth: [String: Int] = [:]
        let start = g.artifacts.index(typeID: g.type(kind: .artifact, name: "Dataset", version: nil)!.id!, name: "dataset-3")!
        var frontier: [(NodeKind, Int32)] = [(.artifact, start)]
        depth["artifact \(start)"] = 0
        var d = 0
        while !frontier.isEmpty && d < 12 {
            var next: [(NodeKind, Int32)] = []
            for (kind, i) in frontier {
                let events = kind == .artifact ? g.artifactEvents.items(i) : g.executionEvents.items(i)
                for e in events {
                    guard g.event(Int(e)).type.isInput == (kind == .artifact) else { continue }
                    let far: (NodeKind, Int32) = kind == .artifact ? (.execution, g.events.executions[Int(e)]) : (.artifact, g.events.artifacts[Int(e)])
                    let key = "\(far.0) \(far.1)"
                    if depth[key] == nil {
                        depth[key] = d + 1
                        next.append(far)
                    }
                }
            }
            frontier = next
            d += 1
        }
        #expect(nodes.count == depth.count - 1)
        for n in nodes { #expect(depth["\(n.node.kind) \(n.node.index)"] == n.depth) }
    }

    @Test func badQueriesGiveDiagnostics() throws {
        let g = ExamplesTests.demo
        for (q, id) in [("artifact(type = 'Modle')", "bind.unknown-type"), ("artifact(span = 'x')", "bind.value-kind"),
                        ("artifact((a = 1)", "syntax.expected"), ("artifact() sideways", "syntax.expected"), ("", "syntax.empty"),
                        ("artifact() downstream via (INPUTS)", "bind.unknown-event-type"), ("artifact(state = LIVID)", "bind.unknown-value")] {
            do {
                _ = try g.plan(q)
                Issue.record("\(q) planned")
            } catch let error as QueryError {
                #expect(error.diagnostics.first?.id == id, "\(q): \(error.diagnostics.map(\.id))")
            }
        }
    }

    /// A walk's results come in (depth, kind, id) order however its nodes lie in the store: a
    /// depth whose nodes are far apart (sorted by comparison, not by reading its bits), the
    /// depth after it (which must not see that depth's bits), and a store whose dense indices
    /// do not follow ids (an import with ids in descending order).
    @Test func walkOrdersNodesByDepthKindAndID() throws {
        let count = 10_000
        func lines(artifactIDs: [Int]) -> String {
            var lines = [#"{"record":"type","kind":"artifact","id":10,"name":"Blob","properties":{}}"#,
                         #"{"record":"type","kind":"execution","id":11,"name":"Step","properties":{}}"#]
            for id in artifactIDs { lines.append(#"{"record":"artifact","id":\#(id),"type_id":10,"name":"a\#(id)"}"#) }
            for id in [1, 2] { lines.append(#"{"record":"execution","id":\#(id),"type_id":11}"#) }
            // e1: a1 in; a10000, a5000, a2 out (in that order). e2: a10000 in, a3 out.
            let events: [(Int, Int, String)] = [(1, 1, "INPUT"), (count, 1, "OUTPUT"), (count / 2, 1, "OUTPUT"), (2, 1, "OUTPUT"),
                                                (count, 2, "INPUT"), (3, 2, "OUTPUT")]
            for (row, (a, e, type)) in events.enumerated() {
                lines.append(#"{"record":"event","id":\#(row + 1),"artifact_id":\#(a),"execution_id":\#(e),"type":"\#(type)"}"#)
            }
            return lines.joined(separator: "\n")
        }
        let expected: [String] = ["execution 1 @1", "artifact 2 @2", "artifact 5000 @2", "artifact 10000 @2", "execution 2 @3", "artifact 3 @4"]
        for order in [Array(1...count), Array((1...count).reversed())] {
            let store = try MetadataStore.inMemory()
            try store.importRecords(text: lines(artifactIDs: order))
            let r = try store.snapshot.query("artifact(name = 'a1') downstream*")
            guard case .nodes(let nodes) = r.rows else { Issue.record("not nodes"); return }
            #expect(nodes.map { "\($0.node.kind) \($0.id) @\($0.depth)" } == expected, "artifacts imported in \(order[0] == 1 ? "ascending" : "descending") id order")
        }
    }
}
