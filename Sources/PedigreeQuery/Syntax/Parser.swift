/// A hand-written recursive-descent parser for `Grammar/pedigree.ebnf`. Syntax only: names are
/// resolved by the binder. It reports every problem it can find: after an error it skips to the
/// next clause keyword and goes on.
package struct Parser {
    /// How deeply predicates may nest (parentheses and `not`).
    package static let maxNesting = 128

    let source: [UInt8]
    var tokens: [Token] = []
    var at = 0
    var depth = 0
    /// Set after a fatal error (too deep a nesting): nothing more useful can be reported.
    var abandoned = false
    package private(set) var diagnostics: [Diagnostic] = []

    package init(_ text: String) {
        source = Array(text.utf8)
        var lexer = Lexer(source)
        while true {
            let token = lexer.next()
            tokens.append(token)
            if token.kind == .end { break }
        }
    }

    /// Parses a whole query. The result is nil only when nothing usable was found; check
    /// `diagnostics` in every case.
    package static func parse(_ text: String) -> (Query?, [Diagnostic]) {
        var parser = Parser(text)
        let query = parser.parseQuery()
        return (query, parser.diagnostics)
    }

    /// Parses a predicate alone: MLMD's `filter_query`.
    package static func parsePredicate(_ text: String) -> (Predicate?, [Diagnostic]) {
        var parser = Parser(text)
        guard parser.current.kind != .end else {
            parser.error("syntax.empty", "the filter query is empty", at: parser.current.range)
            return (nil, parser.diagnostics)
        }
        let predicate = parser.parsePredicate()
        if parser.current.kind != .end { parser.expected("'and', 'or' or the end of the filter query") }
        return (parser.diagnostics.isEmpty ? predicate : nil, parser.diagnostics)
    }

    // MARK: Tokens

    var current: Token { tokens[at] }
    var previousEnd: Int { at > 0 ? tokens[at - 1].range.end : 0 }

    func text(_ token: Token) -> String { String(decoding: source[token.range.start..<token.range.end], as: UTF8.self) }

    mutating func advance() -> Token {
        let token = tokens[at]
        if token.kind != .end { at += 1 }
        return token
    }

    /// True if the current token is the keyword `word` (case-insensitive).
    func isKeyword(_ word: StaticString, _ token: Token? = nil) -> Bool {
        let t = token ?? current
        guard t.kind == .identifier, t.range.end - t.range.start == word.utf8CodeUnitCount else { return false }
        return word.withUTF8Buffer { w in
            for i in 0..<w.count where source[t.range.start + i] | 0x20 != w[i] | 0x20 { return false }
            return true
        }
    }

    func peekIsKeyword(_ word: StaticString, offset: Int = 1) -> Bool {
        at + offset < tokens.count && isKeyword(word, tokens[at + offset])
    }

    mutating func acceptKeyword(_ word: StaticString) -> Token? {
        guard isKeyword(word) else { return nil }
        return advance()
    }

    mutating func accept(_ kind: Token.Kind) -> Token? {
        guard current.kind == kind else { return nil }
        return advance()
    }

    struct Failure: Error {}

    mutating func error(_ id: String, _ message: String, at range: SourceRange, notes: [String] = []) {
        guard !abandoned else { return }
        diagnostics.append(Diagnostic(id, message, at: range, notes: notes))
    }

    /// Reports that `what` was expected at the current token.
    mutating func expected(_ what: String) {
        guard !abandoned else { return }
        let found: String
        switch current.kind {
        case .end: found = "the end of the query"
        case .invalid:
            error("syntax.invalid-token", invalidTokenMessage(current), at: current.range)
            return
        case .identifier: found = "'\(text(current))'"
        default: found = "'\(text(current))'"
        }
        error("syntax.expected", "expected \(what), found \(found)", at: current.range)
    }

    func invalidTokenMessage(_ token: Token) -> String {
        let t = text(token)
        if t.hasPrefix("'") || t.hasPrefix("\"") { return "unterminated string" }
        if t.hasPrefix("`") { return "unterminated quoted name" }
        if t == "$" { return "'$' must be followed by a parameter name" }
        return "unexpected character '\(t)'"
    }

    mutating func expect(_ kind: Token.Kind, _ what: String) throws(Failure) -> Token {
        guard let token = accept(kind) else {
            expected(what)
            throw Failure()
        }
        return token
    }

    /// Skips to the next clause keyword, to go on after an error.
    mutating func recover() {
        while current.kind != .end {
            for word: StaticString in ["downstream", "upstream", "both", "where", "until", "prune", "return", "order", "limit"]
            where isKeyword(word) { return }
            _ = advance()
        }
    }

    // MARK: Query

    /// Grammar: Query, Pattern
    mutating func parseQuery() -> Query? {
        let first = current.range
        if current.kind == .end {
            error("syntax.empty", "the query is empty", at: first, notes: ["a query starts with artifact(...), execution(...) or node(...)"])
            return nil
        }
        var mode = Query.Mode.run
        if acceptKeyword("explain") != nil { mode = .explain } else if acceptKeyword("profile") != nil { mode = .profile }
        var pathMode = Query.PathMode.reach
        do {
            pathMode = try parsePathMode()
        } catch {
            recover()
        }
        guard let start = parseNodePatternOrRecover(required: true) else { return nil }
        var query = Query(start: start, range: first)
        query.mode = mode
        query.pathMode = pathMode
        while isDirection {
            if let step = parseStepOrRecover() { query.steps.append(step) }
        }
        if isKeyword("return") {
            do { query.returnClause = try parseReturnClause() } catch { recover() }
        }
        if isKeyword("order") {
            do { query.orderBy = try parseOrderClause() } catch { recover() }
        }
        if isKeyword("limit") {
            do { query.limit = try parseLimitClause() } catch { recover() }
        }
        if current.kind != .end {
            if isDirection || isKeyword("where") || isKeyword("until") || isKeyword("prune") {
                expected("the end of the query (a step cannot follow return, order by or limit)")
            } else {
                expected(query.steps.isEmpty && !isKeyword("return")
                    ? "a step (downstream, upstream, both), return, order by, limit or the end of the query"
                    : "return, order by, limit or the end of the query")
            }
        }
        query.range = SourceRange(first.start, previousEnd)
        return query
    }

    /// Grammar: PathMode
    private mutating func parsePathMode() throws(Failure) -> Query.PathMode {
        if acceptKeyword("shortest") != nil {
            guard acceptKeyword("path") != nil else {
                expected("'path' after 'shortest'")
                throw Failure()
            }
            return .shortestPath
        }
        if isKeyword("all"), peekIsKeyword("paths") {
            _ = advance()
            _ = advance()
            return .allPaths
        }
        return .reach
    }

    private var isDirection: Bool { isKeyword("downstream") || isKeyword("upstream") || isKeyword("both") }
    private var isNodeKind: Bool { isKeyword("artifact") || isKeyword("execution") || isKeyword("node") }

    private mutating func parseNodePatternOrRecover(required: Bool) -> NodePattern? {
        do {
            return try parseNodePattern()
        } catch {
            recover()
            return nil
        }
    }

    /// Grammar: NodePattern
    private mutating func parseNodePattern() throws(Failure) -> NodePattern {
        let kindToken = current
        let kind = try parseNodeKind()
        var pattern = NodePattern(kind: kind, range: kindToken.range)
        if accept(.leftParen) != nil {
            if accept(.rightParen) == nil {
                pattern.predicate = parsePredicate()
                _ = try expect(.rightParen, "')' to close \(text(kindToken))(...)")
            }
        }
        if isKeyword("in") {
            pattern.scope = try parseContextScope()
        }
        pattern.range = SourceRange(kindToken.range.start, previousEnd)
        return pattern
    }

    /// Grammar: NodeKind
    private mutating func parseNodeKind() throws(Failure) -> NodePattern.Kind {
        if acceptKeyword("artifact") != nil { return .artifact }
        if acceptKeyword("execution") != nil { return .execution }
        if acceptKeyword("node") != nil { return .any }
        if isKeyword("context") {
            error("syntax.context-start", "a query starts from artifacts or executions, not contexts", at: current.range,
                  notes: ["to select nodes of a context, write: artifact(...) in context(...)"])
            throw Failure()
        }
        expected("artifact(...), execution(...) or node(...)")
        throw Failure()
    }

    /// Grammar: ContextScope
    private mutating func parseContextScope() throws(Failure) -> ContextPattern {
        _ = advance()  // in
        return try parseContextPattern()
    }

    /// Grammar: ContextPattern
    private mutating func parseContextPattern() throws(Failure) -> ContextPattern {
        guard let keyword = acceptKeyword("context") else {
            expected("context(...) after 'in'")
            throw Failure()
        }
        var pattern = ContextPattern(predicate: nil, range: keyword.range)
        if accept(.leftParen) != nil, accept(.rightParen) == nil {
            pattern.predicate = parsePredicate()
            _ = try expect(.rightParen, "')' to close context(...)")
        }
        pattern.range = SourceRange(keyword.range.start, previousEnd)
        return pattern
    }

    private mutating func parseStepOrRecover() -> Step? {
        do {
            return try parseStep()
        } catch {
            recover()
            // A failed step still consumed its direction; a following node pattern belongs to it.
            if isNodeKind { _ = parseNodePatternOrRecover(required: false) }
            return nil
        }
    }

    /// Grammar: Step
    private mutating func parseStep() throws(Failure) -> Step {
        let start = current.range
        let direction = parseDirection()
        var step = Step(direction: direction, bounds: .one, via: nil, range: start)
        if current.kind == .star || current.kind == .plus || current.kind == .leftBrace {
            step.bounds = try parseBounds()
        }
        if isKeyword("via") { step.via = try parseVia() }
        while isKeyword("where") || isKeyword("until") || isKeyword("prune") {
            step.clauses.append(try parseStepClause())
        }
        if isNodeKind { step.target = try parseNodePattern() }
        step.range = SourceRange(start.start, previousEnd)
        return step
    }

    /// Grammar: Direction
    private mutating func parseDirection() -> Step.Direction {
        if acceptKeyword("downstream") != nil { return .downstream }
        if acceptKeyword("upstream") != nil { return .upstream }
        _ = advance()  // both
        return .both
    }

    /// Grammar: Bounds
    private mutating func parseBounds() throws(Failure) -> Bounds {
        let start = current.range
        if accept(.star) != nil { return Bounds(min: 1, max: nil, range: start) }
        if accept(.plus) != nil { return Bounds(min: 1, max: nil, range: start) }
        _ = advance()  // {
        var minimum = 0
        var maximum: Int?
        if current.kind == .comma {
            _ = advance()
            maximum = try parseCount("the largest number of hops")
        } else {
            minimum = try parseCount("the smallest number of hops")
            if accept(.comma) != nil {
                if current.kind == .integer { maximum = try parseCount("the largest number of hops") }
            } else {
                maximum = minimum
            }
        }
        _ = try expect(.rightBrace, "'}' to close the bounds")
        let range = SourceRange(start.start, previousEnd)
        if let maximum, maximum < minimum {
            error("syntax.bounds", "the bounds {\(minimum),\(maximum)} are empty: the largest is smaller than the smallest", at: range)
            throw Failure()
        }
        return Bounds(min: minimum, max: maximum, range: range)
    }

    private mutating func parseCount(_ what: String) throws(Failure) -> Int {
        guard current.kind == .integer else {
            expected(what + " (an integer)")
            throw Failure()
        }
        let token = advance()
        guard let n = Int(text(token)), n <= 1_000_000_000 else {
            error("syntax.number", "\(text(token)) is too large", at: token.range)
            throw Failure()
        }
        return n
    }

    /// Grammar: Via
    private mutating func parseVia() throws(Failure) -> [Located<String>] {
        _ = advance()  // via
        _ = try expect(.leftParen, "'(' and event types after 'via', as in via(INPUT, OUTPUT)")
        var names: [Located<String>] = []
        repeat {
            names.append(try parseEventTypeName())
        } while accept(.comma) != nil
        _ = try expect(.rightParen, "',' or ')' after an event type")
        return names
    }

    /// Grammar: EventTypeName
    private mutating func parseEventTypeName() throws(Failure) -> Located<String> {
        guard current.kind == .identifier else {
            expected("an event type (INPUT, OUTPUT, DECLARED_INPUT, DECLARED_OUTPUT, INTERNAL_INPUT, INTERNAL_OUTPUT, PENDING_OUTPUT)")
            throw Failure()
        }
        let token = advance()
        return Located(text(token), token.range)
    }

    /// Grammar: StepClause
    private mutating func parseStepClause() throws(Failure) -> StepClause {
        if acceptKeyword("where") != nil { return .where(parsePredicate()) }
        let isUntil = acceptKeyword("until") != nil
        if !isUntil { _ = advance() }  // prune
        let condition = try parseNodeCondition()
        return isUntil ? .until(condition) : .prune(condition)
    }

    /// Grammar: NodeCondition
    private mutating func parseNodeCondition() throws(Failure) -> NodeCondition {
        if isNodeKind, tokens[at + 1].kind == .leftParen || !isPredicateStart(offset: 1) {
            return .pattern(try parseNodePattern())
        }
        return .predicate(parsePredicate())
    }

    /// Whether the token at `offset` could continue a predicate that starts with a name.
    private func isPredicateStart(offset: Int) -> Bool {
        guard at + offset < tokens.count else { return false }
        switch tokens[at + offset].kind {
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .dot: return true
        case .identifier:
            let t = tokens[at + offset]
            // `node in context(...)` is a pattern; `node in (1, 2)` a predicate.
            if isKeyword("in", t) { return !(at + offset + 1 < tokens.count && isKeyword("context", tokens[at + offset + 1])) }
            return isKeyword("like", t) || isKeyword("is", t) || isKeyword("not", t)
        default: return false
        }
    }

    /// Grammar: ReturnClause
    private mutating func parseReturnClause() throws(Failure) -> ReturnClause {
        _ = advance()  // return
        if acceptKeyword("nodes") != nil {
            return .nodes(withDepth: try parseWithDepth())
        }
        if acceptKeyword("subgraph") != nil { return .subgraph }
        if acceptKeyword("paths") != nil { return .paths }
        if acceptKeyword("count") != nil {
            if isKeyword("group") { return .count(groupBy: try parseGroupBy()) }
            return .count(groupBy: [])
        }
        expected("nodes, subgraph, paths or count after 'return'")
        throw Failure()
    }

    /// Grammar: WithDepth
    private mutating func parseWithDepth() throws(Failure) -> Bool {
        guard acceptKeyword("with") != nil else { return false }
        guard acceptKeyword("depth") != nil else {
            expected("'depth' after 'with'")
            throw Failure()
        }
        return true
    }

    /// Grammar: GroupBy
    private mutating func parseGroupBy() throws(Failure) -> [FieldPath] {
        _ = advance()  // group
        guard acceptKeyword("by") != nil else {
            expected("'by' after 'group'")
            throw Failure()
        }
        var keys: [FieldPath] = []
        repeat { keys.append(try parseGroupKey()) } while accept(.comma) != nil
        return keys
    }

    /// Grammar: GroupKey
    private mutating func parseGroupKey() throws(Failure) -> FieldPath { try parseFieldPath() }

    /// Grammar: OrderClause
    private mutating func parseOrderClause() throws(Failure) -> [OrderKey] {
        _ = advance()  // order
        guard acceptKeyword("by") != nil else {
            expected("'by' after 'order'")
            throw Failure()
        }
        var keys: [OrderKey] = []
        repeat { keys.append(try parseOrderKey()) } while accept(.comma) != nil
        return keys
    }

    /// Grammar: OrderKey
    private mutating func parseOrderKey() throws(Failure) -> OrderKey {
        let field = try parseFieldPath()
        if acceptKeyword("desc") != nil { return OrderKey(field: field, ascending: false) }
        _ = acceptKeyword("asc")
        return OrderKey(field: field, ascending: true)
    }

    /// Grammar: LimitClause
    private mutating func parseLimitClause() throws(Failure) -> Limit {
        _ = advance()  // limit
        if let p = accept(.parameter) { return .parameter(String(text(p).dropFirst()), p.range) }
        let start = current.range
        let n = try parseCount("a number of results after 'limit'")
        return .count(n, SourceRange(start.start, previousEnd))
    }
}
