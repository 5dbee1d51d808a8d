public import PedigreeGraph

/// One node of a result, with the smallest number of hops it was reached in.
public struct ResultNode: Hashable, Sendable {
    public var node: NodeRef
    public var id: Int64
    public var depth: Int
}

/// MLMD's LineageGraph shape: nodes, the events among them, their contexts and the
/// attributions and associations that tie them to those contexts.
public struct Subgraph: Sendable, Equatable {
    public var artifacts: [Int32] = []
    public var executions: [Int32] = []
    public var contexts: [Int32] = []
    /// Dense event indices.
    public var events: [Int32] = []
    /// (context, artifact) and (context, execution) pairs of dense indices.
    public var attributions: [(Int32, Int32)] = []
    public var associations: [(Int32, Int32)] = []

    public static func == (a: Subgraph, b: Subgraph) -> Bool {
        a.artifacts == b.artifacts && a.executions == b.executions && a.contexts == b.contexts && a.events == b.events
            && a.attributions.elementsEqual(b.attributions, by: ==) && a.associations.elementsEqual(b.associations, by: ==)
    }
}

/// A path: nodes and the events between them (events[i] joins nodes[i] and nodes[i + 1]).
public struct LineagePath: Hashable, Sendable {
    public var nodes: [NodeRef]
    public var events: [Int32]
}

/// A row of `return count group by ...`.
public struct GroupRow: Hashable, Sendable {
    public var keys: [String]
    public var count: Int
}

/// Why a result holds fewer rows than the query matched.
public struct Truncation: Hashable, Sendable, CustomStringConvertible {
    /// How many rows were returned.
    public var returned: Int
    /// How many more matched (nil: not counted, because the search stopped early).
    public var omitted: Int?
    public var reason: String

    public init(returned: Int, omitted: Int?, reason: String) {
        self.returned = returned
        self.omitted = omitted
        self.reason = reason
    }

    public var description: String {
        if let omitted { return "\(reason): \(returned) returned, \(omitted) more omitted" }
        return "\(reason): \(returned) returned, more were not searched for"
    }
}

/// What one operator of the plan did, for `profile`: its own rows, visits and time (its inputs'
/// are theirs).
public struct OperatorProfile: Hashable, Sendable {
    /// The operator's `PlanNode.id`.
    public var node: Int
    public var name: String
    public var rows: Int
    public var visited: Int
    public var nanoseconds: UInt64
}

public struct QueryResult: Sendable {
    public enum Rows: Sendable {
        case nodes([ResultNode])
        case subgraph(Subgraph)
        case paths([LineagePath])
        case count(Int)
        case groups([GroupRow])
    }

    public var rows: Rows
    public var truncated: Truncation?
    /// Nodes the search visited in all.
    public var visited: Int
    public var profile: [OperatorProfile]
    public var plan: Plan
    /// Whether depths are to be shown (`return nodes with depth`).
    public var withDepth: Bool
    /// The nodes the query started from: its start pattern's matches (for paths: the paths'
    /// first nodes). Diagrams highlight them.
    public var startNodes: [NodeRef]
    /// What the query found, where the rows do not list it themselves: a subgraph's results (not
    /// its inner nodes) and the paths' last nodes.
    var foundNodes: [NodeRef] = []

    /// The names of the group keys, in order: the columns of `.groups` rows.
    public var groupColumns: [String] {
        if case .groups(let keys) = plan.query.output { return keys.map(\.name) }
        return []
    }

    /// The nodes the query found: the rows' nodes, a subgraph query's results (not the nodes on
    /// the way to them), or the paths' last nodes. A count holds none.
    public var resultNodes: [NodeRef] {
        if case .nodes(let nodes) = rows { return nodes.map(\.node) }
        return foundNodes
    }
}

/// Limits every query runs under.
public struct QueryLimits: Sendable {
    /// Nodes a query may visit before it fails.
    public var maxVisits: Int
    /// Wall-clock time a query may take before it fails.
    public var timeout: Duration
    /// Paths `all paths` may enumerate before it fails.
    public var maxPaths: Int

    public init(maxVisits: Int = 50_000_000, timeout: Duration = .seconds(30), maxPaths: Int = 100_000) {
        self.maxVisits = maxVisits
        self.timeout = timeout
        self.maxPaths = maxPaths
    }
}

/// A query stopped by a budget, its deadline or cancellation.
package struct QueryAbort: Error, Sendable, CustomStringConvertible {
    package enum Reason: Sendable { case visitBudget, deadline, cancelled, pathBudget }
    package var reason: Reason
    public var description: String
}
