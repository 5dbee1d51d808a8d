@_spi(Engine) internal import PedigreeGraph
internal import PedigreeModel

/// A retention policy: rules that select, in the query language, what garbage collection
/// deletes. The text, one directive per line (`#` starts a comment):
///
///     rule old-runs                                  # a rule, named
///       select node() in context(type = 'pipeline_run')
///       keep last 3 runs of pipeline_run per pipeline
///
///     rule examples
///       select artifact(type = 'Examples')
///       keep top 2 by span then 1 by version
///
///     rule stale-statistics
///       select artifact(type = 'ExampleStatistics')
///       older than 30d
///
/// A rule deletes what its `select` query returns, less what it keeps:
/// - `older than N(s|m|h|d|w)`: only nodes created before that long ago go (a node without a
///   create time stays).
/// - `keep last N [per TYPE]`: the N newest (by create time, then id) stay, of all the nodes or of
///   each group of nodes that belong to the same contexts of type TYPE.
/// - `keep last N runs of RUN_TYPE [per TYPE]`: the nodes are taken by run (their contexts of type
///   RUN_TYPE); of the runs under each parent context of type TYPE (or of all runs), the N newest
///   stay with every node in them, and a node of no run stays. A run whose every artifact and
///   execution goes, goes too (its context).
/// - `keep top N by P [then M by Q ...]`: TFX's KeepPropertyValueGroups: the nodes with the N
///   highest values of property P stay, and among those with each such value, the M highest
///   values of Q, and so on; nodes without the property stay.
/// A policy deletes the union of what its rules delete.
public struct RetentionPolicy: Sendable {
    public struct Rule: Sendable {
        public var name: String
        public var query: String
        public var olderThan: Int64?
        public var keepLast: (count: Int, perContextType: String?)?
        public var keepRuns: (count: Int, runType: String, perContextType: String?)?
        public var keepTop: [(count: Int, property: String)] = []
        /// The line the rule starts on.
        public var line: Int

        /// An INVALID_ARGUMENT that names the rule and its line.
        func error(_ message: String) -> MetadataError {
            .invalidArgument("retention policy, rule \(name) (line \(line)): \(message)")
        }
    }

    public var rules: [Rule]
    /// The policy's text, as the deletion log records it.
    public let text: String

    /// Parses a policy; errors name the line.
    public init(_ text: String) throws {
        self.text = text
        var rules: [Rule] = []
        func fail(_ line: Int, _ message: String) -> MetadataError {
            .invalidArgument("retention policy, line \(line): \(message)")
        }
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            var line = Substring(raw)
            if let hash = Self.commentStart(line) { line = line[..<hash] }
            let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
            guard let first = words.first else { continue }
            if first == "rule" {
                guard words.count == 2 else { throw fail(number, "`rule` takes one name, e.g. `rule old-runs`") }
                if let previous = rules.last, previous.query.isEmpty {
                    throw fail(previous.line, "rule \(previous.name) has no `select` line")
                }
                rules.append(Rule(name: words[1], query: "", line: number))
                continue
            }
            guard !rules.isEmpty else { throw fail(number, "expected `rule NAME` before `\(first)`") }
            var rule = rules.removeLast()
            switch first {
            case "select":
                guard rule.query.isEmpty else { throw fail(number, "rule \(rule.name) has two `select` lines") }
                let query = line.drop { $0.isWhitespace }.dropFirst("select".count).trimmingWhitespace()
                guard !query.isEmpty else { throw fail(number, "`select` takes a query") }
                rule.query = query
            case "older":
                guard words.count == 3, words[1] == "than", let age = Self.duration(words[2]) else {
                    throw fail(number, "expected `older than N` with a unit s, m, h, d or w (e.g. `older than 30d`)")
                }
                rule.olderThan = age
            case "keep" where words.count >= 3 && words[1] == "last":
                // keep last N [per TYPE] | keep last N runs of TYPE [per TYPE]
                guard let n = Int(words[2]), n >= 0 else { throw fail(number, "expected a count after `keep last`") }
                var rest = Array(words.dropFirst(3))
                var runType: String?
                if rest.first == "runs" {
                    guard rest.count >= 3, rest[1] == "of" else { throw fail(number, "expected `keep last N runs of CONTEXT_TYPE`") }
                    runType = rest[2]
                    rest.removeFirst(3)
                }
                var per: String?
                if !rest.isEmpty {
                    guard rest.count == 2, rest[0] == "per" else {
                        throw fail(number, "expected `keep last N [runs of CONTEXT_TYPE] [per CONTEXT_TYPE]`")
                    }
                    per = rest[1]
                }
                if let runType { rule.keepRuns = (n, runType, per) } else { rule.keepLast = (n, per) }
            case "keep" where words.count >= 3 && words[1] == "top":
                // keep top N by P [then M by Q]...
                var rest = Array(words.dropFirst(2))
                var levels: [(Int, String)] = []
                while true {
                    guard rest.count >= 3, let n = Int(rest[0]), n >= 0, rest[1] == "by" else {
                        throw fail(number, "expected `keep top N by PROPERTY [then M by PROPERTY]...`")
                    }
                    levels.append((n, rest[2]))
                    rest.removeFirst(3)
                    if rest.isEmpty { break }
                    guard rest.first == "then" else { throw fail(number, "expected `then` after `by \(levels.last!.1)`") }
                    rest.removeFirst()
                }
                rule.keepTop = levels
            default:
                throw fail(number, "unknown directive `\(first)` (expected select, keep last, keep top, older than or rule)")
            }
            rules.append(rule)
        }
        guard !rules.isEmpty else { throw MetadataError.invalidArgument("retention policy: no rules (a rule starts with `rule NAME`)") }
        if let last = rules.last, last.query.isEmpty { throw fail(last.line, "rule \(last.name) has no `select` line") }
        let names = rules.map(\.name)
        if let twice = names.first(where: { name in names.count(where: { $0 == name }) > 1 }) {
            throw MetadataError.invalidArgument("retention policy: two rules are named \(twice)")
        }
        self.rules = rules
    }

    /// Where a comment starts: a `#` outside a quoted string.
    private static func commentStart(_ line: Substring) -> Substring.Index? {
        var quote: Character?
        for i in line.indices {
            let c = line[i]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
            } else if c == "#" {
                return i
            }
        }
        return nil
    }

    /// Milliseconds in `30d`, `12h`, `90m`, `45s`, `2w`.
    static func duration(_ text: String) -> Int64? {
        guard let unit = text.last, let n = Int64(text.dropLast()), n >= 0 else { return nil }
        let scale: Int64
        switch unit {
        case "s": scale = 1000
        case "m": scale = 60_000
        case "h": scale = 3_600_000
        case "d": scale = 86_400_000
        case "w": scale = 604_800_000
        default: return nil
        }
        let (ms, overflow) = n.multipliedReportingOverflow(by: scale)
        return overflow ? nil : ms
    }

    /// What the policy deletes on `graph` at `now` (milliseconds since the epoch), and a line per
    /// rule saying what it selected, kept and deleted.
    func select(in graph: GraphSnapshot, now: Int64) throws -> (nodes: [NodeRef], rules: [String]) {
        var all = Set<NodeRef>()
        var lines: [String] = []
        for rule in rules {
            let plan: Plan
            do {
                plan = try graph.plan(rule.query)
            } catch let error as QueryError {
                throw rule.error("\(error)")
            }
            let selected = try DeletePlan.nodes(of: plan, on: graph)
            var doomed = selected
            if let age = rule.olderThan {
                doomed = doomed.filter { (graph[$0].createTime ?? .max) < now - age }
            }
            if let (count, type) = rule.keepLast {
                doomed = try Self.dropNewest(count, of: doomed, perContextType: type, in: graph, rule: rule)
            }
            var runs: [NodeRef] = []
            if let (count, runType, type) = rule.keepRuns {
                (doomed, runs) = try Self.dropNewestRuns(count, of: doomed, runType: runType, perContextType: type, in: graph, rule: rule)
            }
            if !rule.keepTop.isEmpty {
                let kept = Self.topGroups(doomed, levels: rule.keepTop[...], in: graph)
                doomed = doomed.filter { !kept.contains($0) }
            }
            let before = all.count
            all.formUnion(doomed)
            all.formUnion(runs)
            lines.append(
                "rule \(rule.name): \(selected.count) selected, \(selected.count - doomed.count) kept, \(doomed.count) to delete"
                    + (rule.keepRuns != nil ? " and \(runs.count) emptied run(s)" : "") + " (\(all.count - before) new to this policy)")
        }
        return (all.sorted(), lines)
    }

    /// The ids of the context type named `name` (one per version).
    private static func contextType(_ name: String, in graph: GraphSnapshot, rule: Rule) throws -> Set<TypeID> {
        let ids = graph.typeIDs(kind: .context, name: name)
        guard !ids.isEmpty else { throw rule.error("no context type named \(name)") }
        return Set(ids)
    }

    /// The contexts a node belongs to (a context: its parent contexts).
    private static func contexts(of ref: NodeRef, in graph: GraphSnapshot) -> [Int32] {
        switch ref.kind {
        case .context: Array(graph.contextParents.items(ref.index))
        case .artifact: Array(graph.artifactContexts.items(ref.index))
        case .execution: Array(graph.executionContexts.items(ref.index))
        }
    }

    /// Newest first: by create time, then id.
    private static func newestFirst(_ a: NodeRef, _ b: NodeRef, in graph: GraphSnapshot) -> Bool {
        let (ta, tb) = (graph[a].createTime ?? .min, graph[b].createTime ?? .min)
        return ta != tb ? ta > tb : graph.id(of: a) > graph.id(of: b)
    }

    /// `nodes` less the `count` newest of each group (nodes sharing their contexts of type `type`).
    private static func dropNewest(_ count: Int, of nodes: [NodeRef], perContextType type: String?, in graph: GraphSnapshot, rule: Rule) throws -> [NodeRef] {
        let types = try type.map { try contextType($0, in: graph, rule: rule) }
        var groups: [[Int32]: [NodeRef]] = [:]
        for ref in nodes {
            let key = types.map { t in contexts(of: ref, in: graph).filter { t.contains(graph.contexts.types[Int($0)]) }.sorted() } ?? []
            groups[key, default: []].append(ref)
        }
        return groups.values.flatMap { $0.sorted { newestFirst($0, $1, in: graph) }.dropFirst(count) }
    }

    /// `nodes` less those in the `count` newest runs (contexts of `runType`) under each parent
    /// context of type `type`, and less those in no run; and the runs none of whose artifacts and
    /// executions stay.
    private static func dropNewestRuns(
        _ count: Int, of nodes: [NodeRef], runType: String, perContextType type: String?, in graph: GraphSnapshot, rule: Rule
    ) throws -> (doomed: [NodeRef], emptied: [NodeRef]) {
        let runTypes = try contextType(runType, in: graph, rule: rule)
        let parentTypes = try type.map { try contextType($0, in: graph, rule: rule) }
        var runsOf: [NodeRef: [Int32]] = [:]
        var allRuns = Set<Int32>()
        for ref in nodes {
            let runs = contexts(of: ref, in: graph).filter { runTypes.contains(graph.contexts.types[Int($0)]) }
            runsOf[ref] = runs
            allRuns.formUnion(runs)
        }
        var byParent: [[Int32]: [NodeRef]] = [:]
        for run in allRuns {
            let key = parentTypes.map { t in graph.contextParents.items(run).filter { t.contains(graph.contexts.types[Int($0)]) }.sorted() } ?? []
            byParent[key, default: []].append(NodeRef(.context, run))
        }
        let kept = Set(byParent.values.flatMap { $0.sorted { newestFirst($0, $1, in: graph) }.prefix(count).map(\.index) })
        let doomed = nodes.filter { ref in
            let runs = runsOf[ref]!
            return !runs.isEmpty && !runs.contains(where: kept.contains)
        }
        let going = Set(doomed)
        let emptied = allRuns.subtracting(kept).filter { run in
            graph.contextArtifacts.items(run).allSatisfy { going.contains(NodeRef(.artifact, $0)) }
                && graph.contextExecutions.items(run).allSatisfy { going.contains(NodeRef(.execution, $0)) }
        }
        return (doomed, emptied.sorted().map { NodeRef(.context, $0) })
    }

    /// The nodes that KeepPropertyValueGroups keeps: those with the top values of the first
    /// property and, within each, of the next; nodes without the property.
    private static func topGroups(_ nodes: [NodeRef], levels: ArraySlice<(count: Int, property: String)>, in graph: GraphSnapshot) -> Set<NodeRef> {
        guard let level = levels.first else { return Set(nodes) }
        var kept = Set<NodeRef>()
        var byValue: [Value: [NodeRef]] = [:]
        for ref in nodes {
            let node = graph[ref]
            if let value = node.properties[level.property] ?? node.customProperties[level.property] {
                byValue[value, default: []].append(ref)
            } else {
                kept.insert(ref)
            }
        }
        let top = byValue.keys.sorted(by: Self.descending).prefix(level.count)
        for value in top { kept.formUnion(topGroups(byValue[value]!, levels: levels.dropFirst(), in: graph)) }
        return kept
    }

    /// Highest first: numbers by value, then strings, then anything else by its text.
    private static func descending(_ a: Value, _ b: Value) -> Bool {
        func key(_ v: Value) -> (Int, Double, String) {
            switch v {
            case .int(let x): (0, Double(x), "")
            case .double(let x): (0, x, "")
            case .bool(let x): (0, x ? 1 : 0, "")
            case .string(let s): (1, 0, s)
            default: (2, 0, "\(v)")
            }
        }
        let (ka, kb) = (key(a), key(b))
        if ka.0 != kb.0 { return ka.0 < kb.0 }
        return ka.1 != kb.1 ? ka.1 > kb.1 : ka.2 > kb.2
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
