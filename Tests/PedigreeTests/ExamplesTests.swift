import Foundation
import Pedigree
import PedigreeQuery
import PedigreeFixtures
import Testing
@_spi(Engine) import PedigreeGraph

/// Every query in Grammar/examples/ parses, prints back to itself, and gives its expected answer
/// on the demo pipeline (DemoPipeline, the store `make demo` writes).
/// `UPDATE_GOLDEN=1 swift test` rewrites the expected answers (and fails).
@Suite struct ExamplesTests {
    struct Example: CustomTestStringConvertible, Sendable {
        var path: String
        var query: String
        var parameters: [String: String]
        var expected: String
        var testDescription: String { URL(fileURLWithPath: path).lastPathComponent }
    }

    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Grammar/examples")
    }

    /// Every example file. An unreadable directory, a directory without examples, and an example
    /// file that cannot be read or has no `----` line are errors: the tests over the examples
    /// fail (Swift Testing records the error) instead of passing with nothing run.
    static func examples() throws -> [Example] {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".pq") }.sorted()
        } catch {
            throw FixtureError("cannot list the examples in \(directory.path): \(error)")
        }
        guard !files.isEmpty else { throw FixtureError("\(directory.path) holds no example (.pq) files") }
        return try files.map { name in
            let path = directory.appendingPathComponent(name).path
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw FixtureError("cannot read the example \(path): \(error)")
            }
            let parts = text.components(separatedBy: "\n----\n")
            guard parts.count == 2 else {
                throw FixtureError("\(path): an example is the query, a '----' line and the expected answer (found \(parts.count - 1) '----' lines)")
            }
            var query: [String] = []
            var parameters: [String: String] = [:]
            for line in parts[0].components(separatedBy: "\n") {
                if line.hasPrefix("# params: ") {
                    for pair in line.dropFirst("# params: ".count).split(separator: " ") {
                        let kv = pair.split(separator: "=", maxSplits: 1)
                        parameters[String(kv[0])] = String(kv[1])
                    }
                } else if !line.hasPrefix("#") {
                    query.append(line)
                }
            }
            let expected = parts[1].trimmingCharacters(in: .newlines)
            return Example(path: path, query: query.joined(separator: "\n"), parameters: parameters, expected: expected)
        }
    }

    static let demo: GraphSnapshot = {
        let store = try! MetadataStore.inMemory()
        try! DemoPipeline.write(into: store)
        return store.snapshot
    }()

    @Test func thereAreEnoughExamples() throws {
        #expect(try Self.examples().count >= 30)
    }

    @Test(arguments: try examples())
    func example(_ e: Example) throws {
        let (parsed, diagnostics) = Parser.parse(e.query)
        #expect(diagnostics.isEmpty, "\(DiagnosticRenderer.render(diagnostics, in: e.query))")
        if let parsed {
            let printed = Printer.print(parsed)
            #expect(Parser.parse(printed).0?.hasSameContent(as: parsed) == true, "does not round-trip: \(printed)")
        }
        let g = Self.demo
        let actual: String
        do {
            let plan = try g.plan(e.query, parameters: e.parameters)
            if plan.query.mode == .explain {
                actual = ExplainRenderer.render(plan)
            } else {
                actual = AnswerText.render(try g.run(plan), g)
            }
        } catch {
            actual = "error: \(error)"
        }
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            let text = try String(contentsOfFile: e.path, encoding: .utf8)
            let head = text.components(separatedBy: "\n----\n")[0]
            try (head + "\n----\n" + actual + "\n").write(toFile: e.path, atomically: true, encoding: .utf8)
            Issue.record("UPDATE_GOLDEN=1 rewrote \(e.testDescription)")
            return
        }
        #expect(actual == e.expected, "\(e.testDescription)\n--- expected\n\(e.expected)\n--- actual\n\(actual)")
    }
}

/// A compact, deterministic text of a query's answer, with MLMD ids.
enum AnswerText {
    static func id(_ n: NodeRef, _ g: GraphSnapshot) -> String {
        switch n.kind {
        case .artifact: "artifact \(g.artifacts[Int(n.index)].id!)"
        case .execution: "execution \(g.executions[Int(n.index)].id!)"
        case .context: "context \(g.contexts[Int(n.index)].id!)"
        }
    }

    static func render(_ r: QueryResult, _ g: GraphSnapshot) -> String {
        var lines: [String] = []
        switch r.rows {
        case .nodes(let nodes):
            for n in nodes { lines.append(id(n.node, g) + (r.withDepth ? "  depth \(n.depth)" : "")) }
            if nodes.isEmpty { lines.append("(no nodes)") }
        case .count(let n): lines.append("count \(n)")
        case .groups(let rows): for row in rows { lines.append(row.keys.joined(separator: ", ") + ": \(row.count)") }
        case .subgraph(let s):
            lines.append("artifacts: " + s.artifacts.map { "\(g.artifacts[Int($0)].id!)" }.joined(separator: ", "))
            lines.append("executions: " + s.executions.map { "\(g.executions[Int($0)].id!)" }.joined(separator: ", "))
            lines.append("events: " + s.events.map { e in
                let ev = g.event(Int(e))
                return "\(ev.artifactID!)\(ev.type.isInput ? ">" : "<")\(ev.executionID!)"
            }.joined(separator: " "))
            lines.append("contexts: " + s.contexts.map { "\(g.contexts[Int($0)].id!)" }.joined(separator: ", "))
        case .paths(let paths):
            for p in paths { lines.append(p.nodes.map { id($0, g) }.joined(separator: " -> ")) }
            if paths.isEmpty { lines.append("(no paths)") }
        }
        if let t = r.truncated { lines.append("truncated: \(t)") }
        return lines.joined(separator: "\n")
    }
}
