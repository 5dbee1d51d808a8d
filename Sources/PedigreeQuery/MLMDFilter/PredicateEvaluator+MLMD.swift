package import PedigreeModel
internal import PedigreeGraph
internal import Foundation

// MARK: - MLMD filters (SQLite semantics)

/// The text SQLite holds for property values ml-metadata stores encoded: a struct in
/// `string_value` (`mlmd-struct::` and base64), a proto in `proto_value` (base64).
package struct MLMDStorageText: Sendable {
    package var structText: @Sendable ([String: StructValue]) -> String
    package var protoText: @Sendable (AnyProto) -> String

    package init(
        structText: @escaping @Sendable ([String: StructValue]) -> String, protoText: @escaping @Sendable (AnyProto) -> String
    ) {
        self.structText = structText
        self.protoText = protoText
    }

    /// The struct prefix alone (enough for `LIKE 'mlmd-struct::%'`), and no proto text.
    package static let placeholder = MLMDStorageText(structText: { _ in "mlmd-struct::" }, protoText: { _ in "" })
}

extension PredicateEvaluator {
    /// SQLite's type affinity of an expression.
    enum Affinity {
        case none, integer, real, numeric, text, blob
        var isNumeric: Bool { self == .integer || self == .real || self == .numeric }
    }

    /// One row of a joined table.
    enum JoinRow {
        case type(TypeID, NodeType)
        case node(NodeKind, Int32)
        case event(rowID: Int64, Event)
        case property(name: String, custom: Bool, value: Value)
    }

    /// The node's base-table values and its joined rows, one choice per table.
    struct Row {
        var kind: NodeKind
        var index: Int32
        var id: Int64
        var joined: [JoinRow]
    }

    /// Whether the node matches an MLMD filter: some choice of one row per joined table (each an
    /// inner join) makes the condition true.
    package func matches(_ f: MLMDFilter, kind: NodeKind, index: Int32) -> Bool {
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

    static func tables(_ c: MLMDCondition, into out: inout Set<Int>) {
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

    func nodeID(_ kind: NodeKind, _ index: Int32) -> Int64 {
        snapshot.ids(kind)[Int(index)]
    }

    func typeID(_ kind: NodeKind, _ index: Int32) -> TypeID {
        switch kind {
        case .artifact: snapshot.artifacts[Int(index)].typeID
        case .execution: snapshot.executions[Int(index)].typeID
        case .context: snapshot.contexts[Int(index)].typeID
        }
    }

    func properties(_ kind: NodeKind, _ index: Int32, custom: Bool) -> Properties {
        switch kind {
        case .artifact: custom ? snapshot.artifacts[Int(index)].customProperties : snapshot.artifacts[Int(index)].properties
        case .execution: custom ? snapshot.executions[Int(index)].customProperties : snapshot.executions[Int(index)].properties
        case .context: custom ? snapshot.contexts[Int(index)].customProperties : snapshot.contexts[Int(index)].properties
        }
    }

    func joinRows(_ join: MLMDJoin, kind: NodeKind, index: Int32, id: Int64) -> [JoinRow] {
        let g = snapshot
        switch join {
        case .type:
            guard let t = g.type(typeID(kind, index)), t.kind == kind else { return [] }
            return [.type(typeID(kind, index), t)]
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

    func value(_ e: MLMDExpression, _ row: Row) -> (SQLiteValue, Affinity) {
        switch e {
        case .literal(let v): return (v, .none)
        case .castToReal(let x): return (Self.castToReal(value(x, row).0), .real)
        case .column(0, let c): return nodeValue(c, row.kind, row.index, baseID: row.id)
        case .column(let t, let c): return value(c, of: row.joined[t - 1], baseID: row.id)
        }
    }

    func value(_ c: MLMDColumn, of row: JoinRow, baseID: Int64) -> (SQLiteValue, Affinity) {
        switch row {
        case .node(let kind, let index): return nodeValue(c, kind, index, baseID: baseID)
        case .type(let id, let t):
            switch c {
            case .typeID: return (.integer(id.rawValue), .integer)
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

    func nodeValue(_ c: MLMDColumn, _ kind: NodeKind, _ index: Int32, baseID: Int64) -> (SQLiteValue, Affinity) {
        switch kind {
        case .artifact: return nodeValue(c, snapshot.artifacts[Int(index)], id: nodeID(kind, index), baseID: baseID)
        case .execution: return nodeValue(c, snapshot.executions[Int(index)], id: nodeID(kind, index), baseID: baseID)
        case .context: return nodeValue(c, snapshot.contexts[Int(index)], id: nodeID(kind, index), baseID: baseID)
        }
    }

    func nodeValue<N: MetadataNode>(_ c: MLMDColumn, _ n: N, id: Int64, baseID: Int64) -> (SQLiteValue, Affinity) {
        func text(_ s: String?) -> (SQLiteValue, Affinity) { (s.map { .text($0) } ?? .null, .text) }
        func integer(_ i: Int?) -> (SQLiteValue, Affinity) { (i.map { .integer(Int64($0)) } ?? .null, .integer) }
        switch c {
        case .id, .rowid: return (.integer(id), .integer)
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

    func evaluate(_ c: MLMDCondition, _ row: Row) -> Truth {
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

    static func truth(_ b: Bool?) -> Truth { b.map { Truth($0) } ?? .unknown }

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
    static func intRealOrder(_ i: Int64, _ r: Double) -> Int {
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

    static func isNumberLiteral(_ t: String) -> Bool {
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
