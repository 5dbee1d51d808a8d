internal import PedigreeModel

// MARK: - MLMD's own semantics

/// A `filter_query` as ml-metadata runs it on SQLite, built by `PredicateBinder` in
/// MLMD-compatible mode (`BoundPredicate.mlmd`).
///
/// ml-metadata turns a filter into `SELECT DISTINCT table_0.id FROM <node> AS table_0 JOIN ...
/// WHERE <condition>`: every alias, property and the node's type that the filter mentions is an
/// inner join, so a node with no row for one of them never matches, whatever the condition says
/// (`contexts_a.name = 'x' OR uri = 'y'` drops nodes without contexts). The node matches when
/// some choice of one row per join makes the condition true, under SQLite's rules: three-valued
/// logic, type affinity in comparisons, ASCII-case-insensitive LIKE.
package struct MLMDFilter: Hashable, Sendable {
    /// The joined tables: table 0 is the node, table k (k >= 1) is `joins[k - 1]`.
    package var joins: [MLMDJoin]
    package var condition: MLMDCondition

    package init(joins: [MLMDJoin], condition: MLMDCondition) {
        self.joins = joins
        self.condition = condition
    }
}

/// One joined table of an MLMD filter; each of its rows is one choice for its alias.
package enum MLMDJoin: Hashable, Sendable {
    /// The node's type (joined when the filter reads `type`).
    case type
    /// The related nodes of an alias: contexts, parent or child contexts, artifacts, executions.
    case related(Relation)
    /// The node's events (`events_ALIAS`).
    case events
    /// The node's property rows (custom or not) whose name satisfies `name`.
    case property(name: MLMDPropertyName, custom: Bool)
}

/// How ml-metadata selects a property's rows: `WHERE name = "NAME"`, the name lower-cased and
/// spliced into the SQL in double quotes.
package enum MLMDPropertyName: Hashable, Sendable {
    /// Rows with exactly this name.
    case literal(String)
    /// The name is also a column of the property table (`name`, `int_value`, ...), so SQLite
    /// reads `"NAME"` as that column: rows whose name equals their own column value.
    case column(MLMDColumn)
}

/// A WHERE condition of an MLMD filter (SQL's three-valued logic).
package indirect enum MLMDCondition: Hashable, Sendable {
    case and([MLMDCondition])
    case or([MLMDCondition])
    case not(MLMDCondition)
    case compare(MLMDExpression, CompareOp, MLMDExpression)
    /// `a LIKE b`.
    case like(MLMDExpression, MLMDExpression)
    /// `a IN (b, ...)`.
    case inList(MLMDExpression, [MLMDExpression])
    case isNull(MLMDExpression)
}

/// A value in an MLMD filter's SQL.
package indirect enum MLMDExpression: Hashable, Sendable {
    /// A column of a joined table (0: the node itself).
    case column(table: Int, MLMDColumn)
    /// A literal (no type affinity).
    case literal(SQLiteValue)
    /// `CAST(x AS FLOAT64)`: ZetaSQL's coercion of an integer to a double (REAL affinity).
    case castToReal(MLMDExpression)
}

/// The columns the SQL of an MLMD filter reads. What a column holds depends on its table: `type`
/// is a type name in a node or type table and an event type in an event table; `artifact_id`,
/// `execution_id`, `context_id`, `child_context_id` and `parent_context_id` are the joined link's
/// end, which is the filtered node itself except in an event table.
package enum MLMDColumn: String, Hashable, Sendable, CaseIterable {
    case id, typeID = "type_id", type, name, uri, state
    case lastKnownState = "last_known_state", externalID = "external_id"
    case createTime = "create_time_since_epoch", updateTime = "last_update_time_since_epoch"
    case artifactID = "artifact_id", executionID = "execution_id", contextID = "context_id"
    case childContextID = "child_context_id", parentContextID = "parent_context_id"
    case intValue = "int_value", doubleValue = "double_value", stringValue = "string_value", boolValue = "bool_value"
    case byteValue = "byte_value", protoValue = "proto_value", isCustomProperty = "is_custom_property"
    case millisecondsSinceEpoch = "milliseconds_since_epoch"
    /// A table's rowid (the node's id for node tables).
    case rowid
}

/// A value as SQLite holds it (storage class).
package enum SQLiteValue: Hashable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
}
