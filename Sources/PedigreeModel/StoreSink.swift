/// Receives a store's records as a reader streams them, so that no whole table has to be held
/// in between. Order: types; then artifacts, executions and contexts, each kind in id order and
/// followed by its properties; then the edges (`EdgeSink`).
package protocol NodeSink {
    mutating func add(_ type: NodeType, id: TypeID)
    mutating func add(_ artifact: Artifact, id: ArtifactID)
    mutating func add(_ execution: Execution, id: ExecutionID)
    mutating func add(_ context: Context, id: ContextID)
    /// A property of an already added node; `custom` for custom properties.
    mutating func setProperty(_ kind: NodeKind, of id: Int64, name: String, custom: Bool, _ value: Value)
}

/// Receives a store's edges: events (with their paths), attributions, associations and parent
/// contexts, each in row order.
package protocol EdgeSink {
    mutating func add(rowID: Int64, _ event: Event)
    mutating func add(rowID: Int64, _ attribution: Attribution)
    mutating func add(rowID: Int64, _ association: Association)
    mutating func add(_ link: ParentContext)
}

package typealias StoreSink = NodeSink & EdgeSink
