package import PedigreeModel
package import PedigreeGraph
internal import Foundation

/// Resolves a predicate's names against the store: attributes, properties and their value kinds,
/// join aliases, type names and enum values. Unknown names get "did you mean" notes.
///
/// In MLMD-compatible mode (`mlmdCompatible: true`) it binds an ml-metadata `filter_query` the way
/// ml-metadata 1.17.1 runs it on SQLite instead (see `bindFilterQuery(_:for:)`): what MLMD
/// rejects is an error, and what MLMD accepts but cannot match (an unknown type name, property
/// or context) is no error and matches nothing.
package struct PredicateBinder {
    package let snapshot: GraphSnapshot
    package let parameters: [String: Literal.Value]
    /// Bind with ml-metadata's filter_query semantics instead of the query language's.
    package let mlmdCompatible: Bool
    package internal(set) var diagnostics: [Diagnostic] = []
    /// The text the diagnostics' ranges point into. In MLMD-compatible mode that is the filter
    /// after MLMD's own rewriting (enum names to numbers, `properties.p.` to `properties_p.`).
    package internal(set) var diagnosticSource: String?

    package init(snapshot: GraphSnapshot, parameters: [String: Literal.Value] = [:], mlmdCompatible: Bool = false) {
        self.snapshot = snapshot
        self.parameters = parameters
        self.mlmdCompatible = mlmdCompatible
    }

    /// Binds `predicate` for nodes of `kind`; nil (with diagnostics) when it cannot be bound.
    /// In MLMD-compatible mode the predicate is printed in MLMD's syntax and bound as
    /// `bindFilterQuery` binds text.
    package mutating func bind(_ predicate: Predicate, for kind: NodeKind) -> BoundPredicate? {
        if mlmdCompatible {
            guard let text = mlmdText(predicate) else { return nil }
            return bindFilterQuery(text, for: kind)
        }
        let before = diagnostics.count
        let bound = bindExpr(predicate, kind)
        return diagnostics.count == before ? bound : nil
    }

    mutating func error(_ id: String, _ message: String, at range: SourceRange, notes: [String] = []) {
        diagnostics.append(Diagnostic(id, message, at: range, notes: notes))
    }

    mutating func bindExpr(_ p: Predicate, _ kind: NodeKind) -> BoundPredicate {
        switch p {
        case .and(let a, let b, _): return .and([bindExpr(a, kind), bindExpr(b, kind)])
        case .or(let a, let b, _): return .or([bindExpr(a, kind), bindExpr(b, kind)])
        case .not(let a, _): return .not(bindExpr(a, kind))
        case .error: return .constant(false)
        case .isNull(let field, let negated, _):
            guard let operand = bindField(field, kind) else { return .constant(false) }
            return .isNull(operand, negated: negated)
        case .compare(let field, let op, let literal):
            guard let operand = bindField(field, kind), let value = bindValue(literal, for: operand, field: field, kind: kind) else {
                return .constant(false)
            }
            if case .typeName = operand.leaf, case .string(let name) = value, op == .equal || op == .notEqual {
                checkTypeName(name, kind: operand.leafKind(kind), at: literal.range)
            }
            return .compare(operand, op, value)
        case .like(let field, let literal, let negated):
            guard let operand = bindField(field, kind), let value = bindValue(literal, for: operand, field: field, kind: kind) else {
                return .constant(false)
            }
            guard case .string(let pattern) = value else {
                error("bind.like-pattern", "like needs a 'string' pattern", at: literal.range)
                return .constant(false)
            }
            return .like(operand, pattern, negated: negated)
        case .inList(let field, let literals, let negated, _):
            guard let operand = bindField(field, kind) else { return .constant(false) }
            var values: [BoundValue] = []
            for literal in literals {
                guard let v = bindValue(literal, for: operand, field: field, kind: kind) else { return .constant(false) }
                values.append(v)
            }
            return .inList(operand, values, negated: negated)
        }
    }

    // MARK: Fields

    static func attributes(_ kind: NodeKind) -> [String: BoundOperand] {
        var a: [String: BoundOperand] = [
            "id": .id, "type_id": .typeID, "type": .typeName, "name": .name, "external_id": .externalID,
            "create_time_since_epoch": .createTime, "last_update_time_since_epoch": .updateTime,
        ]
        switch kind {
        case .artifact:
            a["uri"] = .uri
            a["state"] = .artifactState
        case .execution: a["last_known_state"] = .executionState
        case .context: break
        }
        return a
    }

    /// The join prefixes a node kind allows, with the relation and the related kind.
    static func relations(_ kind: NodeKind) -> [(prefix: String, relation: Relation, kind: NodeKind)] {
        switch kind {
        case .artifact, .execution: [("contexts_", .contexts, .context)]
        case .context:
            [("parent_contexts_", .parentContexts, .context), ("child_contexts_", .childContexts, .context),
             ("artifacts_", .artifacts, .artifact), ("executions_", .executions, .execution)]
        }
    }

    mutating func bindField(_ field: FieldPath, _ kind: NodeKind) -> BoundOperand? {
        let names = field.names
        let first = names[0]
        // Join aliases: contexts_a.name, events_0.type, parent_contexts_p.id, ...
        if names.count >= 2 {
            if kind != .context, first.value.hasPrefix("events_"), first.value.count > "events_".count {
                guard names.count == 2 else {
                    error("bind.unknown-field", "events have no field \(names.dropFirst().map(\.value).joined(separator: "."))", at: field.range)
                    return nil
                }
                let fields: [String: EventField] = [
                    "type": .type, "artifact_id": .artifactID, "execution_id": .executionID, "milliseconds_since_epoch": .time,
                ]
                guard let f = fields[names[1].value] else {
                    unknown("event field", names[1], candidates: Array(fields.keys))
                    return nil
                }
                return .event(alias: first.value, field: f)
            }
            for (prefix, relation, relatedKind) in Self.relations(kind)
            where first.value.hasPrefix(prefix) && first.value.count > prefix.count {
                let rest = FieldPath(names: Array(names.dropFirst()))
                guard let inner = bindDirect(rest, relatedKind) else { return nil }
                return .related(alias: first.value, relation: relation, operand: inner)
            }
        }
        return bindDirect(field, kind)
    }

    /// A field of the node itself: an attribute, a property path or the property shorthand.
    mutating func bindDirect(_ field: FieldPath, _ kind: NodeKind) -> BoundOperand? {
        let names = field.names
        let first = names[0]
        if names.count == 1 {
            if let attribute = Self.attributes(kind)[first.value] { return attribute }
            return bindShorthand(first, kind)
        }
        if first.value == "properties" || first.value == "custom_properties" {
            guard names.count == 3 else {
                error("bind.property-path", "a property path is \(first.value).NAME.KIND_value, as in \(first.value).accuracy.double_value",
                      at: field.range)
                return nil
            }
            let kinds: [String: PropertyType] = [
                "int_value": .int, "double_value": .double, "string_value": .string, "bool_value": .boolean,
            ]
            guard let valueKind = kinds[names[2].value] else {
                unknown("value kind", names[2], candidates: Array(kinds.keys))
                return nil
            }
            let custom = first.value == "custom_properties"
            if !custom { checkPropertyName(names[1], kind: kind, valueKind: valueKind) }
            return .property(names[1].value, kind: valueKind, custom: custom)
        }
        var candidates = Array(Self.attributes(kind).keys) + ["properties", "custom_properties"]
        candidates += Self.relations(kind).map { $0.prefix + "a" }
        if kind != .context { candidates.append("events_a") }
        unknown("field", first, candidates: candidates)
        return nil
    }

    mutating func bindShorthand(_ name: Located<String>, _ kind: NodeKind) -> BoundOperand? {
        let declared = declaredProperties(kind)
        if declared[name.value] == nil {
            // Custom properties are free-form, so an unknown name is fine unless it is a near
            // miss of a declared property or an attribute: then it is most likely a typo.
            let known = Array(declared.keys) + Array(Self.attributes(kind).keys)
            if let suggestion = Self.nearest(name.value, in: known) {
                error("bind.unknown-property", "no \(kind) type declares a property '\(name.value)'", at: name.range,
                      notes: ["did you mean '\(suggestion)'?"])
                return nil
            }
        }
        return .property(name.value, kind: nil, custom: nil)
    }

    /// Property name -> the kinds it is declared with, over every type of `kind`.
    func declaredProperties(_ kind: NodeKind) -> [String: Set<PropertyType>] {
        var out: [String: Set<PropertyType>] = [:]
        for t in snapshot.types(of: kind) {
            for (name, type) in t.properties { out[name, default: []].insert(type) }
        }
        return out
    }

    mutating func checkPropertyName(_ name: Located<String>, kind: NodeKind, valueKind: PropertyType) {
        let declared = declaredProperties(kind)
        if let kinds = declared[name.value] {
            if !kinds.contains(valueKind) {
                let have = kinds.map(\.description).sorted().joined(separator: ", ")
                error("bind.property-kind", "property '\(name.value)' is declared \(have), not \(valueKind)", at: name.range,
                      notes: ["write properties.\(name.value).\(kinds.first!.description.lowercased())_value"])
            }
            return
        }
        let suggestion = Self.nearest(name.value, in: Array(declared.keys))
        error("bind.unknown-property", "no \(kind) type declares a property '\(name.value)'", at: name.range,
              notes: suggestion.map { ["did you mean '\($0)'?"] } ?? ["properties of a type are declared with the type; use custom_properties for others"])
    }

    mutating func checkTypeName(_ name: String, kind: NodeKind, at range: SourceRange) {
        let names = snapshot.types(of: kind).map(\.name)
        guard !names.contains(name) else { return }
        let suggestion = Self.nearest(name, in: names)
        error("bind.unknown-type", "the store has no \(kind) type named '\(name)'", at: range,
              notes: suggestion.map { ["did you mean '\($0)'?"] } ?? [])
    }

    mutating func unknown(_ what: String, _ name: Located<String>, candidates: [String]) {
        let suggestion = Self.nearest(name.value, in: candidates)
        error("bind.unknown-\(what.replacing(" ", with: "-"))", "unknown \(what) '\(name.value)'", at: name.range,
              notes: suggestion.map { ["did you mean '\($0)'?"] } ?? [])
    }

    // MARK: Values

    /// Binds a literal for comparison with `operand`, checking its kind.
    mutating func bindValue(_ literal: Literal, for operand: BoundOperand, field: FieldPath, kind: NodeKind) -> BoundValue? {
        var value = literal.value
        if case .parameter(let name) = value {
            guard let given = parameters[name] else {
                error("bind.parameter", "no value given for parameter $\(name)", at: literal.range,
                      notes: ["pass it with --param \(name)=VALUE"])
                return nil
            }
            value = given
        }
        let leaf = operand.leaf
        // Enum-valued fields take a name (LIVE, COMPLETE, INPUT) or its number.
        let enumCases: [String: Int]? =
            switch leaf {
            case .artifactState: Dictionary(uniqueKeysWithValues: ArtifactState.allCases.map { ($0.description, $0.rawValue) })
            case .executionState: Dictionary(uniqueKeysWithValues: ExecutionState.allCases.map { ($0.description, $0.rawValue) })
            case .event(_, .type): Dictionary(uniqueKeysWithValues: EventType.allCases.map { ($0.description, $0.rawValue) })
            default: nil
            }
        if let enumCases {
            switch value {
            case .name(let n):
                guard let raw = enumCases[n.uppercased()] else {
                    let suggestion = Self.nearest(n, in: Array(enumCases.keys))
                    error("bind.unknown-value", "'\(n)' is not a value of \(field)", at: literal.range,
                          notes: (suggestion.map { ["did you mean \($0)?"] } ?? []) + ["values: " + enumCases.sorted { $0.value < $1.value }.map(\.key).joined(separator: ", ")])
                    return nil
                }
                return .int(Int64(raw))
            case .integer(let i): return .int(i)
            default:
                error("bind.value-kind", "\(field) takes a name such as \(enumCases.min { $0.value < $1.value }!.key), not \(describe(value))",
                      at: literal.range)
                return nil
            }
        }
        if case .name(let n) = value {
            error("bind.bare-name", "'\(n)' is not a value of \(field); a string is written in quotes", at: literal.range,
                  notes: ["write '\(n)'"])
            return nil
        }
        let bound: BoundValue =
            switch value {
            case .string(let s): .string(s)
            case .integer(let i): .int(i)
            case .decimal(let d): .double(d)
            case .bool(let b): .bool(b)
            case .name, .parameter: .string("")  // handled above
            }
        if let expected = leaf.valueKind, !Self.fits(bound, expected) {
            error("bind.value-kind", "\(field) holds \(expected.description.lowercased()) values, not \(describe(value))", at: literal.range)
            return nil
        }
        if case .property(let name, kind: nil, custom: _) = leaf, let kinds = declaredProperties(operand.leafKind(kind))[name],
            !kinds.contains(where: { Self.fits(bound, $0) })
        {
            let have = kinds.map(\.description).sorted().joined(separator: ", ")
            error("bind.value-kind", "property '\(name)' is declared \(have); \(describe(value)) cannot match it", at: literal.range)
            return nil
        }
        return bound
    }

    func describe(_ v: Literal.Value) -> String {
        switch v {
        case .string(let s): "the string '\(s)'"
        case .integer(let i): "the integer \(i)"
        case .decimal(let d): "the number \(d)"
        case .bool(let b): "\(b)"
        case .name(let n): n
        case .parameter(let p): "$" + p
        }
    }

    static func fits(_ v: BoundValue, _ kind: PropertyType) -> Bool {
        switch (v, kind) {
        case (.int, .int), (.int, .double), (.double, .double), (.double, .int), (.string, .string), (.bool, .boolean),
            (.int, .boolean):
            true
        default: false
        }
    }

    // MARK: Did you mean

    /// The candidate closest to `name` by edit distance (case-insensitive), if close enough.
    static func nearest(_ name: String, in candidates: [String]) -> String? {
        let target = Array(name.lowercased())
        var best: (String, Int)?
        for c in Set(candidates) where c != name {
            let d = distance(target, Array(c.lowercased()))
            let limit = max(1, min(3, target.count / 3))
            if d <= limit, best == nil || d < best!.1 || (d == best!.1 && c < best!.0) { best = (c, d) }
        }
        return best?.0
    }

    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var row = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = row
        }
        return previous[b.count]
    }
}

extension BoundOperand {
    /// The operand without join wrappers.
    var leaf: BoundOperand {
        if case .related(_, _, let inner) = self { return inner.leaf }
        return self
    }

    /// The node kind the leaf reads, given the kind of the node the predicate is about.
    func leafKind(_ kind: NodeKind) -> NodeKind {
        guard case .related(_, let relation, let inner) = self else { return kind }
        let related: NodeKind =
            switch relation {
            case .contexts, .parentContexts, .childContexts: .context
            case .artifacts: .artifact
            case .executions: .execution
            }
        return inner.leafKind(related)
    }

    /// The kind of value the operand holds, when fixed.
    var valueKind: PropertyType? {
        switch self {
        case .id, .typeID, .createTime, .updateTime: .int
        case .typeName, .name, .uri, .externalID: .string
        case .artifactState, .executionState: .int
        case .property(_, let kind, _): kind
        case .related(_, _, let inner): inner.valueKind
        case .event(_, let field): field == .type ? .int : .int
        }
    }
}
