package import PedigreeModel
internal import PedigreeGraph
internal import Foundation

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
    package mutating func bindFilterQuery(_ text: String, for kind: NodeKind) -> BoundPredicate? {
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
    mutating func mlmdText(_ p: Predicate) -> String? {
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
