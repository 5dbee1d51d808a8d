/// The syntax tree of a query, exactly as written (names unresolved: the binder resolves them).
/// Every node carries its source range, and `==` compares ranges too: `hasSameContent(as:)`
/// compares what two queries say (AST+Content.swift).
package struct Query: Hashable, Sendable {
    package enum Mode: Hashable, Sendable { case run, explain, profile }
    package enum PathMode: Hashable, Sendable { case reach, shortestPath, allPaths }

    package var mode: Mode = .run
    package var pathMode: PathMode = .reach
    package var start: NodePattern
    package var steps: [Step] = []
    package var returnClause: ReturnClause = .nodes(withDepth: false)
    package var orderBy: [OrderKey] = []
    package var limit: Limit?
    package var range: SourceRange

    package init(start: NodePattern, range: SourceRange) {
        self.start = start
        self.range = range
    }
}

/// `artifact(...)`, `execution(...)` or `node(...)`, optionally `in context(...)`.
package struct NodePattern: Hashable, Sendable {
    package enum Kind: Hashable, Sendable { case artifact, execution, any }
    package var kind: Kind
    /// Nil when the pattern has no parentheses or empty ones.
    package var predicate: Predicate?
    package var scope: ContextPattern?
    package var range: SourceRange

    package init(kind: Kind, predicate: Predicate? = nil, scope: ContextPattern? = nil, range: SourceRange) {
        self.kind = kind
        self.predicate = predicate
        self.scope = scope
        self.range = range
    }
}

/// `context(...)`.
package struct ContextPattern: Hashable, Sendable {
    package var predicate: Predicate?
    package var range: SourceRange
}

package struct Step: Hashable, Sendable {
    package enum Direction: Hashable, Sendable { case downstream, upstream, both }
    package var direction: Direction
    package var bounds: Bounds
    /// Nil: every event type.
    package var via: [Located<String>]?
    package var clauses: [StepClause] = []
    package var target: NodePattern?
    package var range: SourceRange
}

/// How many hops a step takes: `min...max` (no max: unbounded). Without bounds a step is one hop.
package struct Bounds: Hashable, Sendable {
    package var min: Int
    package var max: Int?
    package var range: SourceRange?
    package static let one = Bounds(min: 1, max: 1, range: nil)
}

package enum StepClause: Hashable, Sendable {
    case `where`(Predicate)
    case until(NodeCondition)
    case prune(NodeCondition)
}

/// What `until` and `prune` test: a node pattern or a bare predicate.
package enum NodeCondition: Hashable, Sendable {
    case pattern(NodePattern)
    case predicate(Predicate)
}

package enum ReturnClause: Hashable, Sendable {
    case nodes(withDepth: Bool)
    case subgraph
    case paths
    case count(groupBy: [FieldPath])
}

package struct OrderKey: Hashable, Sendable {
    package var field: FieldPath
    package var ascending: Bool
}

package enum Limit: Hashable, Sendable {
    case count(Int, SourceRange)
    case parameter(String, SourceRange)
}

/// A value paired with where it was written.
package struct Located<Value: Hashable & Sendable>: Hashable, Sendable {
    package var value: Value
    package var range: SourceRange
    package init(_ value: Value, _ range: SourceRange) {
        self.value = value
        self.range = range
    }
}

// MARK: - Predicates (MLMD's filter_query)

/// `a.b.c`: an attribute, a property path (`properties.p.int_value`), a join path
/// (`contexts_a.name`), or the shorthand for a property (`accuracy`).
package struct FieldPath: Hashable, Sendable, CustomStringConvertible {
    package var names: [Located<String>]
    package var range: SourceRange { names.first!.range.union(names.last!.range) }
    package var description: String { names.map(\.value).joined(separator: ".") }
}

/// Each case's range is its text: for `and` and `or` from the start of the first operand to the
/// end of the second, parentheses around an operand included; for `in`, up to the closing `)`.
/// Parentheses around a whole predicate are not part of its range (the text inside them is).
package indirect enum Predicate: Hashable, Sendable {
    case and(Predicate, Predicate, SourceRange)
    case or(Predicate, Predicate, SourceRange)
    case not(Predicate, SourceRange)
    case compare(FieldPath, CompareOp, Literal)
    case like(FieldPath, Literal, negated: Bool)
    case inList(FieldPath, [Literal], negated: Bool, SourceRange)
    case isNull(FieldPath, negated: Bool, SourceRange)
    /// A part that failed to parse (the parser reported it); never bound or run.
    case error(SourceRange)

    package var range: SourceRange {
        switch self {
        case .and(_, _, let r), .or(_, _, let r), .not(_, let r), .inList(_, _, _, let r), .isNull(_, _, let r), .error(let r): r
        case .compare(let f, _, let v), .like(let f, let v, _): f.range.union(v.range)
        }
    }
}

package enum CompareOp: String, Hashable, Sendable, CaseIterable {
    case equal = "=", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
}

package struct Literal: Hashable, Sendable {
    package enum Value: Hashable, Sendable {
        case string(String)
        case integer(Int64)
        case decimal(Double)
        case bool(Bool)
        /// A bare name: an enum value such as LIVE, COMPLETE or INPUT.
        case name(String)
        case parameter(String)
    }
    package var value: Value
    package var range: SourceRange
}
