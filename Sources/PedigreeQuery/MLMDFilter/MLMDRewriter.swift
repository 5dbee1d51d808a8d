internal import PedigreeModel
internal import PedigreeGraph
internal import Foundation

enum MLMDName: Equatable {
    case attribute
    case relation(Relation)
    case events
    /// `properties_NAME` or `custom_properties_NAME`; `sqlName` is NAME as the SQL has it.
    case property(custom: Bool, sqlName: String)
}

func asciiLowercased(_ s: String) -> String {
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

    mutating func register(_ name: String, _ what: MLMDName) throws(MLMDFilterError) {
        let key = asciiLowercased(name)
        guard columns[key] == nil else { throw .invalid("Duplicate expression column name \(key)") }
        columns[key] = what
    }

    /// `\b(PREFIX[[:word:]]+)\.`: every alias the text mentions, each once.
    mutating func registerAll(in text: String, prefix: String, as what: MLMDName) throws(MLMDFilterError) {
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
    mutating func rewriteProperties(_ query: String, prefix: String, custom: Bool) throws(MLMDFilterError) -> String {
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
