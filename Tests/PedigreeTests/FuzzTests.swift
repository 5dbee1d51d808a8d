import Foundation
import Pedigree
import PedigreeQuery
import PedigreeFixtures
import Testing

/// Generator-driven fuzzing of the lexer, parser and binder (a bounded smoke: 100k+ inputs in CI).
/// Nothing may crash or hang; whatever parses must print back to itself, with ranges that hold.
@Suite struct FuzzTests {
    static let words = [
        "artifact", "execution", "node", "context", "in", "downstream", "upstream", "both", "where", "until", "prune",
        "return", "nodes", "subgraph", "paths", "count", "group", "by", "order", "limit", "with", "depth", "shortest",
        "path", "all", "explain", "profile", "via", "and", "or", "not", "like", "is", "null", "true", "false", "asc", "desc",
        "type", "name", "id", "uri", "state", "properties", "custom_properties", "contexts_a", "events_0", "accuracy",
        "int_value", "double_value", "string_value", "LIVE", "INPUT", "OUTPUT", "'Model'", "'x''y'", "\"s\"", "`q n`", "12",
        "0.5", "-3", "1e9", "$p", "(", ")", "{", "}", ",", ".", "*", "+", "=", "!=", "<>", "<", "<=", ">", ">=", "-", "#c\n",
        "é", "数", "~", "'", "`", "$",
    ]

    /// Parses and, when it succeeds, checks the round trip; binds against the demo store too.
    static func exercise(_ text: String) {
        let (query, diagnostics) = Parser.parse(text)
        if let query, diagnostics.isEmpty {
            let printed = Printer.print(query)
            let (again, more) = Parser.parse(printed)
            #expect(more.isEmpty && again?.hasSameContent(as: query) == true, "round trip failed: \(text) -> \(printed)")
            let problems = ASTRanges.problems(query, in: text)
            #expect(problems.isEmpty, "wrong source ranges in \(text): \(problems)")
            _ = try? ExamplesTests.demo.plan(text, parameters: ["p": "1"])
        } else {
            // Rendering diagnostics must work for any input, too.
            _ = DiagnosticRenderer.render(diagnostics, in: text)
        }
        _ = Parser.parsePredicate(text)
    }

    @Test func randomBytes() {
        var rng = SplitMix64(seed: 1)
        let alphabet = Array("aeinrstdoupwlcxyz_ ()'\"`{},.*+=!<>-$#0123456789\n\té数".unicodeScalars)
        for _ in 0..<40_000 {
            let n = Int(rng.next() % 48)
            var s = String.UnicodeScalarView()
            for _ in 0..<n { s.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
            Self.exercise(String(s))
        }
    }

    @Test func tokenSoup() {
        var rng = SplitMix64(seed: 2)
        for _ in 0..<40_000 {
            let n = Int(rng.next() % 14) + 1
            var parts: [String] = []
            for _ in 0..<n { parts.append(Self.words[Int(rng.next() % UInt64(Self.words.count))]) }
            Self.exercise(parts.joined(separator: rng.next() % 4 == 0 ? "" : " "))
        }
    }

    @Test func mutatedExamples() throws {
        var rng = SplitMix64(seed: 3)
        let seeds = try ExamplesTests.examples().map { Array($0.query) }
        #expect(!seeds.isEmpty)
        for _ in 0..<30_000 {
            var q = seeds[Int(rng.next() % UInt64(seeds.count))]
            for _ in 0..<(Int(rng.next() % 3) + 1) {
                let at = q.isEmpty ? 0 : Int(rng.next() % UInt64(q.count))
                switch rng.next() % 3 {
                case 0: if !q.isEmpty { q.remove(at: at) }
                case 1: q.insert(Array("()'.,= x0")[Int(rng.next() % 9)], at: at)
                default: if q.count > 1 { q.swapAt(at, Int(rng.next() % UInt64(q.count))) }
                }
            }
            Self.exercise(String(q))
        }
    }

    @Test func generatedQueriesRoundTrip() {
        var rng = SplitMix64(seed: 4)
        var g = QueryGenerator(rng: rng)
        for _ in 0..<10_000 {
            let text = g.query()
            let (query, diagnostics) = Parser.parse(text)
            #expect(diagnostics.isEmpty, "generated query does not parse: \(text)\n\(DiagnosticRenderer.render(diagnostics, in: text))")
            guard let query else { continue }
            let printed = Printer.print(query)
            #expect(Parser.parse(printed).0?.hasSameContent(as: query) == true, "\(text) -> \(printed)")
        }
        rng = g.rng
    }

    @Test func deepNestingIsRefusedQuickly() {
        let clock = ContinuousClock()
        let start = clock.now
        let text = "artifact(" + String(repeating: "(", count: 1_000_000) + "a = 1)"
        let (_, diagnostics) = Parser.parse(text)
        #expect(diagnostics.map(\.id) == ["syntax.nesting"])
        let notText = "artifact(" + String(repeating: "not ", count: 100_000) + "a = 1)"
        #expect(Parser.parse(notText).1.map(\.id) == ["syntax.nesting"])
        #expect(clock.now - start < .seconds(20))
    }
}

/// Random valid queries, from the grammar.
struct QueryGenerator {
    var rng: SplitMix64

    mutating func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
    mutating func chance(_ n: UInt64) -> Bool { rng.next() % n == 0 }

    mutating func name() -> String { pick(["type", "name", "uri", "state", "accuracy", "id", "`my prop`", "contexts_a.name", "properties.p.int_value", "events_0.type"]) }
    mutating func value() -> String { pick(["'Model'", "3", "-2", "0.25", "LIVE", "true", "$x", "'it''s'"]) }

    mutating func predicate(_ depth: Int = 0) -> String {
        if depth < 3, chance(3) { return predicate(depth + 1) + pick([" and ", " or "]) + predicate(depth + 1) }
        if depth < 3, chance(6) { return "not " + predicate(depth + 1) }
        if depth < 3, chance(6) { return "(" + predicate(depth + 1) + ")" }
        switch rng.next() % 5 {
        case 0: return name() + " " + pick(["=", "!=", "<", "<=", ">", ">="]) + " " + value()
        case 1: return name() + pick([" like ", " not like "]) + "'a%'"
        case 2: return name() + pick([" in (", " not in ("]) + value() + ", " + value() + ")"
        case 3: return name() + pick([" is null", " is not null"])
        default: return name() + " = " + value()
        }
    }

    mutating func pattern() -> String {
        var p = pick(["artifact", "execution", "node"])
        if !chance(4) { p += "(" + (chance(5) ? "" : predicate()) + ")" }
        if chance(5) { p += " in context(" + predicate() + ")" }
        return p
    }

    mutating func step() -> String {
        var s = pick(["downstream", "upstream", "both"]) + pick(["", "*", "+", "{2}", "{0,3}", "{1,}"])
        if chance(5) { s += " via (INPUT, OUTPUT)" }
        if chance(4) { s += " where " + predicate() }
        if chance(5) { s += " until " + (chance(2) ? pattern() : predicate()) }
        if chance(5) { s += " prune " + pattern() }
        if chance(2) { s += " " + pattern() }
        return s
    }

    mutating func query() -> String {
        var q = pick(["", "explain ", "profile "]) + pick(["", "", "shortest path ", "all paths "]) + pattern()
        for _ in 0..<(Int(rng.next() % 3)) { q += " " + step() }
        if chance(3) { q += " return " + pick(["nodes", "nodes with depth", "subgraph", "paths", "count", "count group by type, state"]) }
        if chance(4) { q += " order by " + pick(["depth desc", "id", "name asc, depth"]) }
        if chance(4) { q += " limit " + pick(["10", "$n"]) }
        return q
    }
}
