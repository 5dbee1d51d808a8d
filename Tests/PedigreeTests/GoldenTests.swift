import Foundation
import Pedigree
import PedigreeQuery
import Testing

/// Data-driven tests: each file under Golden/ holds cases of the form
///
///     directive
///     input (one or more lines)
///     ----
///     expected output (no blank lines)
///
/// separated by blank lines; lines starting with `#` between cases are comments.
/// `UPDATE_GOLDEN=1 swift test` rewrites the expected outputs (and fails, so it is never left on).
struct GoldenCase: CustomTestStringConvertible, Sendable {
    var file: String
    var line: Int
    var directive: String
    var input: String
    var expected: String
    var testDescription: String { "\(URL(fileURLWithPath: file).lastPathComponent):\(line) \(directive)" }
}

enum Golden {
    static var directory: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden") }

    /// The cases of a file under Golden/. A file that is missing or unreadable, a case without its
    /// `----` line, or a file without cases is an error: a parameterised test over its cases then
    /// fails (Swift Testing records the error) instead of passing with nothing run.
    static func cases(_ name: String) throws -> [GoldenCase] {
        let path = directory.appendingPathComponent(name).path
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw FixtureError("cannot read the golden file \(path): \(error)")
        }
        var cases: [GoldenCase] = []
        let lines = text.components(separatedBy: "\n")
        var i = 0
        while i < lines.count {
            let line = lines[i]
            if line.isEmpty || line.hasPrefix("#") {
                i += 1
                continue
            }
            let start = i + 1
            let directive = line
            i += 1
            var input: [String] = []
            while i < lines.count, lines[i] != "----" {
                input.append(lines[i])
                i += 1
            }
            guard i < lines.count else { throw FixtureError("\(path):\(start): the case '\(directive)' has no '----' line") }
            i += 1
            var expected: [String] = []
            while i < lines.count, !lines[i].isEmpty {
                expected.append(lines[i])
                i += 1
            }
            cases.append(GoldenCase(file: path, line: start, directive: directive, input: input.joined(separator: "\n"),
                                    expected: expected.joined(separator: "\n")))
        }
        guard !cases.isEmpty else { throw FixtureError("the golden file \(path) holds no cases") }
        return cases
    }

    /// Compares, or with UPDATE_GOLDEN=1 rewrites the file's expected output for the case.
    static func check(_ c: GoldenCase, actual: String, sourceLocation: SourceLocation = #_sourceLocation) {
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            rewrite(c, actual)
            Issue.record("UPDATE_GOLDEN=1 rewrote \(c.testDescription); run again without it", sourceLocation: sourceLocation)
            return
        }
        #expect(actual == c.expected, "\(c.testDescription)\n--- input\n\(c.input)\n--- expected\n\(c.expected)\n--- actual\n\(actual)", sourceLocation: sourceLocation)
    }

    private static let lock = NSLock()

    private static func rewrite(_ c: GoldenCase, _ actual: String) {
        lock.lock()
        defer { lock.unlock() }
        guard var lines = try? String(contentsOfFile: c.file, encoding: .utf8).components(separatedBy: "\n") else {
            Issue.record("UPDATE_GOLDEN=1 cannot read \(c.file) to rewrite it")
            return
        }
        // Find this case by its directive and input, then replace its expected block.
        var i = 0
        while i < lines.count {
            if lines[i] == c.directive {
                var j = i + 1
                var input: [String] = []
                while j < lines.count, lines[j] != "----" { input.append(lines[j]); j += 1 }
                if input.joined(separator: "\n") == c.input, j < lines.count {
                    var k = j + 1
                    while k < lines.count, !lines[k].isEmpty { k += 1 }
                    lines.replaceSubrange((j + 1)..<k, with: actual.isEmpty ? [] : actual.components(separatedBy: "\n"))
                    do {
                        try lines.joined(separator: "\n").write(toFile: c.file, atomically: true, encoding: .utf8)
                    } catch {
                        Issue.record("UPDATE_GOLDEN=1 cannot write \(c.file): \(error)")
                    }
                    return
                }
            }
            i += 1
        }
        Issue.record("UPDATE_GOLDEN=1 did not find \(c.testDescription) in \(c.file) to rewrite it")
    }
}

/// A fixture (golden file, example query) that is missing, unreadable or malformed.
struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

@Suite struct SyntaxGoldenTests {
    /// `parse`: the canonical print of the query, or its diagnostics as a person sees them.
    /// Every parsed query must also print back to itself.
    @Test(arguments: try Golden.cases("syntax.txt"))
    func syntax(_ c: GoldenCase) {
        let (query, diagnostics) = Parser.parse(c.input)
        if !diagnostics.isEmpty {
            Golden.check(c, actual: DiagnosticRenderer.render(diagnostics, in: c.input))
            return
        }
        guard let query else {
            Issue.record("no query and no diagnostics for \(c.input)")
            return
        }
        let printed = Printer.print(query)
        Golden.check(c, actual: printed)
        let (again, more) = Parser.parse(printed)
        #expect(more.isEmpty && again?.hasSameContent(as: query) == true, "the canonical print does not parse back to the same query: \(printed)")
    }
}

@Suite struct GrammarSyncTests {
    /// Every production of Grammar/pedigree.ebnf has a parser function marked `/// Grammar: Name`,
    /// and every marker names a production.
    @Test func parserImplementsEveryProduction() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let grammar = try String(contentsOf: root.appendingPathComponent("Grammar/pedigree.ebnf"), encoding: .utf8)
        let parser = try ["Parser.swift", "Parser+Predicates.swift"].map {
            try String(contentsOf: root.appendingPathComponent("Sources/PedigreeQuery/Syntax/\($0)"), encoding: .utf8)
        }.joined(separator: "\n")
        var productions: [String] = []
        for line in grammar.components(separatedBy: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let first = line.first, first.isUppercase else { continue }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            if name.allSatisfy({ $0.isLetter }) { productions.append(name) }
        }
        #expect(productions.count >= 30, "found only \(productions)")
        var marked: Set<String> = []
        for line in parser.components(separatedBy: "\n") {
            guard let r = line.range(of: "/// Grammar: ") else { continue }
            for name in line[r.upperBound...].split(separator: ",") { marked.insert(name.trimmingCharacters(in: .whitespaces)) }
        }
        for p in productions { #expect(marked.contains(p), "production \(p) has no parser function marked /// Grammar: \(p)") }
        for m in marked { #expect(productions.contains(m), "parser marker \(m) names no production") }
    }
}

@Suite struct PlannerGoldenTests {
    /// `explain`: the plan of the query on the demo pipeline.
    @Test(arguments: try Golden.cases("planner.txt"))
    func planner(_ c: GoldenCase) {
        do {
            Golden.check(c, actual: ExplainRenderer.render(try ExamplesTests.demo.plan(c.input)))
        } catch {
            Golden.check(c, actual: "error: \(error)")
        }
    }

    /// Each rule changes how a query runs, never what it answers.
    @Test(arguments: ["artifact(type = 'Examples') downstream* artifact(id = 29)", "artifact(id = 1) downstream* limit 3",
                      "artifact(type = 'Schema') downstream", "artifact(type = 'Examples') downstream* where state != DELETED artifact(id = 30)",
                      "execution(last_known_state = COMPLETE) upstream{1,3} artifact(id = 11)"])
    func rulesKeepAnswers(_ query: String) throws {
        let g = ExamplesTests.demo
        let with = AnswerText.render(try g.run(try g.plan(query)), g)
        let without = AnswerText.render(try g.run(try g.plan(query, disabledRules: Set(Planner.Rule.allCases))), g)
        #expect(with.components(separatedBy: "\ntruncated").first == without.components(separatedBy: "\ntruncated").first)
    }
}
