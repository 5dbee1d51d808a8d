package import PedigreeModel

/// How an index finds a node pattern's candidates.
package enum IndexAccess: Hashable, Sendable, CustomStringConvertible {
    case byID(NodeKind, Int64)
    case byExternalID(NodeKind, String)
    case byName(NodeKind, TypeID, typeName: String, name: String)
    /// A name without a type: one (type, name) lookup per type of the kind.
    case byNameAnyType(NodeKind, String)
    case byURI(String)
    case byState(NodeKind, Int?)
    case byType(NodeKind, TypeID, typeName: String)
    /// The members of the contexts an `in context(...)` scope matches (found by name when the
    /// scope names one, else by testing every context).
    case byScope(NodeKind, BoundPredicate, contextName: String?)

    package var kind: NodeKind {
        switch self {
        case .byID(let k, _), .byExternalID(let k, _), .byName(let k, _, _, _), .byNameAnyType(let k, _), .byState(let k, _),
            .byType(let k, _, _), .byScope(let k, _, _):
            k
        case .byURI: .artifact
        }
    }

    package var description: String {
        switch self {
        case .byID(let k, let id): "IndexLookup \(k) by id = \(id)"
        case .byExternalID(let k, let e): "IndexLookup \(k) by external_id = '\(e)'"
        case .byName(let k, _, let t, let n): "IndexLookup \(k) by (type, name) = ('\(t)', '\(n)')"
        case .byNameAnyType(let k, let n): "IndexLookup \(k) by (type, name) for each \(k) type, name = '\(n)'"
        case .byURI(let u): "IndexLookup artifact by uri = '\(u)'"
        case .byState(let k, let s): "StateScan \(k) state = \(Self.stateName(k, s))"
        case .byType(let k, _, let t): "TypeScan \(k) type = '\(t)'"
        case .byScope(let k, _, let name?): "ContextMembers \(k) of the context named '\(name)'"
        case .byScope(let k, _, nil): "ContextMembers \(k) of the contexts in scope"
        }
    }

    static func stateName(_ kind: NodeKind, _ raw: Int?) -> String {
        guard let raw else { return "unset" }
        return kind == .artifact ? ArtifactState(rawValue: raw)?.description ?? "\(raw)" : ExecutionState(rawValue: raw)?.description ?? "\(raw)"
    }
}

/// What a plan's root returns.
package enum Projection: Hashable, Sendable {
    case nodes(withDepth: Bool)
    case subgraph
}

/// One operator of a plan. The executor runs the tree; explain and profile print it.
package indirect enum PlanOperator: Sendable {
    // Leaves: where nodes come from.
    /// Every node of a kind.
    case scan(NodeKind)
    case indexLookup(IndexAccess)
    /// The nodes of its inputs (one access path per kind), in input order.
    case union
    /// Keeps the nodes of its input that pass the test.
    case filter(BoundNodeTest)

    // Walks: one step from the nodes of the input.
    /// Breadth-first from the input's nodes, testing target, where, until and prune as it goes.
    /// `stopAfter`: end after the depth at which that many results exist (a pushed-down limit).
    /// `recordEdges`: keep the edges walked, for a subgraph.
    case extend(BoundStep, stopAfter: Int?, recordEdges: Bool)
    /// From the target's candidates (the second input) back towards the sources (the first).
    case reverseExtend(BoundStep)
    /// One shortest path from the input's nodes to the step's target, breadth-first.
    case shortestPath(BoundStep)
    /// One shortest path, searching from the sources (first input) and from the target's
    /// candidates (second input) at once and meeting in the middle.
    case meetInTheMiddle(BoundStep)
    /// Every acyclic path within the step's bounds, depth first; at most `limit`.
    case allPaths(BoundStep, limit: Int?)

    // Results.
    case count
    case group([BoundGroupKey])
    /// Counts by kind, type and state, as a histogram over the type and state columns.
    case groupByColumns([BoundGroupKey])
    case order([BoundOrderKey])
    case limit(Int)
    case project(Projection)

    /// The operator's name as explain prints it.
    package var name: String {
        switch self {
        case .scan: "Scan"
        case .indexLookup: "IndexLookup"
        case .union: "Union"
        case .filter: "Filter"
        case .extend(let step, _, _):
            switch step.direction {
            case .downstream: "ExtendDown"
            case .upstream: "ExtendUp"
            case .both: "ExtendBoth"
            }
        case .reverseExtend: "ReverseExtend"
        case .shortestPath: "ShortestPath"
        case .meetInTheMiddle: "MeetInTheMiddle"
        case .allPaths: "AllPaths"
        case .count: "Count"
        case .group: "Group"
        case .groupByColumns: "GroupByColumns"
        case .order: "Order"
        case .limit: "Limit"
        case .project: "Project"
        }
    }
}

/// A node of the plan tree: an operator, its inputs and the rows it is expected to yield.
package struct PlanNode: Sendable {
    package var op: PlanOperator
    package var inputs: [PlanNode]
    /// Estimated rows; set by the planner once the rules have run.
    package var estimate: Int = 0
    /// Position in a pre-order walk of the plan (the root is 0); profiles are keyed by it.
    package var id: Int = 0

    package init(_ op: PlanOperator, _ inputs: [PlanNode] = []) {
        self.op = op
        self.inputs = inputs
    }

    /// The tree, bottom-up: `transform` sees each node after its inputs have been transformed.
    func rewritten(_ transform: (PlanNode) -> PlanNode) -> PlanNode {
        var copy = self
        copy.inputs = inputs.map { $0.rewritten(transform) }
        return transform(copy)
    }

    /// Every node, in pre-order.
    package func walk(_ body: (PlanNode) -> Void) {
        body(self)
        for input in inputs { input.walk(body) }
    }
}

/// A rule that changed the plan, and why.
package struct RuleFiring: Hashable, Sendable, CustomStringConvertible {
    package var rule: String
    package var reason: String
    package var description: String { "\(rule): \(reason)" }
}

/// The plan the executor runs; explain prints it.
public struct Plan: Sendable {
    package var query: BoundQuery
    package var root: PlanNode
    /// The rules that fired, in the order they did.
    package var rules: [RuleFiring]
}

extension Plan {
    /// Whether a rule changed this plan.
    package func fired(_ rule: Planner.Rule) -> Bool { rules.contains { $0.rule == rule.rawValue } }
}
