package import PedigreeModel
package import PedigreeGraph

/// A node test with its names resolved: which kinds it admits and, per kind, the predicate.
/// `nil` predicate: every node of an admitted kind. A kind whose predicate could not be bound
/// (it names a field that kind lacks, such as `uri` for executions) is not admitted.
package struct BoundNodeTest: Hashable, Sendable {
    package var artifacts: Bool
    package var executions: Bool
    package var artifactPredicate: BoundPredicate?
    package var executionPredicate: BoundPredicate?
    /// When a kind's predicate is exactly `type = 'X'`: the ids of the types named X, so the
    /// executor compares type ids instead of evaluating the predicate.
    package var artifactTypeIDs: [TypeID]?
    package var executionTypeIDs: [TypeID]?
    /// `in context(...)`: the node must belong to a context matching this.
    package var scope: BoundPredicate?
    package var hasScope: Bool
    /// The pattern as written, for explain.
    package var text: String

    package static let any = BoundNodeTest(
        artifacts: true, executions: true, artifactPredicate: nil, executionPredicate: nil, artifactTypeIDs: nil,
        executionTypeIDs: nil, scope: nil, hasScope: false, text: "node")

    package func admits(_ kind: NodeKind) -> Bool { kind == .artifact ? artifacts : kind == .execution ? executions : false }
    package func predicate(_ kind: NodeKind) -> BoundPredicate? { kind == .artifact ? artifactPredicate : executionPredicate }
}

package struct BoundStep: Hashable, Sendable {
    package var direction: Step.Direction
    package var min: Int
    package var max: Int?
    /// Nil: every event type.
    package var eventTypes: Set<EventType>?
    /// Every node the walk enters must pass these (all `where` clauses).
    package var whereTests: [BoundNodeTest]
    package var untilTests: [BoundNodeTest]
    package var pruneTests: [BoundNodeTest]
    package var target: BoundNodeTest?
    package var text: String
}

/// A query with every name resolved against the store's types. It keeps no syntax tree: what the
/// planner, the executor and explain need is here, resolved.
package struct BoundQuery: Sendable {
    package var mode: Query.Mode
    package var pathMode: Query.PathMode
    package var start: BoundNodeTest
    package var steps: [BoundStep]
    package var output: BoundOutput
    package var orderBy: [BoundOrderKey]
    package var limit: Int?
    /// The query in canonical form (`Printer`), for explain and the server's canonical query.
    package var text: String
}

/// What a query returns.
package enum BoundOutput: Hashable, Sendable {
    case nodes(withDepth: Bool)
    case subgraph
    /// `return paths` of a reach query: its result nodes (a path query returns paths whatever it says).
    case paths
    case count
    case groups([BoundGroupKey])
}

package enum BoundOrderKey: Hashable, Sendable {
    case depth(ascending: Bool)
    case operand(BoundOperand, ascending: Bool, name: String)

    package var ascending: Bool {
        switch self {
        case .depth(let a), .operand(_, let a, _): a
        }
    }

    /// The key as written in canonical form.
    package var name: String {
        switch self {
        case .depth: "depth"
        case .operand(_, _, let name): name
        }
    }
}

package enum BoundGroupKey: Hashable, Sendable {
    case kind
    /// `type`: the type's name (read from the type column), under the name written.
    case type(name: String)
    /// `state`: an artifact's state or an execution's last known state.
    case state
    case operand(BoundOperand, name: String)

    /// The key's column name in results.
    package var name: String {
        switch self {
        case .kind: "kind"
        case .state: "state"
        case .type(let name), .operand(_, let name): name
        }
    }
}

/// Resolves a parsed query against a snapshot's types.
package struct QueryBinder {
    package let snapshot: GraphSnapshot
    package let parameters: [String: Literal.Value]
    package private(set) var diagnostics: [Diagnostic] = []

    package init(snapshot: GraphSnapshot, parameters: [String: Literal.Value] = [:]) {
        self.snapshot = snapshot
        self.parameters = parameters
    }

    package mutating func bind(_ query: Query) -> BoundQuery? {
        let start = bindPattern(query.start)
        var steps: [BoundStep] = []
        for step in query.steps { steps.append(bindStep(step)) }
        var limit: Int?
        switch query.limit {
        case nil: break
        case .count(let n, _): limit = n
        case .parameter(let name, let range):
            switch parameters[name] {
            case .integer(let n)? where n >= 0: limit = Int(n)
            case nil: diagnostics.append(Diagnostic("bind.parameter", "no value given for parameter $\(name)", at: range,
                                                    notes: ["pass it with --param \(name)=N"]))
            default: diagnostics.append(Diagnostic("bind.parameter", "limit $\(name) needs a non-negative integer", at: range))
            }
        }
        var orderBy: [BoundOrderKey] = []
        for key in query.orderBy {
            if key.field.names.count == 1, key.field.names[0].value.lowercased() == "depth" {
                orderBy.append(.depth(ascending: key.ascending))
            } else if let operand = bindKey(key.field) {
                orderBy.append(.operand(operand, ascending: key.ascending, name: Printer.print(key.field)))
            }
        }
        let output: BoundOutput
        switch query.returnClause {
        case .nodes(let withDepth): output = .nodes(withDepth: withDepth)
        case .subgraph: output = .subgraph
        case .paths: output = .paths
        case .count(let keys) where keys.isEmpty: output = .count
        case .count(let keys):
            var groupBy: [BoundGroupKey] = []
            for key in keys {
                if key.names.count == 1, key.names[0].value.lowercased() == "kind" {
                    groupBy.append(.kind)
                } else if key.names.count == 1, key.names[0].value == "state" {
                    groupBy.append(.state)
                } else if let operand = bindKey(key) {
                    // `type` is the type's name, read from the type column rather than the node.
                    groupBy.append(operand == .typeName ? .type(name: key.description) : .operand(operand, name: key.description))
                }
            }
            output = .groups(groupBy)
        }
        if query.pathMode != .reach, query.steps.isEmpty {
            diagnostics.append(Diagnostic("bind.path-needs-step", "a path query needs at least one step", at: query.start.range,
                                          notes: ["for example: shortest path artifact(id = 9) upstream* artifact(id = 1)"]))
        }
        if query.pathMode != .reach, query.steps.count > 1 {
            let mode = query.pathMode == .shortestPath ? "shortest path" : "all paths"
            diagnostics.append(Diagnostic("bind.path-steps", "\(mode) takes one step", at: query.steps[1].range))
        }
        guard diagnostics.isEmpty else { return nil }
        return BoundQuery(
            mode: query.mode, pathMode: query.pathMode, start: start, steps: steps, output: output, orderBy: orderBy, limit: limit,
            text: Printer.print(query))
    }

    /// An order or group key: a node attribute or property, for either kind.
    private mutating func bindKey(_ field: FieldPath) -> BoundOperand? {
        var artifactBinder = PredicateBinder(snapshot: snapshot, parameters: parameters)
        var executionBinder = PredicateBinder(snapshot: snapshot, parameters: parameters)
        let probe = Predicate.isNull(field, negated: false, field.range)
        let a = artifactBinder.bind(probe, for: .artifact)
        let e = executionBinder.bind(probe, for: .execution)
        if case .isNull(let operand, _)? = a ?? e { return operand }
        diagnostics += artifactBinder.diagnostics
        return nil
    }

    /// Binds a node pattern for each kind it names.
    private mutating func bindPattern(_ p: NodePattern) -> BoundNodeTest {
        var test = BoundNodeTest(
            artifacts: p.kind != .execution, executions: p.kind != .artifact, artifactPredicate: nil, executionPredicate: nil,
            artifactTypeIDs: nil, executionTypeIDs: nil, scope: nil, hasScope: p.scope != nil, text: Printer.print(p))
        if let predicate = p.predicate {
            bindPredicate(predicate, into: &test)
        }
        if let scope = p.scope, let predicate = scope.predicate {
            var binder = PredicateBinder(snapshot: snapshot, parameters: parameters)
            test.scope = binder.bind(predicate, for: .context)
            diagnostics += binder.diagnostics
        }
        return test
    }

    /// Binds a predicate for the kinds `test` admits; a kind it cannot be bound for is dropped,
    /// and if it binds for none, the diagnostics of the first kind are reported.
    private mutating func bindPredicate(_ predicate: Predicate, into test: inout BoundNodeTest) {
        var reports: [[Diagnostic]] = []
        let kinds: [(NodeKind, WritableKeyPath<BoundNodeTest, Bool>, WritableKeyPath<BoundNodeTest, BoundPredicate?>,
                     WritableKeyPath<BoundNodeTest, [TypeID]?>)] = [
            (.artifact, \.artifacts, \.artifactPredicate, \.artifactTypeIDs),
            (.execution, \.executions, \.executionPredicate, \.executionTypeIDs),
        ]
        for (kind, admits, bound, typeIDs) in kinds where test[keyPath: admits] {
            var binder = PredicateBinder(snapshot: snapshot, parameters: parameters)
            test[keyPath: bound] = binder.bind(predicate, for: kind)
            if test[keyPath: bound] == nil {
                test[keyPath: admits] = false
                reports.append(binder.diagnostics)
            } else if case .compare(.typeName, .equal, .string(let name))? = test[keyPath: bound] {
                test[keyPath: typeIDs] = snapshot.typeIDs(kind: kind, name: name)
            }
        }
        if !test.artifacts && !test.executions, let first = reports.first { diagnostics += first }
    }

    private mutating func bindCondition(_ c: NodeCondition) -> BoundNodeTest {
        switch c {
        case .pattern(let p): return bindPattern(p)
        case .predicate(let p):
            var test = BoundNodeTest.any
            test.text = Printer.print(p)
            bindPredicate(p, into: &test)
            return test
        }
    }

    private mutating func bindStep(_ s: Step) -> BoundStep {
        var types: Set<EventType>?
        if let via = s.via {
            types = []
            for name in via {
                if let t = EventType(name: name.value.uppercased()), t != .unknown {
                    types!.insert(t)
                } else {
                    let names = EventType.allCases.filter { $0 != .unknown }.map(\.description)
                    diagnostics.append(Diagnostic(
                        "bind.unknown-event-type", "unknown event type '\(name.value)'", at: name.range,
                        notes: (PredicateBinder.nearest(name.value.uppercased(), in: names).map { ["did you mean \($0)?"] } ?? [])
                            + ["event types: " + names.joined(separator: ", ")]))
                }
            }
        }
        var step = BoundStep(
            direction: s.direction, min: s.bounds.min, max: s.bounds.max, eventTypes: types, whereTests: [], untilTests: [],
            pruneTests: [], target: s.target.map { bindPattern($0) }, text: Printer.print(s))
        for clause in s.clauses {
            switch clause {
            case .where(let p):
                var test = BoundNodeTest.any
                test.text = Printer.print(p)
                // A where clause that cannot apply to a kind (a field it lacks) lets that kind pass.
                var a = PredicateBinder(snapshot: snapshot, parameters: parameters)
                var e = PredicateBinder(snapshot: snapshot, parameters: parameters)
                test.artifactPredicate = a.bind(p, for: .artifact)
                test.executionPredicate = e.bind(p, for: .execution)
                if test.artifactPredicate == nil && test.executionPredicate == nil { diagnostics += a.diagnostics }
                step.whereTests.append(test)
            case .until(let c): step.untilTests.append(bindCondition(c))
            case .prune(let c): step.pruneTests.append(bindCondition(c))
            }
        }
        return step
    }
}
