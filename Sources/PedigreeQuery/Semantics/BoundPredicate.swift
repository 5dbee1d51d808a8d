package import PedigreeModel

/// A node predicate with every name resolved against the store: what the executor evaluates and
/// the planner inspects (its top-level conjuncts choose the index to start from).
package indirect enum BoundPredicate: Hashable, Sendable {
    case constant(Bool)
    case and([BoundPredicate])
    case or([BoundPredicate])
    case not(BoundPredicate)
    case compare(BoundOperand, CompareOp, BoundValue)
    /// SQL LIKE: `%` any run, `_` one character, ASCII case-insensitive (as SQLite's LIKE).
    case like(BoundOperand, String, negated: Bool)
    case inList(BoundOperand, [BoundValue], negated: Bool)
    case isNull(BoundOperand, negated: Bool)
    /// A `filter_query` bound with ml-metadata's own semantics (see `MLMDFilter`); only
    /// `PredicateBinder` in MLMD-compatible mode makes it.
    case mlmd(MLMDFilter)

    /// The top-level AND terms.
    package var conjuncts: [BoundPredicate] {
        if case .and(let terms) = self { return terms.flatMap(\.conjuncts) }
        return [self]
    }
}

/// What a predicate reads from a node.
package indirect enum BoundOperand: Hashable, Sendable {
    case id
    case typeID
    /// The type's name.
    case typeName
    case name
    case uri
    /// `state` of an artifact, as its raw value.
    case artifactState
    /// `last_known_state` of an execution, as its raw value.
    case executionState
    case externalID
    case createTime
    case updateTime
    /// `properties.NAME.KIND_value` (custom false), `custom_properties.NAME.KIND_value` (custom
    /// true), or the shorthand `NAME` (custom nil: the property, else the custom property; any kind).
    case property(String, kind: PropertyType?, custom: Bool?)
    /// `contexts_a.FIELD` and the like: a field of a related node, under a join alias. Terms with
    /// the same alias speak of the same related node (MLMD's join semantics).
    case related(alias: String, relation: Relation, operand: BoundOperand)
    /// `events_a.FIELD`: a field of one of the node's events, under a join alias.
    case event(alias: String, field: EventField)
}

package enum Relation: Hashable, Sendable {
    /// The contexts of an artifact or execution.
    case contexts
    /// The parent contexts / child contexts of a context.
    case parentContexts, childContexts
    /// The artifacts / executions of a context.
    case artifacts, executions
}

package enum EventField: Hashable, Sendable {
    case type, artifactID, executionID, time
}

package enum BoundValue: Hashable, Sendable {
    case int(Int64)
    case double(Double)
    case string(String)
    case bool(Bool)
}
