public import PedigreeModel

/// The fields of a node that are usually absent (external id, properties, custom properties),
/// kept out of line: one reference per node, nil when all of them are absent.
package final class NodeExtras: Sendable {
    let externalID: String?
    let properties: Properties
    let customProperties: Properties

    private init(externalID: String?, properties: Properties, customProperties: Properties) {
        self.externalID = externalID
        self.properties = properties
        self.customProperties = customProperties
    }

    /// The extras of a node, or nil (no allocation) when it has none.
    static func of(externalID: String?, properties: Properties, customProperties: Properties) -> NodeExtras? {
        if externalID == nil && properties.isEmpty && customProperties.isEmpty { return nil }
        return NodeExtras(externalID: externalID, properties: properties, customProperties: customProperties)
    }
}

/// Optional timestamps as two plain columns and a presence mask (bit 0 create, bit 1 update).
struct NodeTimes: Sendable {
    var create: Int64
    var update: Int64
    var present: UInt8

    init(_ create: Int64?, _ update: Int64?) {
        self.create = create ?? 0
        self.update = update ?? 0
        present = (create == nil ? 0 : 1) | (update == nil ? 0 : 2)
    }

    var createTime: Int64? { present & 1 != 0 ? create : nil }
    var updateTime: Int64? { present & 2 != 0 ? update : nil }
}

/// A node as the graph stores it, less the id and type (which have columns of their own): the
/// fields every kind has, and the kind's own (`StoredNode.Inline`).
package struct NodeRecord<Inline: Sendable>: Sendable {
    var name: String?
    var times: NodeTimes
    var extras: NodeExtras?
    var inline: Inline
}

/// A node kind as the graph stores it: its own fields (`Inline`), where its nodes live in a
/// snapshot, and how its state and uri read from those fields (-1 and nil for a kind without).
/// The rest (record layout, indexes, put) is written once, generically, in `NodeStore`.
public protocol StoredNode: MetadataNode {
    associatedtype Inline: Sendable
    var inline: Inline { get }
    init(id: ID, typeID: TypeID, name: String?, inline: Inline)
    static var store: KeyPath<GraphSnapshot, NodeStore<Self>> { get }
    /// The state's raw value, or -1 for none.
    static func stateRaw(_ inline: Inline) -> Int8
    static func uri(_ inline: Inline) -> String?
}

/// A stored node kind whose store a writer can reach (package only: the snapshot is written by
/// its writer alone).
package protocol WritableStoredNode: StoredNode {
    static var writableStore: WritableKeyPath<GraphSnapshot, NodeStore<Self>> { get }
}

extension StoredNode {
    init(id: Int64, typeID: TypeID, record r: NodeRecord<Inline>) {
        self.init(id: ID(id), typeID: typeID, name: r.name, inline: r.inline)
        if let extras = r.extras {
            externalID = extras.externalID
            properties = extras.properties
            customProperties = extras.customProperties
        }
        createTime = r.times.createTime
        updateTime = r.times.updateTime
    }

    var record: NodeRecord<Inline> {
        NodeRecord(
            name: nodeName, times: NodeTimes(createTime, updateTime),
            extras: NodeExtras.of(externalID: externalID, properties: properties, customProperties: customProperties),
            inline: inline)
    }
}

extension Artifact: StoredNode {
    public struct Inline: Sendable {
        var uri: String?
        var state: Int8
    }

    public var inline: Inline { Inline(uri: uri, state: state.map { Int8($0.rawValue) } ?? -1) }

    public init(id: ArtifactID, typeID: TypeID, name: String?, inline: Inline) {
        self.init(id: id, typeID: typeID, name: name, uri: inline.uri, state: ArtifactState(rawValue: Int(inline.state)))
    }

    public static func stateRaw(_ inline: Inline) -> Int8 { inline.state }
    public static func uri(_ inline: Inline) -> String? { inline.uri }
}

extension Execution: StoredNode {
    /// The last known state's raw value, or -1 for none.
    public var inline: Int8 { lastKnownState.map { Int8($0.rawValue) } ?? -1 }

    public init(id: ExecutionID, typeID: TypeID, name: String?, inline: Int8) {
        self.init(id: id, typeID: typeID, name: name, lastKnownState: ExecutionState(rawValue: Int(inline)))
    }

    public static func stateRaw(_ inline: Int8) -> Int8 { inline }
    public static func uri(_ inline: Int8) -> String? { nil }
}

extension Context: StoredNode {
    /// A context has no fields beyond those of every kind.
    public struct Inline: Sendable {}

    public var inline: Inline { Inline() }

    public init(id: ContextID, typeID: TypeID, name: String?, inline: Inline) {
        self.init(id: id, typeID: typeID, name: name ?? "")
    }

    public static func stateRaw(_ inline: Inline) -> Int8 { -1 }
    public static func uri(_ inline: Inline) -> String? { nil }
}
