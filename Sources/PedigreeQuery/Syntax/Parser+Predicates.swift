/// The predicate half of the parser: `where` and node conditions, and MLMD filter queries
/// (`Parser.parsePredicate`). Grammar: Predicate and below in `Grammar/pedigree.ebnf`.
extension Parser {
    /// Grammar: Predicate
    mutating func parsePredicate() -> Predicate {
        let start = current.range.start
        do {
            return try parseOrExpr()
        } catch {
            skipRestOfPredicate()
            return .error(SourceRange(start, max(start, previousEnd)))
        }
    }

    /// After an error in a predicate, skips to the ')' that closes the enclosing pattern, a clause
    /// keyword or the end, so that one mistake gives one diagnostic.
    private mutating func skipRestOfPredicate() {
        var open = 0
        while current.kind != .end {
            if current.kind == .leftParen { open += 1 }
            if current.kind == .rightParen {
                if open == 0 { return }
                open -= 1
            }
            if open == 0 {
                for word: StaticString in ["downstream", "upstream", "both", "where", "until", "prune", "return", "order", "limit"]
                where isKeyword(word) { return }
            }
            _ = advance()
        }
    }

    /// Grammar: OrExpr
    private mutating func parseOrExpr() throws(Failure) -> Predicate {
        let start = current.range.start
        var left = try parseAndExpr()
        while acceptKeyword("or") != nil {
            let right = try parseAndExpr()
            left = .or(left, right, SourceRange(start, previousEnd))
        }
        return left
    }

    /// Grammar: AndExpr
    private mutating func parseAndExpr() throws(Failure) -> Predicate {
        let start = current.range.start
        var left = try parseNotExpr()
        while acceptKeyword("and") != nil {
            let right = try parseNotExpr()
            left = .and(left, right, SourceRange(start, previousEnd))
        }
        return left
    }

    private mutating func nest() throws(Failure) {
        depth += 1
        if depth > Self.maxNesting {
            error("syntax.nesting", "the predicate nests deeper than \(Self.maxNesting) levels", at: current.range)
            // Skip the rest: nothing more useful can be said about it.
            abandoned = true
            at = tokens.count - 1
            throw Failure()
        }
    }

    /// Grammar: NotExpr
    private mutating func parseNotExpr() throws(Failure) -> Predicate {
        if let not = acceptKeyword("not") {
            try nest()
            defer { depth -= 1 }
            let inner = try parseNotExpr()
            return .not(inner, SourceRange(not.range.start, previousEnd))
        }
        return try parsePrimary()
    }

    /// Grammar: Primary
    private mutating func parsePrimary() throws(Failure) -> Predicate {
        if accept(.leftParen) != nil {
            try nest()
            defer { depth -= 1 }
            let inner = try parseOrExpr()
            _ = try expect(.rightParen, "')' to close the parenthesis")
            return inner
        }
        return try parseComparison()
    }

    /// Grammar: Comparison, CompareOp
    private mutating func parseComparison() throws(Failure) -> Predicate {
        let field = try parseFieldPath()
        let opToken = current
        let op: CompareOp? =
            switch opToken.kind {
            case .equal: .equal
            case .notEqual: .notEqual
            case .less: .less
            case .lessEqual: .lessEqual
            case .greater: .greater
            case .greaterEqual: .greaterEqual
            default: nil
            }
        if let op {
            _ = advance()
            return .compare(field, op, try parseValue())
        }
        let negated = acceptKeyword("not") != nil
        if acceptKeyword("like") != nil { return .like(field, try parseValue(), negated: negated) }
        if acceptKeyword("in") != nil {
            _ = try expect(.leftParen, "'(' and a list of values after 'in'")
            var values: [Literal] = []
            repeat { values.append(try parseValue()) } while accept(.comma) != nil
            _ = try expect(.rightParen, "',' or ')' in the list of values")
            return .inList(field, values, negated: negated, SourceRange(field.range.start, previousEnd))
        }
        if !negated, acceptKeyword("is") != nil {
            let not = acceptKeyword("not") != nil
            guard acceptKeyword("null") != nil else {
                expected(not ? "'null' after 'is not'" : "'null' or 'not null' after 'is'")
                throw Failure()
            }
            return .isNull(field, negated: not, SourceRange(field.range.start, previousEnd))
        }
        expected(negated ? "'like' or 'in' after 'not'" : "a comparison (=, !=, <, <=, >, >=, like, in, is null) after '\(field)'")
        throw Failure()
    }

    /// Grammar: FieldPath
    mutating func parseFieldPath() throws(Failure) -> FieldPath {
        var names = [try parseName()]
        while accept(.dot) != nil { names.append(try parseName()) }
        return FieldPath(names: names)
    }

    /// Grammar: Name
    mutating func parseName() throws(Failure) -> Located<String> {
        if current.kind == .identifier {
            for word: StaticString in ["and", "or", "not", "in", "like", "is", "null", "true", "false"] where isKeyword(word) {
                expected("a field or property name ('\(text(current))' is a keyword: write `\(text(current))` to use it as a name)")
                throw Failure()
            }
            let token = advance()
            return Located(text(token), token.range)
        }
        if current.kind == .quotedName {
            let token = advance()
            let raw = text(token)
            return Located(String(raw.dropFirst().dropLast()).replacing("``", with: "`"), token.range)
        }
        expected("a field or property name")
        throw Failure()
    }

    /// Grammar: Value
    mutating func parseValue() throws(Failure) -> Literal {
        let token = current
        switch token.kind {
        case .string:
            _ = advance()
            let raw = text(token)
            let quote = String(raw.first!)
            return Literal(value: .string(String(raw.dropFirst().dropLast()).replacing(quote + quote, with: quote)), range: token.range)
        case .integer, .decimal:
            _ = advance()
            return try number(text(token), negative: false, range: token.range)
        case .minus:
            _ = advance()
            guard current.kind == .integer || current.kind == .decimal else {
                expected("a number after '-'")
                throw Failure()
            }
            let digits = advance()
            return try number(text(digits), negative: true, range: SourceRange(token.range.start, digits.range.end))
        case .parameter:
            _ = advance()
            return Literal(value: .parameter(String(text(token).dropFirst())), range: token.range)
        case .identifier:
            if isKeyword("true") { _ = advance(); return Literal(value: .bool(true), range: token.range) }
            if isKeyword("false") { _ = advance(); return Literal(value: .bool(false), range: token.range) }
            for word: StaticString in ["and", "or", "not", "in", "like", "is", "null", "downstream", "upstream", "both",
                                       "where", "until", "prune", "return", "order", "limit"] where isKeyword(word) {
                expected("a value")
                throw Failure()
            }
            _ = advance()
            return Literal(value: .name(text(token)), range: token.range)
        default:
            expected("a value (a 'string', a number, true, false, a name such as LIVE, or a $parameter)")
            throw Failure()
        }
    }

    private mutating func number(_ digits: String, negative: Bool, range: SourceRange) throws(Failure) -> Literal {
        let text = (negative ? "-" : "") + digits
        if let i = Int64(text) { return Literal(value: .integer(i), range: range) }
        if let d = Double(text), d.isFinite {
            if !digits.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
                error("syntax.number", "\(text) does not fit in a 64-bit integer", at: range)
                throw Failure()
            }
            return Literal(value: .decimal(d), range: range)
        }
        error("syntax.number", "\(text) is not a number Pedigree can hold", at: range)
        throw Failure()
    }
}
