import Pedigree
import PedigreeQuery
import PedigreeFixtures
import Testing

/// Every node of a syntax tree carries the range of the text it was parsed from: these tests
/// read the source back at each range. (Ranges take part in `==`; `hasSameContent(as:)` does
/// not look at them.)
@Suite struct SourceRangeTests {
    /// Each node of the query as `label: text at its range`, outermost first.
    static func texts(_ source: String) throws -> [String] {
        let (query, diagnostics) = Parser.parse(source)
        #expect(diagnostics.isEmpty, "\(DiagnosticRenderer.render(diagnostics, in: source))")
        let q = try #require(query)
        let bytes = Array(source.utf8)
        return ASTRanges.nodes(q).map { "\($0.label): " + String(decoding: bytes[$0.range.start..<$0.range.end], as: UTF8.self) }
    }

    /// Compares the node texts of `source` with `expected`, line by line.
    static func check(_ source: String, _ expected: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let actual = try texts(source)
        for i in 0..<max(actual.count, expected.count) {
            let a = i < actual.count ? actual[i] : "(none)", e = i < expected.count ? expected[i] : "(none)"
            #expect(a == e, "node \(i): expected \(e.debugDescription), found \(a.debugDescription)", sourceLocation: sourceLocation)
        }
    }

    @Test func everyNodeCoversItsText() throws {
        let source = "  explain artifact(type = 'Dataset' and name like 'd%') downstream{1,3} via (INPUT, OUTPUT) where state != DELETED\n"
            + "   until execution(type = 'Trainer') execution(last_known_state in (COMPLETE, CACHED)) return count group by type, `my prop`\n"
            + "order by depth desc limit $n  # a comment\n"
        try Self.check(source, [
            "query: explain artifact(type = 'Dataset' and name like 'd%') downstream{1,3} via (INPUT, OUTPUT) where state != DELETED\n"
                + "   until execution(type = 'Trainer') execution(last_known_state in (COMPLETE, CACHED)) return count group by type, `my prop`\n"
                + "order by depth desc limit $n",
            "pattern: artifact(type = 'Dataset' and name like 'd%')",
            "and: type = 'Dataset' and name like 'd%'",
            "compare: type = 'Dataset'",
            "field: type", "name: type", "value: 'Dataset'",
            "like: name like 'd%'",
            "field: name", "name: name", "value: 'd%'",
            "step: downstream{1,3} via (INPUT, OUTPUT) where state != DELETED\n   until execution(type = 'Trainer') execution(last_known_state in (COMPLETE, CACHED))",
            "bounds: {1,3}",
            "event type: INPUT", "event type: OUTPUT",
            "compare: state != DELETED",
            "field: state", "name: state", "value: DELETED",
            "pattern: execution(type = 'Trainer')",
            "compare: type = 'Trainer'",
            "field: type", "name: type", "value: 'Trainer'",
            "pattern: execution(last_known_state in (COMPLETE, CACHED))",
            "in: last_known_state in (COMPLETE, CACHED)",
            "field: last_known_state", "name: last_known_state", "value: COMPLETE", "value: CACHED",
            "field: type", "name: type",
            "field: `my prop`", "name: `my prop`",
            "field: depth", "name: depth",
            "limit: $n",
        ])
    }

    /// Offsets are UTF-8 bytes: text with multi-byte characters before a node does not shift it.
    @Test func nonASCIITextBeforeANode() throws {
        let source = "artifact(name = 'données-数' and `propriété`.x = -2.5) in context(name = 'exécution') upstream* artifact(`é` is not null) limit 3"
        try Self.check(source, [
            "query: " + source,
            "pattern: artifact(name = 'données-数' and `propriété`.x = -2.5) in context(name = 'exécution')",
            "and: name = 'données-数' and `propriété`.x = -2.5",
            "compare: name = 'données-数'",
            "field: name", "name: name", "value: 'données-数'",
            "compare: `propriété`.x = -2.5",
            "field: `propriété`.x", "name: `propriété`", "name: x", "value: -2.5",
            "context: context(name = 'exécution')",
            "compare: name = 'exécution'",
            "field: name", "name: name", "value: 'exécution'",
            "step: upstream* artifact(`é` is not null)",
            "bounds: *",
            "pattern: artifact(`é` is not null)",
            "is null: `é` is not null",
            "field: `é`", "name: `é`",
            "limit: 3",
        ])
    }

    @Test func notAndParenthesesAndShortestPath() throws {
        let source = "shortest path node(not (a = 1 or b = 2) and c in (1, 2)) both{2} until x = 1 prune node(y > 0) node"
        try Self.check(source, [
            "query: " + source,
            "pattern: node(not (a = 1 or b = 2) and c in (1, 2))",
            "and: not (a = 1 or b = 2) and c in (1, 2)",
            "not: not (a = 1 or b = 2)",
            "or: a = 1 or b = 2",
            "compare: a = 1", "field: a", "name: a", "value: 1",
            "compare: b = 2", "field: b", "name: b", "value: 2",
            "in: c in (1, 2)", "field: c", "name: c", "value: 1", "value: 2",
            "step: both{2} until x = 1 prune node(y > 0) node",
            "bounds: {2}",
            "compare: x = 1", "field: x", "name: x", "value: 1",
            "pattern: node(y > 0)",
            "compare: y > 0", "field: y", "name: y", "value: 0",
            "pattern: node",
        ])
    }

    /// Parentheses around an operand are part of an `and` or `or`; those around a whole
    /// predicate are not part of it.
    @Test func parenthesesAroundOperands() throws {
        let source = "node((a = 1 or b = 2) and (c = 3)) downstream where ((d = 4)) or not e in (5)"
        try Self.check(source, [
            "query: " + source,
            "pattern: node((a = 1 or b = 2) and (c = 3))",
            "and: (a = 1 or b = 2) and (c = 3)",
            "or: a = 1 or b = 2",
            "compare: a = 1", "field: a", "name: a", "value: 1",
            "compare: b = 2", "field: b", "name: b", "value: 2",
            "compare: c = 3", "field: c", "name: c", "value: 3",
            "step: downstream where ((d = 4)) or not e in (5)",
            "or: ((d = 4)) or not e in (5)",
            "compare: d = 4", "field: d", "name: d", "value: 4",
            "not: not e in (5)",
            "in: e in (5)", "field: e", "name: e", "value: 5",
        ])
    }

    /// The invariants hold on every query the generator makes (the fuzz tests check them on
    /// whatever parses, too).
    @Test func generatedQueriesHaveConsistentRanges() {
        var g = QueryGenerator(rng: SplitMix64(seed: 11))
        for _ in 0..<3_000 {
            let text = g.query()
            guard let query = Parser.parse(text).0 else { continue }
            let problems = ASTRanges.problems(query, in: text)
            #expect(problems.isEmpty, "\(text): \(problems)")
        }
    }

    /// Ranges take part in `==` (one query written at two places is not `==`), and content
    /// equality ignores them.
    @Test func rangesCompareAndContentEqualityIgnoresThem() throws {
        let a = try #require(Parser.parse("artifact(id = 1) downstream*").0)
        let b = try #require(Parser.parse("  artifact( id=1 )  downstream *").0)
        #expect(a != b)
        #expect(a.hasSameContent(as: b))
        #expect(a.start.range != b.start.range)
        #expect(SourceRange(1, 2) != SourceRange(1, 3) && SourceRange(1, 2) == SourceRange(1, 2))
        #expect(Set([SourceRange(0, 1), SourceRange(0, 1), SourceRange(1, 2)]).count == 2)
        let c = try #require(Parser.parse("artifact(id = 2) downstream*").0)
        #expect(!a.hasSameContent(as: c))
        let p = try #require(Parser.parsePredicate("a = 1 and b = 'x'").0)
        let q = try #require(Parser.parsePredicate("(a=1) and (b='x')").0)
        #expect(p != q && p.hasSameContent(as: q))
    }
}

/// Walks a syntax tree: every node with its range and its parent's, and the checks every range
/// must pass.
enum ASTRanges {
    struct Node {
        var label: String
        var range: SourceRange
        var parent: SourceRange?
    }

    static func nodes(_ q: Query) -> [Node] {
        var out: [Node] = [Node(label: "query", range: q.range, parent: nil)]
        pattern(q.start, q.range, &out)
        for s in q.steps {
            out.append(Node(label: "step", range: s.range, parent: q.range))
            if let r = s.bounds.range { out.append(Node(label: "bounds", range: r, parent: s.range)) }
            for name in s.via ?? [] { out.append(Node(label: "event type", range: name.range, parent: s.range)) }
            for c in s.clauses {
                switch c {
                case .where(let p): predicate(p, s.range, &out)
                case .until(let c), .prune(let c):
                    switch c {
                    case .pattern(let p): pattern(p, s.range, &out)
                    case .predicate(let p): predicate(p, s.range, &out)
                    }
                }
            }
            if let t = s.target { pattern(t, s.range, &out) }
        }
        if case .count(let keys) = q.returnClause { for k in keys { field(k, q.range, &out) } }
        for k in q.orderBy { field(k.field, q.range, &out) }
        switch q.limit {
        case .count(_, let r)?, .parameter(_, let r)?: out.append(Node(label: "limit", range: r, parent: q.range))
        case nil: break
        }
        return out
    }

    static func pattern(_ p: NodePattern, _ parent: SourceRange, _ out: inout [Node]) {
        out.append(Node(label: "pattern", range: p.range, parent: parent))
        if let pr = p.predicate { predicate(pr, p.range, &out) }
        if let scope = p.scope {
            out.append(Node(label: "context", range: scope.range, parent: p.range))
            if let pr = scope.predicate { predicate(pr, scope.range, &out) }
        }
    }

    static func predicate(_ p: Predicate, _ parent: SourceRange, _ out: inout [Node]) {
        switch p {
        case .and(let a, let b, _), .or(let a, let b, _):
            out.append(Node(label: { if case .and = p { return "and" } else { return "or" } }(), range: p.range, parent: parent))
            predicate(a, p.range, &out)
            predicate(b, p.range, &out)
        case .not(let a, let r):
            out.append(Node(label: "not", range: r, parent: parent))
            predicate(a, r, &out)
        case .compare(let f, _, let v), .like(let f, let v, _):
            out.append(Node(label: { if case .like = p { return "like" } else { return "compare" } }(), range: p.range, parent: parent))
            field(f, p.range, &out)
            out.append(Node(label: "value", range: v.range, parent: p.range))
        case .inList(let f, let vs, _, _):
            out.append(Node(label: "in", range: p.range, parent: parent))
            field(f, p.range, &out)
            for v in vs { out.append(Node(label: "value", range: v.range, parent: p.range)) }
        case .isNull(let f, _, let r):
            out.append(Node(label: "is null", range: r, parent: parent))
            field(f, r, &out)
        case .error(let r):
            out.append(Node(label: "error", range: r, parent: parent))
        }
    }

    static func field(_ f: FieldPath, _ parent: SourceRange, _ out: inout [Node]) {
        out.append(Node(label: "field", range: f.range, parent: parent))
        for n in f.names { out.append(Node(label: "name", range: n.range, parent: f.range)) }
    }

    /// What is wrong with the ranges of a query parsed from `source` without diagnostics: a range
    /// outside the text or its parent; a query range that is not the text from its first token to
    /// its last; a name, event type or value whose text does not read back as itself.
    static func problems(_ q: Query, in source: String) -> [String] {
        let bytes = Array(source.utf8)
        var problems: [String] = []
        func text(_ r: SourceRange) -> String { String(decoding: bytes[r.start..<r.end], as: UTF8.self) }
        let all = nodes(q)
        for n in all {
            guard 0 <= n.range.start, n.range.start <= n.range.end, n.range.end <= bytes.count else {
                problems.append("\(n.label) \(n.range) is outside the text (\(bytes.count) bytes)")
                continue
            }
            if n.range.start == n.range.end { problems.append("\(n.label) \(n.range) is empty") }
            if let parent = n.parent, !parent.contains(n.range) {
                problems.append("\(n.label) '\(text(n.range))' \(n.range) is outside its parent \(parent)")
            }
        }
        if problems.isEmpty {
            // The query: from its first token to its last.
            var lexer = Lexer(bytes)
            var first: SourceRange?, last = SourceRange(0, 0)
            while true {
                let t = lexer.next()
                if t.kind == .end { break }
                if first == nil { first = t.range }
                last = t.range
            }
            if let first, q.range != SourceRange(first.start, last.end) {
                problems.append("the query's range \(q.range) is not its tokens' \(first.start)..<\(last.end)")
            }
            // Names and values read back as themselves.
            func checkName(_ n: Located<String>) {
                let t = text(n.range)
                if t != n.value, t != "`" + n.value.replacing("`", with: "``") + "`" {
                    problems.append("name '\(n.value)' has the text '\(t)'")
                }
            }
            func checkValue(_ v: Literal) {
                let t = text(v.range)
                guard case .compare(_, _, let again)? = Parser.parsePredicate("x = " + t).0, again.value == v.value else {
                    problems.append("value \(v.value) has the text '\(t)'")
                    return
                }
            }
            func checkPredicate(_ p: Predicate) {
                // A predicate's text is that predicate: it parses alone to the same content.
                if case .error = p {} else if Parser.parsePredicate(text(p.range)).0?.hasSameContent(as: p) != true {
                    problems.append("predicate \(Printer.print(p)) has the text '\(text(p.range))'")
                }
                switch p {
                case .and(let a, let b, _), .or(let a, let b, _):
                    checkPredicate(a)
                    checkPredicate(b)
                case .not(let a, _): checkPredicate(a)
                case .compare(let f, _, let v), .like(let f, let v, _):
                    f.names.forEach(checkName)
                    checkValue(v)
                case .inList(let f, let vs, _, _):
                    f.names.forEach(checkName)
                    vs.forEach(checkValue)
                case .isNull(let f, _, _): f.names.forEach(checkName)
                case .error: problems.append("an error node in a query without diagnostics")
                }
            }
            func checkPattern(_ p: NodePattern) {
                if let pr = p.predicate { checkPredicate(pr) }
                if let pr = p.scope?.predicate { checkPredicate(pr) }
                let t = text(p.range).lowercased()
                if !(t.hasPrefix("artifact") || t.hasPrefix("execution") || t.hasPrefix("node")) {
                    problems.append("pattern text '\(t)' does not start with its kind")
                }
            }
            checkPattern(q.start)
            for s in q.steps {
                s.via?.forEach(checkName)
                for c in s.clauses {
                    switch c {
                    case .where(let p), .until(.predicate(let p)), .prune(.predicate(let p)): checkPredicate(p)
                    case .until(.pattern(let p)), .prune(.pattern(let p)): checkPattern(p)
                    }
                }
                if let t = s.target { checkPattern(t) }
                let t = text(s.range).lowercased()
                if !(t.hasPrefix("downstream") || t.hasPrefix("upstream") || t.hasPrefix("both")) {
                    problems.append("step text '\(t)' does not start with its direction")
                }
            }
            if case .count(let keys) = q.returnClause { keys.forEach { $0.names.forEach(checkName) } }
            q.orderBy.forEach { $0.field.names.forEach(checkName) }
        }
        return problems
    }
}
