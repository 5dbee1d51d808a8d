/// Everything a store holds, in id order: what `open` reads and `export` writes.
public struct StoreContents: Sendable {
    public var types: [NodeType] = []
    public var artifacts: [Artifact] = []
    public var executions: [Execution] = []
    public var contexts: [Context] = []
    public var events: [(rowID: Int64, event: Event)] = []
    public var attributions: [(rowID: Int64, attribution: Attribution)] = []
    public var associations: [(rowID: Int64, association: Association)] = []
    public var parentContexts: [ParentContext] = []
    public init() {}
}
