public import PedigreeModel
public import PedigreeGraph
internal import Foundation

/// Evaluates bound predicates on nodes of a snapshot, with SQL's three-valued logic (a missing
/// value makes a comparison unknown, and unknown is not a match), as MLMD's SQL does.
public struct PredicateEvaluator: Sendable {
    public let snapshot: GraphSnapshot
    /// How property values that SQLite holds as text look there (for MLMD filters).
    public let storage: MLMDStorageText

    public init(_ snapshot: GraphSnapshot, storage: MLMDStorageText = .placeholder) {
        self.snapshot = snapshot
        self.storage = storage
    }

    private enum Truth {
        case yes, no, unknown

        init(_ b: Bool) { self = b ? .yes : .no }

        static prefix func ! (t: Truth) -> Truth {
            switch t {
            case .yes: .no
            case .no: .yes
            case .unknown: .unknown
            }
        }
    }

    /// A node the evaluation is about: the node itself or a related one under an alias.
    private struct Subject {
        var kind: NodeKind
        var index: Int32
    }

    /// Whether the node of `kind` at dense `index` satisfies `predicate`.
    public func matches(_ predicate: BoundPredicate, kind: NodeKind, index: Int32) -> Bool {
        if case .mlmd(let filter) = predicate { return matches(filter, kind: kind, index: index) }
        var aliases: [String: AliasSource] = [:]
        collectAliases(predicate, into: &aliases)
        if aliases.isEmpty {
            return evaluate(predicate, Subject(kind: kind, index: index), [:]) == .yes
        }
        // MLMD joins each alias to the related rows: the node matches if some choice of one
        // related row per alias satisfies the whole predicate (and a node with no related row
        // for an alias has no such choice).
        let names = aliases.keys.sorted()
        let choices = names.map { candidates(aliases[$0]!, of: Subject(kind: kind, index: index)) }
        if choices.contains(where: \.isEmpty) { return false }
        var pick = [Int](repeating: 0, count: names.count)
        while true {
            var assignment: [String: Int32] = [:]
            for (i, name) in names.enumerated() { assignment[name] = choices[i][pick[i]] }
            if evaluate(predicate, Subject(kind: kind, index: index), assignment) == .yes { return true }
            var i = 0
            while i < pick.count {
                pick[i] += 1
                if pick[i] < choices[i].count { break }
                pick[i] = 0
                i += 1
            }
            if i == pick.count { return false }
        }
    }

    private enum AliasSource: Equatable {
        case relation(Relation)
        case events
    }

    private func collectAliases(_ p: BoundPredicate, into out: inout [String: AliasSource]) {
        func operand(_ o: BoundOperand) {
            switch o {
            case .related(let alias, let relation, _): out[alias] = .relation(relation)
            case .event(let alias, _): out[alias] = .events
            default: break
            }
        }
        switch p {
        case .constant, .mlmd: break
        case .and(let ps), .or(let ps): for q in ps { collectAliases(q, into: &out) }
        case .not(let q): collectAliases(q, into: &out)
        case .compare(let o, _, _), .like(let o, _, _), .inList(let o, _, _), .isNull(let o, _): operand(o)
        }
    }

    /// The related dense indices (or event indices) an alias ranges over.
    private func candidates(_ source: AliasSource, of s: Subject) -> [Int32] {
        let g = snapshot
        switch (source, s.kind) {
        case (.events, .artifact): return Array(g.artifactEvents.items(s.index))
        case (.events, .execution): return Array(g.executionEvents.items(s.index))
        case (.relation(.contexts), .artifact): return Array(g.artifactContexts.items(s.index))
        case (.relation(.contexts), .execution): return Array(g.executionContexts.items(s.index))
        case (.relation(.parentContexts), .context): return Array(g.contextParents.items(s.index))
        case (.relation(.childContexts), .context): return Array(g.contextChildren.items(s.index))
        case (.relation(.artifacts), .context): return Array(g.contextArtifacts.items(s.index))
        case (.relation(.executions), .context): return Array(g.contextExecutions.items(s.index))
        default: return []
        }
    }

    private func evaluate(_ p: BoundPredicate, _ s: Subject, _ assignment: [String: Int32]) -> Truth {
        switch p {
        case .constant(let b): return Truth(b)
        case .mlmd(let filter): return Truth(matches(filter, kind: s.kind, index: s.index))
        case .and(let terms):
            var result = Truth.yes
            for t in terms {
                switch evaluate(t, s, assignment) {
                case .no: return .no
                case .unknown: result = .unknown
                case .yes: break
                }
            }
            return result
        case .or(let terms):
            var result = Truth.no
            for t in terms {
                switch evaluate(t, s, assignment) {
                case .yes: return .yes
                case .unknown: result = .unknown
                case .no: break
                }
            }
            return result
        case .not(let q): return !evaluate(q, s, assignment)
        case .isNull(let o, let negated):
            let isNull = value(o, s, assignment) == nil
            return Truth(isNull != negated)
        case .compare(let o, let op, let v):
            guard let lhs = value(o, s, assignment) else { return .unknown }
            return Truth(Self.compare(lhs, op, v))
        case .inList(let o, let vs, let negated):
            guard let lhs = value(o, s, assignment) else { return .unknown }
            let found = vs.contains { Self.compare(lhs, .equal, $0) }
            return Truth(found != negated)
        case .like(let o, let pattern, let negated):
            guard let lhs = value(o, s, assignment) else { return .unknown }
            let text: String =
                switch lhs {
                case .string(let t): t
                case .int(let i): String(i)
                case .double(let d): String(d)
                case .bool(let b): b ? "1" : "0"
                }
            return Truth(Self.like(Array(text.utf8), Array(pattern.utf8)) != negated)
        }
    }

    /// The operand's value on the subject; nil is SQL's NULL.
    private func value(_ o: BoundOperand, _ s: Subject, _ assignment: [String: Int32]) -> BoundValue? {
        let g = snapshot
        switch o {
        case .related(let alias, let relation, let inner):
            guard let index = assignment[alias] else { return nil }
            let kind: NodeKind =
                switch relation {
                case .contexts, .parentContexts, .childContexts: .context
                case .artifacts: .artifact
                case .executions: .execution
                }
            return value(inner, Subject(kind: kind, index: index), assignment)
        case .event(let alias, let field):
            guard let index = assignment[alias] else { return nil }
            let e = g.event(Int(index))
            switch field {
            case .type: return .int(Int64(e.type.rawValue))
            case .artifactID: return e.artifactID.map { .int($0.rawValue) }
            case .executionID: return e.executionID.map { .int($0.rawValue) }
            case .time: return e.time.map { .int($0) }
            }
        default:
            switch s.kind {
            case .artifact: return Self.value(o, of: g.artifacts[Int(s.index)], g)
            case .execution: return Self.value(o, of: g.executions[Int(s.index)], g)
            case .context: return Self.value(o, of: g.contexts[Int(s.index)], g)
            }
        }
    }

    static func value<N: MetadataNode>(_ o: BoundOperand, of n: N, _ g: GraphSnapshot) -> BoundValue? {
        switch o {
        case .id: return .int(n.id!.rawValue)
        case .typeID: return .int(n.typeID.rawValue)
        case .typeName: return g.type(n.typeID).map { .string($0.name) }
        case .name: return n.nodeName.map { .string($0) }
        case .uri: return (n as? Artifact)?.uri.map { .string($0) }
        case .artifactState: return (n as? Artifact)?.state.map { .int(Int64($0.rawValue)) }
        case .executionState: return (n as? Execution)?.lastKnownState.map { .int(Int64($0.rawValue)) }
        case .externalID: return n.externalID.map { .string($0) }
        case .createTime: return .int(n.createTime ?? 0)
        case .updateTime: return .int(n.updateTime ?? 0)
        case .property(let name, let kind, let custom):
            let stored: Value? =
                switch custom {
                case false?: n.properties[name]
                case true?: n.customProperties[name]
                case nil: n.properties[name] ?? n.customProperties[name]
                }
            guard let stored else { return nil }
            if let kind, stored.propertyType != kind { return nil }
            switch stored {
            case .int(let i): return .int(i)
            case .double(let d): return d.isNaN ? nil : .double(d)
            case .string(let s): return .string(s)
            case .bool(let b): return .bool(b)
            case .struct, .proto: return nil
            }
        case .related, .event: return nil
        }
    }

    /// Compares as SQLite does: numbers (and booleans, stored as 0/1) by value, strings by
    /// bytes, and any number below any string.
    static func compare(_ a: BoundValue, _ op: CompareOp, _ b: BoundValue) -> Bool {
        func numeric(_ v: BoundValue) -> Double? {
            switch v {
            case .int(let i): Double(i)
            case .double(let d): d
            case .bool(let x): x ? 1 : 0
            case .string: nil
            }
        }
        let order: Int
        switch (a, b) {
        case (.int(let x), .int(let y)): order = x < y ? -1 : (x > y ? 1 : 0)
        case (.string(let x), .string(let y)):
            let (u, v) = (Array(x.utf8), Array(y.utf8))
            order = u.lexicographicallyPrecedes(v) ? -1 : (u == v ? 0 : 1)
        default:
            if let x = numeric(a), let y = numeric(b) {
                order = x < y ? -1 : (x > y ? 1 : 0)
            } else {
                order = numeric(a) != nil ? -1 : 1  // a number sorts before a string
            }
        }
        switch op {
        case .equal: return order == 0
        case .notEqual: return order != 0
        case .less: return order < 0
        case .lessEqual: return order <= 0
        case .greater: return order > 0
        case .greaterEqual: return order >= 0
        }
    }

    /// SQL LIKE with SQLite's defaults: `%` any run, `_` any one character, ASCII letters
    /// compared without case.
    static func like(_ text: [UInt8], _ pattern: [UInt8]) -> Bool {
        func lower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c + 32 : c }
        var t = 0, p = 0
        var star = -1, mark = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "%") {
                star = p
                p += 1
                mark = t
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "_") {
                // One character: skip a whole UTF-8 sequence.
                p += 1
                t += 1
                while t < text.count, text[t] & 0xC0 == 0x80 { t += 1 }
            } else if p < pattern.count, lower(pattern[p]) == lower(text[t]) {
                p += 1
                t += 1
            } else if star >= 0 {
                p = star + 1
                mark += 1
                while mark < text.count, text[mark] & 0xC0 == 0x80 { mark += 1 }
                t = mark
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "%") { p += 1 }
        return p == pattern.count
    }
}

// MARK: - MLMD filters (SQLite semantics)

/// The text SQLite holds for property values ml-metadata stores encoded: a struct in
/// `string_value` (`mlmd-struct::` and base64), a proto in `proto_value` (base64).
public struct MLMDStorageText: Sendable {
    public var structText: @Sendable ([String: StructValue]) -> String
    public var protoText: @Sendable (AnyProto) -> String

    public init(
        structText: @escaping @Sendable ([String: StructValue]) -> String, protoText: @escaping @Sendable (AnyProto) -> String
    ) {
        self.structText = structText
        self.protoText = protoText
    }

    /// The struct prefix alone (enough for `LIKE 'mlmd-struct::%'`), and no proto text.
    public static let placeholder = MLMDStorageText(structText: { _ in "mlmd-struct::" }, protoText: { _ in "" })
}

extension PredicateEvaluator {
    /// SQLite's type affinity of an expression.
    enum Affinity {
        case none, integer, real, numeric, text, blob
        var isNumeric: Bool { self == .integer || self == .real || self == .numeric }
    }

    /// One row of a joined table.
    private enum JoinRow {
        case type(NodeType)
        case node(NodeKind, Int32)
        case event(rowID: Int64, Event)
        case property(name: String, custom: Bool, value: Value)
    }

    /// The node's base-table values and its joined rows, one choice per table.
    private struct Row {
        var kind: NodeKind
        var index: Int32
        var id: Int64
        var joined: [JoinRow]
    }

    /// Whether the node matches an MLMD filter: some choice of one row per joined table (each an
    /// inner join) makes the condition true.
    public func matches(_ f: MLMDFilter, kind: NodeKind, index: Int32) -> Bool {
        let id = nodeID(kind, index)
        var rows: [[JoinRow]] = []
        for join in f.joins {
            let r = joinRows(join, kind: kind, index: index, id: id)
            if r.isEmpty { return false }
            rows.append(r)
        }
        // Tables the condition does not read only need a row; the others are enumerated.
        var read = Set<Int>()
        Self.tables(f.condition, into: &read)
        let varying = read.filter { $0 > 0 && rows[$0 - 1].count > 1 }.sorted()
        var row = Row(kind: kind, index: index, id: id, joined: rows.map { $0[0] })
        var pick = [Int](repeating: 0, count: varying.count)
        while true {
            for (i, t) in varying.enumerated() { row.joined[t - 1] = rows[t - 1][pick[i]] }
            if evaluate(f.condition, row) == .yes { return true }
            var i = 0
            while i < pick.count {
                pick[i] += 1
                if pick[i] < rows[varying[i] - 1].count { break }
                pick[i] = 0
                i += 1
            }
            if i == pick.count { return false }
        }
    }

    private static func tables(_ c: MLMDCondition, into out: inout Set<Int>) {
        func expr(_ e: MLMDExpression) {
            switch e {
            case .column(let t, _): out.insert(t)
            case .literal: break
            case .castToReal(let x): expr(x)
            }
        }
        switch c {
        case .and(let cs), .or(let cs): for x in cs { tables(x, into: &out) }
        case .not(let x): tables(x, into: &out)
        case .compare(let a, _, let b), .like(let a, let b):
            expr(a)
            expr(b)
        case .inList(let a, let bs):
            expr(a)
            bs.forEach(expr)
        case .isNull(let a): expr(a)
        }
    }

    private func nodeID(_ kind: NodeKind, _ index: Int32) -> Int64 {
        switch kind {
        case .artifact: snapshot.artifacts[Int(index)].id!.rawValue
        case .execution: snapshot.executions[Int(index)].id!.rawValue
        case .context: snapshot.contexts[Int(index)].id!.rawValue
        }
    }

    private func typeID(_ kind: NodeKind, _ index: Int32) -> TypeID {
        switch kind {
        case .artifact: snapshot.artifacts[Int(index)].typeID
        case .execution: snapshot.executions[Int(index)].typeID
        case .context: snapshot.contexts[Int(index)].typeID
        }
    }

    private func properties(_ kind: NodeKind, _ index: Int32, custom: Bool) -> Properties {
        switch kind {
        case .artifact: custom ? snapshot.artifacts[Int(index)].customProperties : snapshot.artifacts[Int(index)].properties
        case .execution: custom ? snapshot.executions[Int(index)].customProperties : snapshot.executions[Int(index)].properties
        case .context: custom ? snapshot.contexts[Int(index)].customProperties : snapshot.contexts[Int(index)].properties
        }
    }

    private func joinRows(_ join: MLMDJoin, kind: NodeKind, index: Int32, id: Int64) -> [JoinRow] {
        let g = snapshot
        switch join {
        case .type:
            guard let t = g.type(typeID(kind, index)), t.kind == kind else { return [] }
            return [.type(t)]
        case .related(let relation):
            let related: NodeKind =
                switch relation {
                case .contexts, .parentContexts, .childContexts: .context
                case .artifacts: .artifact
                case .executions: .execution
                }
            // MLMD's subqueries join the related node's type: a node without one drops out.
            return candidates(.relation(relation), of: Subject(kind: kind, index: index))
                .filter { g.type(typeID(related, $0)) != nil }
                .map { .node(related, $0) }
        case .events:
            var rows: [JoinRow] = candidates(.events, of: Subject(kind: kind, index: index)).map {
                .event(rowID: g.events.rowIDs[Int($0)], g.event(Int($0)))
            }
            // Events whose other end does not exist still join (MLMD's SQL does not check it).
            for (rowID, e) in g.orphanEvents
            where (kind == .artifact ? e.artifactID?.rawValue : e.executionID?.rawValue) == id {
                rows.append(.event(rowID: rowID, e))
            }
            return rows
        case .property(let name, let custom):
            let props = properties(kind, index, custom: custom)
            switch name {
            case .literal(let n):
                return props[n].map { [.property(name: n, custom: custom, value: $0)] } ?? []
            case .column(let c):
                // `WHERE name = <column>`: the rows whose name equals their own column value.
                return props.keys.sorted().compactMap { n in
                    let row = JoinRow.property(name: n, custom: custom, value: props[n]!)
                    let lhs = (SQLiteValue.text(n), Affinity.text)
                    return Self.compare(lhs, .equal, value(c, of: row, baseID: id)) == true ? row : nil
                }
            }
        }
    }

    // MARK: Values

    private func value(_ e: MLMDExpression, _ row: Row) -> (SQLiteValue, Affinity) {
        switch e {
        case .literal(let v): return (v, .none)
        case .castToReal(let x): return (Self.castToReal(value(x, row).0), .real)
        case .column(0, let c): return nodeValue(c, row.kind, row.index, baseID: row.id)
        case .column(let t, let c): return value(c, of: row.joined[t - 1], baseID: row.id)
        }
    }

    private func value(_ c: MLMDColumn, of row: JoinRow, baseID: Int64) -> (SQLiteValue, Affinity) {
        switch row {
        case .node(let kind, let index): return nodeValue(c, kind, index, baseID: baseID)
        case .type(let t):
            switch c {
            case .typeID: return (.integer(t.id!.rawValue), .integer)
            case .type: return (.text(t.name), .text)
            default: return (.null, .none)
            }
        case .event(let rowID, let e):
            switch c {
            case .id, .rowid: return (.integer(rowID), .integer)
            case .artifactID: return (e.artifactID.map { .integer($0.rawValue) } ?? .null, .integer)
            case .executionID: return (e.executionID.map { .integer($0.rawValue) } ?? .null, .integer)
            case .type: return (.integer(Int64(e.type.rawValue)), .integer)
            case .millisecondsSinceEpoch: return (e.time.map { .integer($0) } ?? .null, .integer)
            default: return (.null, .none)
            }
        case .property(let name, let custom, let v):
            switch c {
            case .artifactID, .executionID, .contextID: return (.integer(baseID), .integer)
            case .name: return (.text(name), .text)
            case .isCustomProperty: return (.integer(custom ? 1 : 0), .integer)
            case .intValue:
                if case .int(let i) = v { return (.integer(i), .integer) }
                return (.null, .integer)
            case .doubleValue:
                // Pedigree stores NaN as the text 'NaN' (a bound NaN would become NULL).
                if case .double(let d) = v { return (d.isNaN ? .text("NaN") : .real(d), .real) }
                return (.null, .real)
            case .stringValue:
                if case .string(let s) = v { return (.text(s), .text) }
                if case .struct(let fields) = v { return (.text(storage.structText(fields)), .text) }
                return (.null, .text)
            case .boolValue:
                if case .bool(let b) = v { return (.integer(b ? 1 : 0), .numeric) }
                return (.null, .numeric)
            case .protoValue:
                if case .proto(let any) = v { return (.text(storage.protoText(any)), .blob) }
                return (.null, .blob)
            case .byteValue: return (.null, .blob)
            default: return (.null, .none)
            }
        }
    }

    private func nodeValue(_ c: MLMDColumn, _ kind: NodeKind, _ index: Int32, baseID: Int64) -> (SQLiteValue, Affinity) {
        switch kind {
        case .artifact: return nodeValue(c, snapshot.artifacts[Int(index)], baseID: baseID)
        case .execution: return nodeValue(c, snapshot.executions[Int(index)], baseID: baseID)
        case .context: return nodeValue(c, snapshot.contexts[Int(index)], baseID: baseID)
        }
    }

    private func nodeValue<N: MetadataNode>(_ c: MLMDColumn, _ n: N, baseID: Int64) -> (SQLiteValue, Affinity) {
        func text(_ s: String?) -> (SQLiteValue, Affinity) { (s.map { .text($0) } ?? .null, .text) }
        func integer(_ i: Int?) -> (SQLiteValue, Affinity) { (i.map { .integer(Int64($0)) } ?? .null, .integer) }
        switch c {
        case .id, .rowid: return (.integer(n.id!.rawValue), .integer)
        case .typeID: return (.integer(n.typeID.rawValue), .integer)
        case .type: return text(snapshot.type(n.typeID)?.name)
        case .name: return text(n.nodeName)
        case .uri: return text((n as? Artifact)?.uri)
        case .state: return integer((n as? Artifact)?.state?.rawValue)
        case .lastKnownState: return integer((n as? Execution)?.lastKnownState?.rawValue)
        case .externalID: return text(n.externalID)
        case .createTime: return (.integer(n.createTime ?? 0), .integer)
        case .updateTime: return (.integer(n.updateTime ?? 0), .integer)
        // The link columns of a join subquery: the end that is the filtered node.
        case .artifactID, .executionID, .contextID, .childContextID, .parentContextID: return (.integer(baseID), .integer)
        default: return (.null, .none)
        }
    }

    // MARK: Conditions

    private func evaluate(_ c: MLMDCondition, _ row: Row) -> Truth {
        switch c {
        case .and(let cs):
            var result = Truth.yes
            for x in cs {
                switch evaluate(x, row) {
                case .no: return .no
                case .unknown: result = .unknown
                case .yes: break
                }
            }
            return result
        case .or(let cs):
            var result = Truth.no
            for x in cs {
                switch evaluate(x, row) {
                case .yes: return .yes
                case .unknown: result = .unknown
                case .no: break
                }
            }
            return result
        case .not(let x): return !evaluate(x, row)
        case .isNull(let a): return Truth(value(a, row).0 == .null)
        case .compare(let a, let op, let b): return Self.truth(Self.compare(value(a, row), op, value(b, row)))
        case .like(let a, let b):
            let (x, p) = (value(a, row).0, value(b, row).0)
            guard let text = Self.text(x), let pattern = Self.text(p) else { return .unknown }
            return Truth(Self.like(Array(text.utf8), Array(pattern.utf8)))
        case .inList(let a, let bs):
            let (x, affinity) = value(a, row)
            if x == .null { return .unknown }
            var sawNull = false
            for b in bs {
                // The list's values have no affinity; the left side's applies to them.
                var y = value(b, row).0
                if affinity.isNumeric { y = Self.numeric(y) } else if affinity == .text { y = Self.textual(y) }
                if y == .null {
                    sawNull = true
                    continue
                }
                if Self.order(x, y) == 0 { return .yes }
            }
            return sawNull ? .unknown : .no
        }
    }

    private static func truth(_ b: Bool?) -> Truth { b.map { Truth($0) } ?? .unknown }

    /// SQLite's comparison: affinity first (a numeric side makes the other numeric when it can,
    /// a text side makes an affinity-less one text), then NULL is unknown, numbers sort before
    /// text, and text compares by bytes.
    static func compare(_ a: (SQLiteValue, Affinity), _ op: CompareOp, _ b: (SQLiteValue, Affinity)) -> Bool? {
        var (x, y) = (a.0, b.0)
        let (ax, ay) = (a.1, b.1)
        if ax.isNumeric, ay == .text || ay == .blob || ay == .none {
            y = numeric(y)
        } else if ay.isNumeric, ax == .text || ax == .blob || ax == .none {
            x = numeric(x)
        } else if ax == .text, ay == .none {
            y = textual(y)
        } else if ay == .text, ax == .none {
            x = textual(x)
        }
        guard x != .null, y != .null else { return nil }
        let o = order(x, y)
        switch op {
        case .equal: return o == 0
        case .notEqual: return o != 0
        case .less: return o < 0
        case .lessEqual: return o <= 0
        case .greater: return o > 0
        case .greaterEqual: return o >= 0
        }
    }

    /// SQLite's order of two non-NULL values: numbers (exactly, integer against real too), then text.
    static func order(_ x: SQLiteValue, _ y: SQLiteValue) -> Int {
        switch (x, y) {
        case (.integer(let a), .integer(let b)): return a < b ? -1 : (a > b ? 1 : 0)
        case (.real(let a), .real(let b)): return a < b ? -1 : (a > b ? 1 : 0)
        case (.integer(let a), .real(let b)): return intRealOrder(a, b)
        case (.real(let a), .integer(let b)): return -intRealOrder(b, a)
        case (.text(let a), .text(let b)):
            let (u, v) = (Array(a.utf8), Array(b.utf8))
            return u.lexicographicallyPrecedes(v) ? -1 : (u == v ? 0 : 1)
        case (.text, _): return 1
        case (_, .text): return -1
        default: return 0
        }
    }

    /// `sqlite3IntFloatCompare`.
    private static func intRealOrder(_ i: Int64, _ r: Double) -> Int {
        if r.isNaN { return 1 }
        if r < -9223372036854775808.0 { return 1 }
        if r >= 9223372036854775808.0 { return -1 }
        let y = Int64(r)
        if i < y { return -1 }
        if i > y { return 1 }
        let s = Double(i)
        return s < r ? -1 : (s > r ? 1 : 0)
    }

    /// NUMERIC affinity: text that is a well-formed number becomes that number.
    static func numeric(_ v: SQLiteValue) -> SQLiteValue {
        guard case .text(let s) = v else { return v }
        let t = s.trimmingCharacters(in: CharacterSet(charactersIn: " \t\n\r\u{0B}\u{0C}"))
        guard isNumberLiteral(t) else { return v }
        if let i = Int64(t) { return .integer(i) }
        if let d = Double(t) { return .real(d) }
        return v
    }

    private static func isNumberLiteral(_ t: String) -> Bool {
        var b = Array(t.utf8)[...]
        if let f = b.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") { b = b.dropFirst() }
        func digits() -> Int {
            var n = 0
            while let c = b.first, c >= 48 && c <= 57 {
                b = b.dropFirst()
                n += 1
            }
            return n
        }
        var mantissa = digits()
        if b.first == UInt8(ascii: ".") {
            b = b.dropFirst()
            mantissa += digits()
        }
        guard mantissa > 0 else { return false }
        if let e = b.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            b = b.dropFirst()
            if let f = b.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") { b = b.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return b.isEmpty
    }

    /// TEXT affinity: a number becomes its text.
    static func textual(_ v: SQLiteValue) -> SQLiteValue {
        switch v {
        case .integer, .real: text(v).map { .text($0) } ?? v
        default: v
        }
    }

    /// A value as text (SQLite's `sqlite3_value_text`); nil for NULL.
    static func text(_ v: SQLiteValue) -> String? {
        switch v {
        case .null: return nil
        case .text(let s): return s
        case .integer(let i): return String(i)
        case .real(let d):
            if d.isInfinite { return d < 0 ? "-Inf" : "Inf" }
            var s = String(format: "%.15g", d)
            if !s.contains(".") && !s.contains("e") { s += ".0" } else if !s.contains("."), let e = s.firstIndex(of: "e") {
                s.insert(contentsOf: ".0", at: e)
            }
            return s
        }
    }

    /// `CAST(x AS REAL)`.
    static func castToReal(_ v: SQLiteValue) -> SQLiteValue {
        switch v {
        case .null, .real: return v
        case .integer(let i): return .real(Double(i))
        case .text(let s):
            // The longest numeric prefix, else 0.
            let t = s.drop { " \t\n\r".contains($0) }
            var best = 0.0
            var end = t.startIndex
            while end < t.endIndex {
                end = t.index(after: end)
                if isNumberLiteral(String(t[..<end])), let d = Double(t[..<end]) { best = d }
            }
            return .real(best)
        }
    }
}
