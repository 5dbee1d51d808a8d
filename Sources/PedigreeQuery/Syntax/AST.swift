/// The syntax tree of a query, exactly as written (names unresolved: the binder resolves them).
/// Every node carries its source range, and `==` compares ranges too: `hasSameContent(as:)`
/// compares what two queries say (AST+Content.swift).
public struct Query: Hashable, Sendable {
    public enum Mode: Hashable, Sendable { case run, explain, profile }
    public enum PathMode: Hashable, Sendable { case reach, shortestPath, allPaths }

    public var mode: Mode = .run
    public var pathMode: PathMode = .reach
    public var start: NodePattern
    public var steps: [Step] = []
    public var returnClause: ReturnClause = .nodes(withDepth: false)
    public var orderBy: [OrderKey] = []
    public var limit: Limit?
    public var range: SourceRange

    public init(start: NodePattern, range: SourceRange) {
        self.start = start
        self.range = range
    }
}

/// `artifact(...)`, `execution(...)` or `node(...)`, optionally `in context(...)`.
public struct NodePattern: Hashable, Sendable {
    public enum Kind: Hashable, Sendable { case artifact, execution, any }
    public var kind: Kind
    /// Nil when the pattern has no parentheses or empty ones.
    public var predicate: Predicate?
    public var scope: ContextPattern?
    public var range: SourceRange

    public init(kind: Kind, predicate: Predicate? = nil, scope: ContextPattern? = nil, range: SourceRange) {
        self.kind = kind
        self.predicate = predicate
        self.scope = scope
        self.range = range
    }
}

/// `context(...)`.
public struct ContextPattern: Hashable, Sendable {
    public var predicate: Predicate?
    public var range: SourceRange
}

public struct Step: Hashable, Sendable {
    public enum Direction: Hashable, Sendable { case downstream, upstream, both }
    public var direction: Direction
    public var bounds: Bounds
    /// Nil: every event type.
    public var via: [Located<String>]?
    public var clauses: [StepClause] = []
    public var target: NodePattern?
    public var range: SourceRange
}

/// How many hops a step takes: `min...max` (no max: unbounded). Without bounds a step is one hop.
public struct Bounds: Hashable, Sendable {
    public var min: Int
    public var max: Int?
    public var range: SourceRange?
    public static let one = Bounds(min: 1, max: 1, range: nil)
}

public enum StepClause: Hashable, Sendable {
    case `where`(Predicate)
    case until(NodeCondition)
    case prune(NodeCondition)
}

/// What `until` and `prune` test: a node pattern or a bare predicate.
public enum NodeCondition: Hashable, Sendable {
    case pattern(NodePattern)
    case predicate(Predicate)
}

public enum ReturnClause: Hashable, Sendable {
    case nodes(withDepth: Bool)
    case subgraph
    case paths
    case count(groupBy: [FieldPath])
}

public struct OrderKey: Hashable, Sendable {
    public var field: FieldPath
    public var ascending: Bool
}

public enum Limit: Hashable, Sendable {
    case count(Int, SourceRange)
    case parameter(String, SourceRange)
}

/// A value paired with where it was written.
public struct Located<Value: Hashable & Sendable>: Hashable, Sendable {
    public var value: Value
    public var range: SourceRange
    public init(_ value: Value, _ range: SourceRange) {
        self.value = value
        self.range = range
    }
}

// MARK: - Predicates (MLMD's filter_query)

/// `a.b.c`: an attribute, a property path (`properties.p.int_value`), a join path
/// (`contexts_a.name`), or the shorthand for a property (`accuracy`).
public struct FieldPath: Hashable, Sendable, CustomStringConvertible {
    public var names: [Located<String>]
    public var range: SourceRange { names.first!.range.union(names.last!.range) }
    public var description: String { names.map(\.value).joined(separator: ".") }
}

/// Each case's range is its text: for `and` and `or` from the start of the first operand to the
/// end of the second, parentheses around an operand included; for `in`, up to the closing `)`.
/// Parentheses around a whole predicate are not part of its range (the text inside them is).
public indirect enum Predicate: Hashable, Sendable {
    case and(Predicate, Predicate, SourceRange)
    case or(Predicate, Predicate, SourceRange)
    case not(Predicate, SourceRange)
    case compare(FieldPath, CompareOp, Literal)
    case like(FieldPath, Literal, negated: Bool)
    case inList(FieldPath, [Literal], negated: Bool, SourceRange)
    case isNull(FieldPath, negated: Bool, SourceRange)
    /// A part that failed to parse (the parser reported it); never bound or run.
    case error(SourceRange)

    public var range: SourceRange {
        switch self {
        case .and(_, _, let r), .or(_, _, let r), .not(_, let r), .inList(_, _, _, let r), .isNull(_, _, let r), .error(let r): r
        case .compare(let f, _, let v), .like(let f, let v, _): f.range.union(v.range)
        }
    }
}

public enum CompareOp: String, Hashable, Sendable, CaseIterable {
    case equal = "=", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
}

public struct Literal: Hashable, Sendable {
    public enum Value: Hashable, Sendable {
        case string(String)
        case integer(Int64)
        case decimal(Double)
        case bool(Bool)
        /// A bare name: an enum value such as LIVE, COMPLETE or INPUT.
        case name(String)
        case parameter(String)
    }
    public var value: Value
    public var range: SourceRange
}
