package import PedigreeModel
@_spi(Engine) package import PedigreeGraph
internal import Foundation

/// Evaluates bound predicates on nodes of a snapshot, with SQL's three-valued logic (a missing
/// value makes a comparison unknown, and unknown is not a match), as MLMD's SQL does.
package struct PredicateEvaluator: Sendable {
    package let snapshot: GraphSnapshot
    /// How property values that SQLite holds as text look there (for MLMD filters).
    package let storage: MLMDStorageText

    package init(_ snapshot: GraphSnapshot, storage: MLMDStorageText = .placeholder) {
        self.snapshot = snapshot
        self.storage = storage
    }

    enum Truth {
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
    struct Subject {
        var kind: NodeKind
        var index: Int32
    }

    /// Whether the node of `kind` at dense `index` satisfies `predicate`.
    package func matches(_ predicate: BoundPredicate, kind: NodeKind, index: Int32) -> Bool {
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

    enum AliasSource: Equatable {
        case relation(Relation)
        case events
    }

    func collectAliases(_ p: BoundPredicate, into out: inout [String: AliasSource]) {
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
    func candidates(_ source: AliasSource, of s: Subject) -> [Int32] {
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

    func evaluate(_ p: BoundPredicate, _ s: Subject, _ assignment: [String: Int32]) -> Truth {
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
    func value(_ o: BoundOperand, _ s: Subject, _ assignment: [String: Int32]) -> BoundValue? {
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
            return Self.value(o, at: NodeRef(s.kind, s.index), g)
        }
    }

    /// An attribute or property of the node at `ref`; nil when absent.
    static func value(_ o: BoundOperand, at ref: NodeRef, _ g: GraphSnapshot) -> BoundValue? {
        switch ref.kind {
        case .artifact: value(o, of: g.artifacts[Int(ref.index)], id: g.id(of: ref), g)
        case .execution: value(o, of: g.executions[Int(ref.index)], id: g.id(of: ref), g)
        case .context: value(o, of: g.contexts[Int(ref.index)], id: g.id(of: ref), g)
        }
    }

    static func value<N: MetadataNode>(_ o: BoundOperand, of n: N, id: Int64, _ g: GraphSnapshot) -> BoundValue? {
        switch o {
        case .id: return .int(id)
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
