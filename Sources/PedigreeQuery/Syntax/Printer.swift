/// Prints a query in canonical form: one spelling for each construct, parentheses only where
/// precedence needs them. `Parser.parse(Printer.print(q))` has the same content as `q`
/// (`hasSameContent(as:)`: equal but for source ranges).
package enum Printer {
    package static func print(_ q: Query) -> String {
        var parts: [String] = []
        switch q.mode {
        case .run: break
        case .explain: parts.append("explain")
        case .profile: parts.append("profile")
        }
        switch q.pathMode {
        case .reach: break
        case .shortestPath: parts.append("shortest path")
        case .allPaths: parts.append("all paths")
        }
        parts.append(print(q.start))
        for step in q.steps { parts.append(print(step)) }
        switch q.returnClause {
        case .nodes(withDepth: false): break
        case .nodes(withDepth: true): parts.append("return nodes with depth")
        case .subgraph: parts.append("return subgraph")
        case .paths: parts.append("return paths")
        case .count(let keys):
            parts.append(keys.isEmpty ? "return count" : "return count group by " + keys.map(print).joined(separator: ", "))
        }
        if !q.orderBy.isEmpty {
            parts.append("order by " + q.orderBy.map { print($0.field) + ($0.ascending ? "" : " desc") }.joined(separator: ", "))
        }
        switch q.limit {
        case nil: break
        case .count(let n, _): parts.append("limit \(n)")
        case .parameter(let name, _): parts.append("limit $\(name)")
        }
        return parts.joined(separator: " ")
    }

    package static func print(_ p: NodePattern) -> String {
        var text: String =
            switch p.kind {
            case .artifact: "artifact"
            case .execution: "execution"
            case .any: "node"
            }
        if let predicate = p.predicate { text += "(" + print(predicate) + ")" }
        if let scope = p.scope {
            text += " in context" + (scope.predicate.map { "(" + print($0) + ")" } ?? "")
        }
        return text
    }

    package static func print(_ s: Step) -> String {
        var text: String =
            switch s.direction {
            case .downstream: "downstream"
            case .upstream: "upstream"
            case .both: "both"
            }
        let b = s.bounds
        if b.min == 1 && b.max == nil {
            text += "*"
        } else if b.min == b.max {
            if b.min != 1 { text += "{\(b.min)}" }
        } else {
            text += "{\(b.min),\(b.max.map(String.init) ?? "")}"
        }
        if let via = s.via { text += " via (" + via.map(\.value).joined(separator: ", ") + ")" }
        for clause in s.clauses {
            switch clause {
            case .where(let p): text += " where " + print(p)
            case .until(let c): text += " until " + print(c)
            case .prune(let c): text += " prune " + print(c)
            }
        }
        if let target = s.target { text += " " + print(target) }
        return text
    }

    static func print(_ c: NodeCondition) -> String {
        switch c {
        case .pattern(let p): print(p)
        case .predicate(let p): print(p)
        }
    }

    // MARK: Predicates

    private static func precedence(_ p: Predicate) -> Int {
        switch p {
        case .or: 1
        case .and: 2
        case .not: 3
        default: 4
        }
    }

    private static func print(_ p: Predicate, within outer: Int) -> String {
        let text = print(p)
        return precedence(p) < outer ? "(" + text + ")" : text
    }

    package static func print(_ p: Predicate) -> String {
        switch p {
        // Left-associative: the right operand of the same operator needs parentheses.
        case .or(let a, let b, _): print(a, within: 1) + " or " + print(b, within: 2)
        case .and(let a, let b, _): print(a, within: 2) + " and " + print(b, within: 3)
        case .not(let a, _): "not " + print(a, within: 3)
        case .compare(let f, let op, let v): print(f) + " " + op.rawValue + " " + print(v)
        case .like(let f, let v, let negated): print(f) + (negated ? " not like " : " like ") + print(v)
        case .inList(let f, let vs, let negated, _):
            print(f) + (negated ? " not in (" : " in (") + vs.map(print).joined(separator: ", ") + ")"
        case .isNull(let f, let negated, _): print(f) + (negated ? " is not null" : " is null")
        case .error: "<error>"
        }
    }

    private static let reserved: Set<String> = ["and", "or", "not", "in", "like", "is", "null", "true", "false"]

    package static func print(_ f: FieldPath) -> String {
        f.names.map { name in
            let v = name.value
            let plain = !v.isEmpty && v.utf8.first.map { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 95 } == true
                && v.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
                && !reserved.contains(v.lowercased())
            return plain ? v : "`" + v.replacing("`", with: "``") + "`"
        }.joined(separator: ".")
    }

    package static func print(_ l: Literal) -> String {
        switch l.value {
        case .string(let s): "'" + s.replacing("'", with: "''") + "'"
        case .integer(let i): String(i)
        case .decimal(let d):
            // Always with a '.' or exponent, so it reads back as a decimal.
            d.description.contains(where: { $0 == "." || $0 == "e" }) ? d.description : d.description + ".0"
        case .bool(let b): b ? "true" : "false"
        case .name(let n): n
        case .parameter(let n): "$" + n
        }
    }
}
