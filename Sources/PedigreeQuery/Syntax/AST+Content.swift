/// Content equality for syntax trees: what a query says, not where it says it.
///
/// `==` on the AST compares source ranges too (a range is a plain value). Two spellings of one
/// query, such as a query and the parse of its canonical print, differ in their ranges but have
/// the same content. `erasingRanges()` sets every range in a tree to `SourceRange.none` (and
/// drops the optional range of step bounds), so that `==` on erased trees compares content only.
extension SourceRange {
    /// The range of an erased tree.
    package static let none = SourceRange(0, 0)
}

extension Query {
    /// Whether both queries say the same, wherever their parts were written.
    package func hasSameContent(as other: Query) -> Bool { erasingRanges() == other.erasingRanges() }

    /// The query with every source range, its own and its parts', set to `.none`.
    package func erasingRanges() -> Query {
        var q = self
        q.range = .none
        q.start = start.erasingRanges()
        q.steps = steps.map { $0.erasingRanges() }
        q.returnClause = returnClause.erasingRanges()
        q.orderBy = orderBy.map { OrderKey(field: $0.field.erasingRanges(), ascending: $0.ascending) }
        q.limit = limit?.erasingRanges()
        return q
    }
}

extension NodePattern {
    package func erasingRanges() -> NodePattern {
        NodePattern(kind: kind, predicate: predicate?.erasingRanges(), scope: scope?.erasingRanges(), range: .none)
    }
}

extension ContextPattern {
    package func erasingRanges() -> ContextPattern { ContextPattern(predicate: predicate?.erasingRanges(), range: .none) }
}

extension Step {
    package func erasingRanges() -> Step {
        var s = self
        s.range = .none
        // `{1}` and no bounds, `+` and `*`, are one thing written two ways.
        s.bounds.range = nil
        s.via = via?.map { $0.erasingRanges() }
        s.clauses = clauses.map { $0.erasingRanges() }
        s.target = target?.erasingRanges()
        return s
    }
}

extension StepClause {
    package func erasingRanges() -> StepClause {
        switch self {
        case .where(let p): .where(p.erasingRanges())
        case .until(let c): .until(c.erasingRanges())
        case .prune(let c): .prune(c.erasingRanges())
        }
    }
}

extension NodeCondition {
    package func erasingRanges() -> NodeCondition {
        switch self {
        case .pattern(let p): .pattern(p.erasingRanges())
        case .predicate(let p): .predicate(p.erasingRanges())
        }
    }
}

extension ReturnClause {
    package func erasingRanges() -> ReturnClause {
        switch self {
        case .nodes, .subgraph, .paths: self
        case .count(let keys): .count(groupBy: keys.map { $0.erasingRanges() })
        }
    }
}

extension Limit {
    package func erasingRanges() -> Limit {
        switch self {
        case .count(let n, _): .count(n, .none)
        case .parameter(let name, _): .parameter(name, .none)
        }
    }
}

extension Located {
    package func erasingRanges() -> Located { Located(value, .none) }
}

extension FieldPath {
    package func erasingRanges() -> FieldPath { FieldPath(names: names.map { $0.erasingRanges() }) }
}

extension Literal {
    package func erasingRanges() -> Literal { Literal(value: value, range: .none) }
}

extension Predicate {
    /// Whether both predicates say the same, wherever their parts were written.
    package func hasSameContent(as other: Predicate) -> Bool { erasingRanges() == other.erasingRanges() }

    package func erasingRanges() -> Predicate {
        switch self {
        case .and(let a, let b, _): .and(a.erasingRanges(), b.erasingRanges(), .none)
        case .or(let a, let b, _): .or(a.erasingRanges(), b.erasingRanges(), .none)
        case .not(let a, _): .not(a.erasingRanges(), .none)
        case .compare(let f, let op, let v): .compare(f.erasingRanges(), op, v.erasingRanges())
        case .like(let f, let v, let negated): .like(f.erasingRanges(), v.erasingRanges(), negated: negated)
        case .inList(let f, let vs, let negated, _): .inList(f.erasingRanges(), vs.map { $0.erasingRanges() }, negated: negated, .none)
        case .isNull(let f, let negated, _): .isNull(f.erasingRanges(), negated: negated, .none)
        case .error: .error(.none)
        }
    }
}
