public import PedigreeModel
public import PedigreeGraph
internal import Foundation

/// Resolves a predicate's names against the store: attributes, properties and their value kinds,
/// join aliases, type names and enum values. Unknown names get "did you mean" notes.
///
/// In MLMD-compatible mode (`mlmdCompatible: true`) it binds an ml-metadata `filter_query` the way
/// ml-metadata 1.17.1 runs it on SQLite instead (see `bindFilterQuery(_:for:)`): what MLMD
/// rejects is an error, and what MLMD accepts but cannot match (an unknown type name, property
/// or context) is no error and matches nothing.
public struct PredicateBinder {
    public let snapshot: GraphSnapshot
    public let parameters: [String: Literal.Value]
    /// Bind with ml-metadata's filter_query semantics instead of the query language's.
    public let mlmdCompatible: Bool
    public private(set) var diagnostics: [Diagnostic] = []
    /// The text the diagnostics' ranges point into. In MLMD-compatible mode that is the filter
    /// after MLMD's own rewriting (enum names to numbers, `properties.p.` to `properties_p.`).
    public private(set) var diagnosticSource: String?

    public init(snapshot: GraphSnapshot, parameters: [String: Literal.Value] = [:], mlmdCompatible: Bool = false) {
        self.snapshot = snapshot
        self.parameters = parameters
        self.mlmdCompatible = mlmdCompatible
    }

    /// Binds `predicate` for nodes of `kind`; nil (with diagnostics) when it cannot be bound.
    /// In MLMD-compatible mode the predicate is printed in MLMD's syntax and bound as
    /// `bindFilterQuery` binds text.
    public mutating func bind(_ predicate: Predicate, for kind: NodeKind) -> BoundPredicate? {
        if mlmdCompatible {
            guard let text = mlmdText(predicate) else { return nil }
            return bindFilterQuery(text, for: kind)
        }
        let before = diagnostics.count
        let bound = bindExpr(predicate, kind)
        return diagnostics.count == before ? bound : nil
    }

    private mutating func error(_ id: String, _ message: String, at range: SourceRange, notes: [String] = []) {
        diagnostics.append(Diagnostic(id, message, at: range, notes: notes))
    }

    private mutating func bindExpr(_ p: Predicate, _ kind: NodeKind) -> BoundPredicate {
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

    private static func attributes(_ kind: NodeKind) -> [String: BoundOperand] {
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
    private static func relations(_ kind: NodeKind) -> [(prefix: String, relation: Relation, kind: NodeKind)] {
        switch kind {
        case .artifact, .execution: [("contexts_", .contexts, .context)]
        case .context:
            [("parent_contexts_", .parentContexts, .context), ("child_contexts_", .childContexts, .context),
             ("artifacts_", .artifacts, .artifact), ("executions_", .executions, .execution)]
        }
    }

    private mutating func bindField(_ field: FieldPath, _ kind: NodeKind) -> BoundOperand? {
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
    private mutating func bindDirect(_ field: FieldPath, _ kind: NodeKind) -> BoundOperand? {
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

    private mutating func bindShorthand(_ name: Located<String>, _ kind: NodeKind) -> BoundOperand? {
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
    private func declaredProperties(_ kind: NodeKind) -> [String: Set<PropertyType>] {
        var out: [String: Set<PropertyType>] = [:]
        for t in snapshot.types(of: kind) {
            for (name, type) in t.properties { out[name, default: []].insert(type) }
        }
        return out
    }

    private mutating func checkPropertyName(_ name: Located<String>, kind: NodeKind, valueKind: PropertyType) {
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

    private mutating func checkTypeName(_ name: String, kind: NodeKind, at range: SourceRange) {
        let names = snapshot.types(of: kind).map(\.name)
        guard !names.contains(name) else { return }
        let suggestion = Self.nearest(name, in: names)
        error("bind.unknown-type", "the store has no \(kind) type named '\(name)'", at: range,
              notes: suggestion.map { ["did you mean '\($0)'?"] } ?? [])
    }

    private mutating func unknown(_ what: String, _ name: Located<String>, candidates: [String]) {
        let suggestion = Self.nearest(name.value, in: candidates)
        error("bind.unknown-\(what.replacing(" ", with: "-"))", "unknown \(what) '\(name.value)'", at: name.range,
              notes: suggestion.map { ["did you mean '\($0)'?"] } ?? [])
    }

    // MARK: Values

    /// Binds a literal for comparison with `operand`, checking its kind.
    private mutating func bindValue(_ literal: Literal, for operand: BoundOperand, field: FieldPath, kind: NodeKind) -> BoundValue? {
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

    private func describe(_ v: Literal.Value) -> String {
        switch v {
        case .string(let s): "the string '\(s)'"
        case .integer(let i): "the integer \(i)"
        case .decimal(let d): "the number \(d)"
        case .bool(let b): "\(b)"
        case .name(let n): n
        case .parameter(let p): "$" + p
        }
    }

    private static func fits(_ v: BoundValue, _ kind: PropertyType) -> Bool {
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

    private static func distance(_ a: [Character], _ b: [Character]) -> Int {
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

// MARK: - MLMD-compatible mode

extension PredicateBinder {
    /// Binds an ml-metadata `filter_query` for nodes of `kind` as ml-metadata 1.17.1 runs it on
    /// SQLite; nil (with diagnostics) where ml-metadata fails. The stages are MLMD's:
    ///
    /// 1. its textual rewrites (`FilterQueryAstResolver`): `state`, `last_known_state` and
    ///    `events_X.type` predicates with enum names become numbers (`!=` and `NOT IN` then also
    ///    admit NULL; a name outside MLMD's list, a number, or the same predicate value written
    ///    twice is an error), join aliases are registered, `properties.p.` becomes `properties_p.`;
    /// 2. ZetaSQL's lexical rules (backslash escapes in strings, `--` and `/* */` comments);
    /// 3. ZetaSQL's name resolution and typing: names are case-insensitive, INT64 and DOUBLE mix,
    ///    no other kinds do, LIKE takes strings;
    /// 4. the SQL MLMD generates: inner joins, property names lower-cased, string literals written
    ///    in double quotes, which SQLite reads as a column when they name one in scope.
    public mutating func bindFilterQuery(_ text: String, for kind: NodeKind) -> BoundPredicate? {
        diagnosticSource = text
        var rewriter = MLMDRewriter(kind: kind)
        let rewritten: String
        do {
            rewritten = try rewriter.rewrite(text)
        } catch {
            diagnostics.append(Diagnostic(error.id, error.message, at: SourceRange(0, text.utf8.count)))
            return nil
        }
        diagnosticSource = rewritten
        let normalized: String
        do {
            normalized = try ZetaSQLLexer.normalize(rewritten)
        } catch {
            diagnostics.append(Diagnostic(error.id, error.message, at: error.range ?? SourceRange(0, rewritten.utf8.count)))
            return nil
        }
        diagnosticSource = normalized
        let (parsed, parseDiagnostics) = Parser.parsePredicate(normalized)
        guard let parsed, parseDiagnostics.isEmpty else {
            diagnostics += parseDiagnostics
            return nil
        }
        var scope = MLMDScope(kind: kind, columns: rewriter.columns)
        do {
            // Strings resolve against every table the filter joins, so bind the whole filter first.
            let bound = try scope.bind(parsed)
            let condition = try scope.resolveStrings(bound)
            return .mlmd(MLMDFilter(joins: scope.joins, condition: condition))
        } catch {
            diagnostics.append(
                Diagnostic(error.id, error.message, at: error.range ?? SourceRange(0, normalized.utf8.count), notes: error.notes))
            return nil
        }
    }

    /// The predicate in MLMD's filter syntax (ZetaSQL literals), parameters substituted.
    fileprivate mutating func mlmdText(_ p: Predicate) -> String? {
        func name(_ n: String) -> String {
            let plain = n.first.map { $0 == "_" || ($0.isASCII && $0.isLetter) } == true
                && n.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
            return plain ? n : "`" + n.replacing("\\", with: "\\\\").replacing("`", with: "\\`") + "`"
        }
        func field(_ f: FieldPath) -> String { f.names.map { name($0.value) }.joined(separator: ".") }
        func value(_ l: Literal) -> String? {
            var v = l.value
            if case .parameter(let p) = v {
                guard let given = parameters[p] else {
                    error("bind.parameter", "no value given for parameter $\(p)", at: l.range, notes: ["pass it with --param \(p)=VALUE"])
                    return nil
                }
                v = given
            }
            switch v {
            case .string(let s): return "'" + ZetaSQLLexer.escape(s, quote: UInt8(ascii: "'")) + "'"
            case .integer(let i): return String(i)
            case .decimal(let d): return "\(d)"
            case .bool(let b): return b ? "TRUE" : "FALSE"
            case .name(let n): return n
            case .parameter(let p): return "$" + p
            }
        }
        switch p {
        case .and(let a, let b, _), .or(let a, let b, _):
            guard let x = mlmdText(a), let y = mlmdText(b) else { return nil }
            if case .and = p { return "(\(x)) AND (\(y))" }
            return "(\(x)) OR (\(y))"
        case .not(let a, _): return mlmdText(a).map { "NOT (\($0))" }
        case .error(let r):
            error("syntax.error", "the predicate did not parse", at: r)
            return nil
        case .isNull(let f, let negated, _): return field(f) + (negated ? " IS NOT NULL" : " IS NULL")
        case .compare(let f, let op, let l): return value(l).map { "\(field(f)) \(op.rawValue) \($0)" }
        case .like(let f, let l, let negated): return value(l).map { "\(field(f))\(negated ? " NOT" : "") LIKE \($0)" }
        case .inList(let f, let ls, let negated, _):
            var items: [String] = []
            for l in ls {
                guard let v = value(l) else { return nil }
                items.append(v)
            }
            return "\(field(f))\(negated ? " NOT" : "") IN (\(items.joined(separator: ", ")))"
        }
    }
}

/// An MLMD filter that ml-metadata rejects, with the message it gives (or a close one).
struct MLMDFilterError: Error {
    var id: String
    var message: String
    var range: SourceRange? = nil
    var notes: [String] = []

    /// ZetaSQL rejects the filter (ml-metadata: InvalidArgument).
    static func invalid(_ message: String, at range: SourceRange? = nil) -> Self {
        MLMDFilterError(id: "mlmd.invalid", message: message, range: range)
    }

    /// The SQL ml-metadata generates fails in SQLite (ml-metadata: Internal).
    static func sql(_ message: String, at range: SourceRange? = nil) -> Self {
        MLMDFilterError(
            id: "mlmd.sql", message: "ml-metadata's SQL for this filter fails: \(message)", range: range,
            notes: ["ml-metadata 1.17.1 reports this as an Internal error"])
    }
}

/// What a name in a filter is to ZetaSQL after MLMD's rewrites.
enum MLMDName: Equatable {
    case attribute
    case relation(Relation)
    case events
    /// `properties_NAME` or `custom_properties_NAME`; `sqlName` is NAME as the SQL has it.
    case property(custom: Bool, sqlName: String)
}

private func asciiLowercased(_ s: String) -> String {
    String(decoding: s.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
}

/// MLMD's textual stage (`FilterQueryAstResolver::Resolve` before ZetaSQL analysis), with its
/// regular expressions translated from RE2 to ICU as they are.
struct MLMDRewriter {
    let kind: NodeKind
    /// The expression columns ZetaSQL is given, by lower-cased name.
    private(set) var columns: [String: MLMDName] = [:]

    init(kind: NodeKind) { self.kind = kind }

    static let word = "[0-9A-Za-z_]"
    static let space = "[ \\t\\n\\x{0B}\\f\\r]"
    /// RE2's `\b` before a word character.
    static let boundary = "(?<![0-9A-Za-z_])"

    static let artifactStates = ["UNKNOWN": 0, "PENDING": 1, "LIVE": 2, "MARKED_FOR_DELETION": 3, "DELETED": 4]
    static let executionStates = ["UNKNOWN": 0, "NEW": 1, "RUNNING": 2, "COMPLETE": 3, "FAILED": 4, "CACHED": 5, "CANCELED": 6]
    static let eventTypes = [
        "INPUT": 3, "OUTPUT": 4, "DECLARED_INPUT": 2, "DECLARED_OUTPUT": 1, "INTERNAL_INPUT": 5, "INTERNAL_OUTPUT": 6,
    ]

    static func attributes(_ kind: NodeKind) -> [String] {
        var names = ["id", "type_id", "type", "create_time_since_epoch", "last_update_time_since_epoch", "name", "external_id"]
        switch kind {
        case .artifact: names += ["uri", "state"]
        case .execution: names += ["last_known_state"]
        case .context: break
        }
        return names
    }

    mutating func rewrite(_ text: String) throws(MLMDFilterError) -> String {
        for a in Self.attributes(kind) { try register(a, .attribute) }
        var q = text
        let w = Self.word
        switch kind {
        case .artifact, .execution:
            if kind == .artifact {
                q = try Self.rewriteEnums(q, field: "(state)", Self.artifactStates)
            } else {
                q = try Self.rewriteEnums(q, field: "(last_known_state)", Self.executionStates)
            }
            try registerAll(in: q, prefix: "contexts_", as: .relation(.contexts))
            try registerAll(in: q, prefix: "events_", as: .events)
            q = try Self.rewriteEnums(q, field: "(events_\(w)+\\.type)", Self.eventTypes)
        case .context:
            try registerAll(in: q, prefix: "child_contexts_", as: .relation(.childContexts))
            try registerAll(in: q, prefix: "parent_contexts_", as: .relation(.parentContexts))
            try registerAll(in: q, prefix: "artifacts_", as: .relation(.artifacts))
            try registerAll(in: q, prefix: "executions_", as: .relation(.executions))
            q = try Self.rewriteEnums(q, field: "(state)", Self.artifactStates)
            q = try Self.rewriteEnums(q, field: "(last_known_state)", Self.executionStates)
        }
        q = try rewriteProperties(q, prefix: "properties", custom: false)
        q = try rewriteProperties(q, prefix: "custom_properties", custom: true)
        return q
    }

    private mutating func register(_ name: String, _ what: MLMDName) throws(MLMDFilterError) {
        let key = asciiLowercased(name)
        guard columns[key] == nil else { throw .invalid("Duplicate expression column name \(key)") }
        columns[key] = what
    }

    /// `\b(PREFIX[[:word:]]+)\.`: every alias the text mentions, each once.
    private mutating func registerAll(in text: String, prefix: String, as what: MLMDName) throws(MLMDFilterError) {
        var seen = Set<String>()
        for m in Self.findAndConsume("\(Self.boundary)(\(prefix)\(Self.word)+)\\.", in: text) where seen.insert(m[1]).inserted {
            try register(m[1], what)
        }
    }

    /// `ParseEnumPredicateAndTransformQuery`.
    static func rewriteEnums(_ query: String, field: String, _ mapping: [String: Int]) throws(MLMDFilterError) -> String {
        let (w, s) = (word, space)
        let head = "\(boundary)\(field)\(s)*(=|!=|(?i:\(s)NOT\(s)*IN\(s))|(?i:\(s)IN\(s)))\(s)*"
        let value = "(\(w)+(?!\(w))|\\((\(s)*\(w)+\(s)*,*\(s)*\(w)+\(s)*)*\\))"
        var rewritten = query
        for m in findAndConsume(head + value, in: query) {
            let (subject, op, literal) = (m[1], m[2], m[3])
            let substitute: String
            if op == "=" || op == "!=" {
                guard let v = mapping[literal] else { throw .invalid("Unsupported enum value specified in the query: \(literal)") }
                substitute = op == "!=" ? " ((\(subject) != \(v)) OR (\(subject) IS NULL)) " : " \(subject) = \(v) "
            } else {
                guard literal.hasPrefix("(") || literal.hasSuffix(")") else {
                    throw .invalid("Expected a list of enum values enclosed in parentheses but got \(literal)")
                }
                let inner = literal.dropFirst().dropLast()
                if inner.isEmpty { continue }
                var values: [String] = []
                for item in inner.split(separator: ",", omittingEmptySubsequences: false) {
                    let name = item.trimmingCharacters(in: .whitespacesAndNewlines)
                    guard let v = mapping[name] else { throw .invalid("Unsupported enum value specified in the query: \(name)") }
                    values.append(String(v))
                }
                let list = values.joined(separator: ",")
                let trimmed = op.trimmingCharacters(in: .whitespacesAndNewlines)
                substitute =
                    trimmed.lowercased() == "in"
                    ? " \(subject) \(trimmed) (\(list)) " : " ((\(subject) \(trimmed) (\(list))) OR (\(subject) IS NULL)) "
            }
            let replaced = replaceAll(in: &rewritten, pattern: head + NSRegularExpression.escapedPattern(for: literal), with: substitute)
            if replaced == 0 {
                throw .invalid("Query cannot be rewritten successfully for matched enum predicate: \(subject) \(op) \(literal)")
            }
        }
        return rewritten
    }

    /// `AddPropertiesAndTransformQueryImpl`: `PREFIX.NAME.` becomes `PREFIX_NAME.`, each
    /// property becomes a column.
    private mutating func rewriteProperties(_ query: String, prefix: String, custom: Bool) throws(MLMDFilterError) -> String {
        let pattern = "\(Self.boundary)\(prefix)\\.(:?(\(Self.word)+)|(`[^`]+`))\\.(?:int|double|string|bool)"
        var rewritten = query
        var seen = Set<String>()
        for m in Self.findAndConsume(pattern, in: query) {
            let matched = m[1]
            let quoted = matched.hasPrefix("`")
            let column = prefix + "_" + (quoted ? String(matched.dropFirst().dropLast()) : matched)
            guard seen.insert(column).inserted else { continue }
            // MLMD splices the name into an RE2 pattern unescaped; names with these characters
            // do not match themselves (or do not compile) there, and the rewrite fails.
            guard !matched.contains(where: { "\\^$|?*+()[]{}".contains($0) }) else {
                throw .invalid("Query cannot be rewritten successfully: matched_property: \(prefix).\(matched), current query: \(column)")
            }
            let replacement = quoted ? "`\(column)`." : "\(column)."
            if Self.replaceAll(in: &rewritten, pattern: "\(Self.boundary)\(prefix)\\.\(matched)\\.", with: replacement) == 0 {
                throw .invalid("Query cannot be rewritten successfully: matched_property: \(prefix).\(matched), current query: \(column)")
            }
            let sqlName = String(asciiLowercased(column).dropFirst(prefix.count + 1))
            try register(column, .property(custom: custom, sqlName: sqlName))
        }
        return rewritten
    }

    /// RE2's `FindAndConsume` loop: each match's groups ("" for a group that did not take
    /// part), searching on after the previous match, in the rest of the text alone.
    static func findAndConsume(_ pattern: String, in text: String) -> [[String]] {
        guard let re = try? NSRegularExpression(pattern: pattern) else { return [] }
        var out: [[String]] = []
        var rest = text
        while let m = re.firstMatch(in: rest, range: NSRange(rest.startIndex..., in: rest)),
            let whole = Range(m.range, in: rest), !whole.isEmpty
        {
            out.append((0..<m.numberOfRanges).map { Range(m.range(at: $0), in: rest).map { String(rest[$0]) } ?? "" })
            rest = String(rest[whole.upperBound...])
        }
        return out
    }

    /// RE2's `GlobalReplace`: the number of replacements (0 also when the pattern is invalid).
    static func replaceAll(in text: inout String, pattern: String, with replacement: String) -> Int {
        guard let re = try? NSRegularExpression(pattern: pattern) else { return 0 }
        let range = NSRange(text.startIndex..., in: text)
        let count = re.numberOfMatches(in: text, range: range)
        if count > 0 {
            text = re.stringByReplacingMatches(
                in: text, range: range, withTemplate: NSRegularExpression.escapedTemplate(for: replacement))
        }
        return count
    }
}

/// ZetaSQL's lexical rules, turned into the parser's: strings with backslash escapes (also raw
/// and triple-quoted), backquoted names with escapes, `--`, `#` and `/* */` comments, hex
/// integers. The result is the same filter in Pedigree's syntax.
enum ZetaSQLLexer {
    static func normalize(_ text: String) throws(MLMDFilterError) -> String {
        let b = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0
        func at(_ k: Int) -> UInt8 { k < b.count ? b[k] : 0 }
        func isWord(_ c: UInt8) -> Bool {
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95
        }
        func fail(_ message: String, _ start: Int, _ end: Int) -> MLMDFilterError {
            .invalid("Syntax error: \(message)", at: SourceRange(start, max(end, start + 1)))
        }
        func quoted(_ s: String, _ q: UInt8) -> [UInt8] {
            // Two literals in a row stay two tokens ('it''s' is not one string in ZetaSQL).
            var r: [UInt8] = out.last == q ? [0x20, q] : [q]
            for c in s.utf8 {
                r.append(c)
                if c == q { r.append(c) }
            }
            r.append(q)
            return r
        }
        while i < b.count {
            let c = b[i]
            // Comments.
            if c == UInt8(ascii: "#") || (c == UInt8(ascii: "-") && at(i + 1) == UInt8(ascii: "-")) {
                while i < b.count, b[i] != 0x0a { i += 1 }
                out.append(0x20)
                continue
            }
            if c == UInt8(ascii: "/"), at(i + 1) == UInt8(ascii: "*") {
                let start = i
                i += 2
                while i < b.count, !(b[i] == UInt8(ascii: "*") && at(i + 1) == UInt8(ascii: "/")) { i += 1 }
                guard i < b.count else { throw fail("Unclosed comment", start, b.count) }
                i += 2
                out.append(0x20)
                continue
            }
            if c == UInt8(ascii: "="), at(i + 1) == UInt8(ascii: "=") { throw fail("Unexpected \"=\"", i + 1, i + 2) }
            // Names, and the prefixes of raw and bytes literals.
            if isWord(c), !(c >= 48 && c <= 57) {
                var j = i
                while j < b.count, isWord(b[j]) { j += 1 }
                let word = String(decoding: b[i..<j], as: UTF8.self).lowercased()
                if ["r", "b", "rb", "br"].contains(word), at(j) == UInt8(ascii: "'") || at(j) == UInt8(ascii: "\"") {
                    if word.contains("b") { throw .invalid("No matching signature for a BYTES literal", at: SourceRange(i, j)) }
                    let (value, end) = try string(b, from: j, raw: true)
                    out += quoted(value, UInt8(ascii: "'"))
                    i = end
                    continue
                }
                out += b[i..<j]
                i = j
                continue
            }
            // A unary plus before a number: ZetaSQL takes it, the parser does not.
            if c == UInt8(ascii: "+") {
                var j = i + 1
                while j < b.count, b[j] == 0x20 || b[j] == 0x09 || b[j] == 0x0a || b[j] == 0x0d { j += 1 }
                if j < b.count, (b[j] >= 48 && b[j] <= 57) || (b[j] == UInt8(ascii: ".") && at(j + 1) >= 48 && at(j + 1) <= 57) {
                    i = j
                    continue
                }
            }
            // Numbers: hex integers; `3.` as `3.0`; a float too large for a double is infinity,
            // which MLMD prints as CAST("inf" AS FLOAT64), and SQLite reads that as 0.
            let isDigit = c >= 48 && c <= 57
            let startsNumber =
                isDigit || (c == UInt8(ascii: ".") && at(i + 1) >= 48 && at(i + 1) <= 57 && (i == 0 || !isWord(b[i - 1])))
            if startsNumber {
                if c == UInt8(ascii: "0"), at(i + 1) | 0x20 == UInt8(ascii: "x") {
                    var j = i + 2
                    while j < b.count, isWord(b[j]) { j += 1 }
                    let digits = String(decoding: b[(i + 2)..<j], as: UTF8.self)
                    guard let v = UInt64(digits, radix: 16), v <= UInt64(Int64.max) else {
                        throw .invalid("Invalid hex integer literal: 0x\(digits)", at: SourceRange(i, j))
                    }
                    out += Array(String(v).utf8)
                    i = j
                    continue
                }
                var j = i
                func digits() { while j < b.count, b[j] >= 48 && b[j] <= 57 { j += 1 } }
                digits()
                var isFloat = false
                if at(j) == UInt8(ascii: "."), !isWord(at(j + 1)) || (at(j + 1) >= 48 && at(j + 1) <= 57) {
                    isFloat = true
                    j += 1
                    digits()
                }
                if at(j) | 0x20 == UInt8(ascii: "e") {
                    var k = j + 1
                    if at(k) == UInt8(ascii: "+") || at(k) == UInt8(ascii: "-") { k += 1 }
                    if at(k) >= 48 && at(k) <= 57 {
                        isFloat = true
                        j = k
                        digits()
                    }
                }
                var text = String(decoding: b[i..<j], as: UTF8.self)
                if isFloat {
                    if text.hasSuffix(".") { text += "0" }
                    if text.hasPrefix(".") { text = "0" + text }
                    if let d = Double(text), d.isInfinite { text = "0.0" }
                }
                out += Array(text.utf8)
                i = j
                continue
            }
            if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                let (value, end) = try string(b, from: i, raw: false)
                out += quoted(value, UInt8(ascii: "'"))
                i = end
                continue
            }
            if c == UInt8(ascii: "`") {
                let start = i
                var value: [UInt8] = []
                i += 1
                while true {
                    guard i < b.count else { throw fail("Unclosed identifier literal", start, b.count) }
                    if b[i] == UInt8(ascii: "`") { break }
                    if b[i] == UInt8(ascii: "\\") {
                        let (scalar, next) = try escape(b, at: i)
                        value += Array(String(scalar).utf8)
                        i = next
                        continue
                    }
                    value.append(b[i])
                    i += 1
                }
                i += 1
                guard !value.isEmpty else { throw fail("Invalid empty identifier", start, i) }
                out += quoted(String(decoding: value, as: UTF8.self), UInt8(ascii: "`"))
                continue
            }
            out.append(c)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A string literal starting at the quote at `start`: its value and the offset after it.
    private static func string(_ b: [UInt8], from start: Int, raw: Bool) throws(MLMDFilterError) -> (String, Int) {
        let q = b[start]
        let triple = start + 2 < b.count && b[start + 1] == q && b[start + 2] == q
        var i = start + (triple ? 3 : 1)
        var value: [UInt8] = []
        while true {
            guard i < b.count else {
                throw .invalid("Syntax error: Unclosed \(triple ? "triple-quoted " : "")string literal", at: SourceRange(start, b.count))
            }
            let c = b[i]
            if c == q {
                if !triple { return (String(decoding: value, as: UTF8.self), i + 1) }
                if i + 2 < b.count, b[i + 1] == q, b[i + 2] == q { return (String(decoding: value, as: UTF8.self), i + 3) }
            }
            if c == 0x0a, !triple { throw .invalid("Syntax error: Unclosed string literal", at: SourceRange(start, i)) }
            if c == UInt8(ascii: "\\") {
                if raw {
                    value.append(c)
                    if i + 1 < b.count { value.append(b[i + 1]) }
                    i += 2
                    continue
                }
                let (scalar, next) = try escape(b, at: i)
                value += Array(String(scalar).utf8)
                i = next
                continue
            }
            value.append(c)
            i += 1
        }
    }

    /// One backslash escape at `i`: the character and the offset after it.
    private static func escape(_ b: [UInt8], at i: Int) throws(MLMDFilterError) -> (Character, Int) {
        func hex(_ from: Int, _ count: Int) -> UInt32? {
            guard from + count <= b.count else { return nil }
            return UInt32(String(decoding: b[from..<(from + count)], as: UTF8.self), radix: 16)
        }
        let illegal = MLMDFilterError.invalid("Syntax error: Illegal escape sequence", at: SourceRange(i, min(b.count, i + 2)))
        guard i + 1 < b.count else { throw illegal }
        let e = b[i + 1]
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "n"): 0x0a, UInt8(ascii: "t"): 0x09, UInt8(ascii: "r"): 0x0d, UInt8(ascii: "a"): 0x07,
            UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0c, UInt8(ascii: "v"): 0x0b, UInt8(ascii: "\\"): 0x5c,
            UInt8(ascii: "?"): 0x3f, UInt8(ascii: "'"): 0x27, UInt8(ascii: "\""): 0x22, UInt8(ascii: "`"): 0x60,
        ]
        if let v = simple[e] { return (Character(Unicode.Scalar(v)), i + 2) }
        var code: UInt32?
        var next = i + 2
        switch e {
        case UInt8(ascii: "x"), UInt8(ascii: "X"):
            code = hex(i + 2, 2)
            next = i + 4
        case UInt8(ascii: "u"):
            code = hex(i + 2, 4)
            next = i + 6
        case UInt8(ascii: "U"):
            code = hex(i + 2, 8)
            next = i + 10
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            if i + 4 <= b.count, b[(i + 1)..<(i + 4)].allSatisfy({ $0 >= 48 && $0 <= 55 }) {
                code = UInt32(String(decoding: b[(i + 1)..<(i + 4)], as: UTF8.self), radix: 8)
                next = i + 4
            }
        default: break
        }
        guard let code, let scalar = Unicode.Scalar(code) else { throw illegal }
        return (Character(scalar), next)
    }

    /// ZetaSQL's `ToStringLiteral` body: C escapes, the quote escaped, `\xNN` for other
    /// unprintable ASCII (and for a hex digit right after one).
    static func escape(_ s: String, quote: UInt8) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        var lastHex = false
        for c in s.utf8 {
            var hex = false
            switch c {
            case 0x0a: out += [0x5c, UInt8(ascii: "n")]
            case 0x0d: out += [0x5c, UInt8(ascii: "r")]
            case 0x09: out += [0x5c, UInt8(ascii: "t")]
            case 0x5c: out += [0x5c, 0x5c]
            case UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "`"):
                if c == quote { out.append(0x5c) }
                out.append(c)
            default:
                let isHexDigit = (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
                if c < 0x80, c < 0x20 || c > 0x7e || (lastHex && isHexDigit) {
                    out += [0x5c, UInt8(ascii: "x"), digits[Int(c >> 4)], digits[Int(c & 15)]]
                    hex = true
                } else {
                    out.append(c)
                }
            }
            lastHex = hex
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// ZetaSQL's analysis of the rewritten filter and MLMD's SQL for it (`FilterQueryBuilder`).
struct MLMDScope {
    let kind: NodeKind
    let columns: [String: MLMDName]
    private(set) var joins: [MLMDJoin] = []
    private var tables: [String: Int] = [:]

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

    private mutating func table(_ key: String, _ join: @autoclosure () throws(MLMDFilterError) -> MLMDJoin) throws(MLMDFilterError) -> Int {
        if let t = tables[key] { return t }
        joins.append(try join())
        tables[key] = joins.count
        return joins.count
    }

    private var ownerColumn: MLMDColumn {
        switch kind {
        case .artifact: .artifactID
        case .execution: .executionID
        case .context: .contextID
        }
    }

    /// `FROM <Node>Property WHERE name = "NAME"`: SQLite reads NAME as a column of the property
    /// table when it names one.
    private func propertyJoin(_ sqlName: String, custom: Bool) throws(MLMDFilterError) -> MLMDJoin {
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

    private mutating func field(_ path: FieldPath) throws(MLMDFilterError) -> Typed {
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

    private mutating func literal(_ l: Literal) throws(MLMDFilterError) -> Typed {
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
    private func common(_ items: [Typed], _ op: String, _ range: SourceRange) throws(MLMDFilterError) -> [MLMDExpression] {
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

    private func resolve(_ e: MLMDExpression) throws(MLMDFilterError) -> MLMDExpression {
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
    private func column(named name: String) throws(MLMDFilterError) -> MLMDExpression? {
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
