public import PedigreeGraph

/// Record counts, as `pedigree stats` prints them.
public struct StoreCounts: Sendable, Equatable {
    public var types = 0
    public var artifacts = 0
    public var executions = 0
    public var contexts = 0
    public var events = 0
    public var attributions = 0
    public var associations = 0
    public var parentContexts = 0
    /// Node count per type name (with `@version` when the type has one).
    public var byType: [String: Int] = [:]

    public init() {}

    public init(_ g: GraphSnapshot) {
        types = g.types.count
        artifacts = g.artifacts.count
        executions = g.executions.count
        contexts = g.contexts.count
        events = g.events.count + g.orphanEvents.count
        attributions = g.attributions.count + g.orphanAttributions.count
        associations = g.associations.count + g.orphanAssociations.count
        parentContexts = g.parentContexts.count + g.orphanParentContexts.count
        let counts = g.countsByType()
        for (id, t) in zip(g.typeIDs, g.types) {
            let n = counts[id] ?? 0
            // The nine built-in types are listed only when something uses them.
            if n == 0 && t.name.hasPrefix("mlmd.") { continue }
            byType[t.name + (t.version.map { "@" + $0 } ?? "")] = n
        }
    }
}
