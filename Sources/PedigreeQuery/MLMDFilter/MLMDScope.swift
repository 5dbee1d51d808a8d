internal import PedigreeModel
internal import PedigreeGraph
internal import Foundation

struct MLMDScope {
    let kind: NodeKind
    let columns: [String: MLMDName]
    private(set) var joins: [MLMDJoin] = []
    var tables: [String: Int] = [:]

    init(kind: NodeKind, columns: [String: MLMDName]) {
        self.kind = kind
        self.columns = columns
    }

    /// ZetaSQL's value types.
    enum ValueType: String {
        case int64 = "INT64", double = "DOUBLE", string = "STRING", bool = "BOOL", structure = "STRUCT"
    }

    struct Typed {
        var expr: MLMDExpression
        var type: ValueType
    }

    /// A field of a struct column: its type, its SQL column, and whether MLMD's join subquery
    /// selects that column at all (when not, the SQL fails).
    typealias Field = (column: MLMDColumn, type: ValueType, inSQL: Bool)

    static func attribute(_ name: String, _ kind: NodeKind) -> (MLMDColumn, ValueType)? {
        switch name {
        case "id": (.id, .int64)
        case "type_id": (.typeID, .int64)
        case "type": (.type, .string)
        case "create_time_since_epoch": (.createTime, .int64)
        case "last_update_time_since_epoch": (.updateTime, .int64)
        case "name": (.name, .string)
        case "external_id": (.externalID, .string)
        case "uri" where kind == .artifact: (.uri, .string)
        case "state" where kind == .artifact: (.state, .int64)
        case "last_known_state" where kind == .execution: (.lastKnownState, .int64)
        default: nil
        }
    }

    func fields(_ name: MLMDName) -> [String: Field] {
        let times = ["create_time_since_epoch": (MLMDColumn.createTime, ValueType.int64), "last_update_time_since_epoch": (.updateTime, .int64)]
        var common: [String: Field] = ["id": (.id, .int64, true), "name": (.name, .string, true), "type": (.type, .string, true)]
        switch name {
        case .attribute: return [:]
        case .relation(let r):
            switch r {
            case .contexts:
                for (k, v) in times { common[k] = (v.0, v.1, true) }
            case .parentContexts, .childContexts:
                // The parent/child subqueries select no times: reading them fails in SQLite.
                for (k, v) in times { common[k] = (v.0, v.1, false) }
            case .artifacts:
                for (k, v) in times { common[k] = (v.0, v.1, true) }
                common["state"] = (.state, .int64, true)
                common["uri"] = (.uri, .string, true)
                common["external_id"] = (.externalID, .string, false)
            case .executions:
                for (k, v) in times { common[k] = (v.0, v.1, true) }
                common["last_known_state"] = (.lastKnownState, .int64, true)
                common["external_id"] = (.externalID, .string, false)
            }
            return common
        case .events:
            var f: [String: Field] = ["type": (.type, .int64, true), "milliseconds_since_epoch": (.millisecondsSinceEpoch, .int64, true)]
            if kind == .artifact { f["execution_id"] = (.executionID, .int64, true) } else { f["artifact_id"] = (.artifactID, .int64, true) }
            return f
        case .property:
            return [
                "int_value": (.intValue, .int64, true), "double_value": (.doubleValue, .double, true),
                "string_value": (.stringValue, .string, true), "bool_value": (.boolValue, .bool, true),
            ]
        }
    }

    // MARK: Joins

    mutating func table(_ key: String, _ join: @autoclosure () throws(MLMDFilterError) -> MLMDJoin) throws(MLMDFilterError) -> Int {
        if let t = tables[key] { return t }
        joins.append(try join())
        tables[key] = joins.count
        return joins.count
    }

    var ownerColumn: MLMDColumn {
        switch kind {
        case .artifact: .artifactID
        case .execution: .executionID
        case .context: .contextID
        }
    }

    /// `FROM <Node>Property WHERE name = "NAME"`: SQLite reads NAME as a column of the property
    /// table when it names one.
    func propertyJoin(_ sqlName: String, custom: Bool) throws(MLMDFilterError) -> MLMDJoin {
        if sqlName.contains("\"") { throw .sql("near \"\(sqlName)\": syntax error (a property name with a double quote)") }
        let propertyColumns: [MLMDColumn] = [
            ownerColumn, .name, .isCustomProperty, .intValue, .doubleValue, .stringValue, .byteValue, .protoValue, .boolValue,
        ]
        if let c = propertyColumns.first(where: { $0.rawValue == sqlName }) { return .property(name: .column(c), custom: custom) }
        if ["rowid", "oid", "_rowid_"].contains(sqlName) { return .property(name: .column(.rowid), custom: custom) }
        return .property(name: .literal(sqlName), custom: custom)
    }

    /// The columns each table of the FROM clause has, for SQLite's name lookup.
    func sqlColumns(ofTable t: Int) -> [MLMDColumn] {
        let times: [MLMDColumn] = [.createTime, .updateTime]
        guard t > 0 else {
            switch kind {
            case .artifact: return [.id, .typeID, .uri, .state, .name, .externalID] + times
            case .execution: return [.id, .typeID, .lastKnownState, .name, .externalID] + times
            case .context: return [.id, .typeID, .name, .externalID] + times
            }
        }
        switch joins[t - 1] {
        case .type: return [.typeID, .type]
        case .related(.contexts): return [.id, .name, .type, kind == .artifact ? .artifactID : .executionID] + times
        case .related(.artifacts): return [.id, .name, .type, .contextID] + times + [.uri, .state]
        case .related(.executions): return [.id, .name, .type, .contextID] + times + [.lastKnownState]
        case .related(.parentContexts): return [.id, .name, .type, .childContextID]
        case .related(.childContexts): return [.id, .name, .type, .parentContextID]
        case .events: return [.id, .artifactID, .executionID, .type, .millisecondsSinceEpoch]
        case .property: return [ownerColumn, .intValue, .doubleValue, .stringValue, .boolValue]
        }
    }

    // MARK: Names and values

    mutating func field(_ path: FieldPath) throws(MLMDFilterError) -> Typed {
        let first = path.names[0]
        let key = asciiLowercased(first.value)
        guard let name = columns[key] else { throw .invalid("Unrecognized name: \(first.value)", at: first.range) }
        if name == .attribute {
            let (column, type) = Self.attribute(key, kind)!
            if path.names.count > 1 {
                throw .invalid("Cannot access field \(path.names[1].value) on a value with type \(type.rawValue)", at: path.names[1].range)
            }
            if column == .type { return Typed(expr: .column(table: try table("type", .type), .type), type: .string) }
            return Typed(expr: .column(table: 0, column), type: type)
        }
        guard path.names.count > 1 else { return Typed(expr: .literal(.null), type: .structure) }
        let fieldName = path.names[1]
        let fields = fields(name)
        guard let f = fields[asciiLowercased(fieldName.value)] else {
            throw .invalid(
                "Field name \(fieldName.value) does not exist in STRUCT<\(fields.keys.sorted().joined(separator: ", "))>", at: fieldName.range)
        }
        if path.names.count > 2 {
            throw .invalid("Cannot access field \(path.names[2].value) on a value with type \(f.type.rawValue)", at: path.names[2].range)
        }
        let join: MLMDJoin
        switch name {
        case .relation(let r): join = .related(r)
        case .events: join = .events
        case .property(let custom, let sqlName): join = try propertyJoin(sqlName, custom: custom)
        case .attribute: preconditionFailure("attributes are resolved above")
        }
        let t = try table(key, join)
        guard f.inSQL else { throw .sql("no such column: table_\(t).\(f.column.rawValue)", at: path.range) }
        return Typed(expr: .column(table: t, f.column), type: f.type)
    }

    mutating func literal(_ l: Literal) throws(MLMDFilterError) -> Typed {
        switch l.value {
        case .string(let s): Typed(expr: .literal(.text(s)), type: .string)
        case .integer(let i): Typed(expr: .literal(.integer(i)), type: .int64)
        case .decimal(let d): Typed(expr: .literal(.real(d)), type: .double)
        case .bool(let b): Typed(expr: .literal(.integer(b ? 1 : 0)), type: .bool)
        case .name(let n): try field(FieldPath(names: [Located(n, l.range)]))
        case .parameter: throw .invalid("Syntax error: Illegal input character \"$\"", at: l.range)
        }
    }

    /// ZetaSQL's coercion to a common type: INT64 and DOUBLE meet at DOUBLE (an integer literal
    /// becomes a double literal, an integer column is CAST); no other kinds mix.
    func common(_ items: [Typed], _ op: String, _ range: SourceRange) throws(MLMDFilterError) -> [MLMDExpression] {
        let types = Set(items.map(\.type.rawValue))
        if types.count == 1, items[0].type != .structure { return items.map(\.expr) }
        guard types == [ValueType.int64.rawValue, ValueType.double.rawValue] else {
            throw .invalid(
                "No matching signature for operator \(op) for argument types: \(items.map(\.type.rawValue).joined(separator: ", "))", at: range)
        }
        return items.map { item in
            guard item.type == .int64 else { return item.expr }
            if case .literal(.integer(let i)) = item.expr { return .literal(.real(Double(i))) }
            return .castToReal(item.expr)
        }
    }

    mutating func bind(_ p: Predicate) throws(MLMDFilterError) -> MLMDCondition {
        switch p {
        case .and(let a, let b, _): return .and([try bind(a), try bind(b)])
        case .or(let a, let b, _): return .or([try bind(a), try bind(b)])
        case .not(let a, _): return .not(try bind(a))
        case .error(let r): throw .invalid("Syntax error", at: r)
        case .isNull(let f, let negated, let range):
            let x = try field(f)
            if x.type == .structure { throw .sql("no such column: \(f)", at: range) }
            return negated ? .not(.isNull(x.expr)) : .isNull(x.expr)
        case .compare(let f, let op, let l):
            let e = try common([try field(f), try literal(l)], op.rawValue, p.range)
            return .compare(e[0], op, e[1])
        case .like(let f, let l, let negated):
            let (x, y) = (try field(f), try literal(l))
            guard x.type == .string, y.type == .string else {
                throw .invalid("No matching signature for operator LIKE for argument types: \(x.type.rawValue), \(y.type.rawValue)", at: p.range)
            }
            return negated ? .not(.like(x.expr, y.expr)) : .like(x.expr, y.expr)
        case .inList(let f, let ls, let negated, _):
            var items = [try field(f)]
            for l in ls { items.append(try literal(l)) }
            let e = try common(items, "IN", p.range)
            let c = MLMDCondition.inList(e[0], Array(e.dropFirst()))
            return negated ? .not(c) : c
        }
    }

    // MARK: String literals in SQLite

    /// MLMD prints each string literal with ZetaSQL's `ToStringLiteral`, in double quotes unless
    /// it holds a double quote and no single one. SQLite reads a double-quoted literal that names
    /// a column in scope as that column, and the backslash escapes as they are.
    func resolveStrings(_ c: MLMDCondition) throws(MLMDFilterError) -> MLMDCondition {
        switch c {
        case .and(let cs):
            var out: [MLMDCondition] = []
            for x in cs { out.append(try resolveStrings(x)) }
            return .and(out)
        case .or(let cs):
            var out: [MLMDCondition] = []
            for x in cs { out.append(try resolveStrings(x)) }
            return .or(out)
        case .not(let x): return .not(try resolveStrings(x))
        case .compare(let a, let op, let b): return .compare(try resolve(a), op, try resolve(b))
        case .like(let a, let b): return .like(try resolve(a), try resolve(b))
        case .inList(let a, let bs):
            var out: [MLMDExpression] = []
            for b in bs { out.append(try resolve(b)) }
            return .inList(try resolve(a), out)
        case .isNull(let a): return .isNull(try resolve(a))
        }
    }

    func resolve(_ e: MLMDExpression) throws(MLMDFilterError) -> MLMDExpression {
        switch e {
        case .castToReal(let x): return .castToReal(try resolve(x))
        case .column: return e
        case .literal(let v):
            guard case .text(let raw) = v else { return e }
            let hasDouble = raw.contains("\""), hasSingle = raw.contains("'")
            if hasDouble && hasSingle {
                throw .sql("syntax error (a string with both quote characters is printed as \"…\\\"…'…\")")
            }
            let quote = hasDouble ? UInt8(ascii: "'") : UInt8(ascii: "\"")
            let content = ZetaSQLLexer.escape(raw, quote: quote)
            if quote == UInt8(ascii: "\""), let column = try column(named: content) { return column }
            return .literal(.text(content))
        }
    }

    /// SQLite's lookup of an unqualified column name over the FROM clause.
    func column(named name: String) throws(MLMDFilterError) -> MLMDExpression? {
        let key = asciiLowercased(name)
        var found: [MLMDExpression] = []
        for t in 0...joins.count {
            for c in sqlColumns(ofTable: t) where c.rawValue == key { found.append(.column(table: t, c)) }
        }
        if found.count > 1 { throw .sql("ambiguous column name: \(name)") }
        if let only = found.first { return only }
        // The rowid, when exactly one real table (the node's, or an event table) could have it.
        if ["rowid", "oid", "_rowid_"].contains(key), !joins.contains(.events) { return .column(table: 0, .rowid) }
        return nil
    }
}
