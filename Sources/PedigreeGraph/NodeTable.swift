public import PedigreeModel

/// The fields of a node that are usually absent (external id, properties, custom properties),
/// kept out of line: one reference per node, nil when all of them are absent.
public final class NodeExtras: Sendable {
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

/// A node kind as the graph stores it: the id and type go to columns of their own, the rest to a
/// slim record, from which the public value is assembled on read.
public protocol StoredNode: MetadataNode {
    associatedtype Record: Sendable
    init(id: Int64, typeID: TypeID, record: Record)
    var record: Record { get }
}

/// The nodes of one kind by dense index, as id and type columns plus slim records: about half the
/// memory of an array of the public structs (whose optionals pad every field to 16 bytes).
/// Copying is O(1) and a write copies only the chunks it touches, as with `ChunkedArray`.
public struct NodeTable<Node: StoredNode>: Sendable, RandomAccessCollection {
    public private(set) var ids = ChunkedArray<Int64>()
    public private(set) var types = ChunkedArray<TypeID>()
    private(set) var records = ChunkedArray<Node.Record>()

    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { ids.count }

    public subscript(position: Int) -> Node {
        Node(id: ids[position], typeID: types[position], record: records[position])
    }

    mutating func append(_ node: Node) {
        ids.append(node.id!.rawValue)
        types.append(node.typeID)
        records.append(node.record)
    }

    /// Replaces the node at `position` (its id stays).
    mutating func replace(_ position: Int, with node: Node) {
        types[position] = node.typeID
        records[position] = node.record
    }

    mutating func update(_ position: Int, _ body: (inout Node) -> Void) {
        var node = self[position]
        body(&node)
        replace(position, with: node)
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

public struct ArtifactRecord: Sendable {
    var name: String?
    var uri: String?
    var times: NodeTimes
    var extras: NodeExtras?
    /// The state's raw value, or -1 for none.
    var state: Int8
}

public struct ExecutionRecord: Sendable {
    var name: String?
    var times: NodeTimes
    var extras: NodeExtras?
    /// The state's raw value, or -1 for none.
    var state: Int8
}

public struct ContextRecord: Sendable {
    var name: String
    var times: NodeTimes
    var extras: NodeExtras?
}

extension Artifact: StoredNode {
    public init(id: Int64, typeID: TypeID, record r: ArtifactRecord) {
        self.init(
            id: ArtifactID(id), typeID: typeID, name: r.name, uri: r.uri,
            state: r.state < 0 ? nil : ArtifactState(rawValue: Int(r.state)), externalID: r.extras?.externalID,
            properties: r.extras?.properties ?? [:], customProperties: r.extras?.customProperties ?? [:],
            createTime: r.times.createTime, updateTime: r.times.updateTime)
    }

    public var record: ArtifactRecord {
        ArtifactRecord(
            name: name, uri: uri, times: NodeTimes(createTime, updateTime),
            extras: NodeExtras.of(externalID: externalID, properties: properties, customProperties: customProperties),
            state: state.map { Int8($0.rawValue) } ?? -1)
    }
}

extension Execution: StoredNode {
    public init(id: Int64, typeID: TypeID, record r: ExecutionRecord) {
        self.init(
            id: ExecutionID(id), typeID: typeID, name: r.name,
            lastKnownState: r.state < 0 ? nil : ExecutionState(rawValue: Int(r.state)), externalID: r.extras?.externalID,
            properties: r.extras?.properties ?? [:], customProperties: r.extras?.customProperties ?? [:],
            createTime: r.times.createTime, updateTime: r.times.updateTime)
    }

    public var record: ExecutionRecord {
        ExecutionRecord(
            name: name, times: NodeTimes(createTime, updateTime),
            extras: NodeExtras.of(externalID: externalID, properties: properties, customProperties: customProperties),
            state: lastKnownState.map { Int8($0.rawValue) } ?? -1)
    }
}

extension Context: StoredNode {
    public init(id: Int64, typeID: TypeID, record r: ContextRecord) {
        self.init(
            id: ContextID(id), typeID: typeID, name: r.name, externalID: r.extras?.externalID,
            properties: r.extras?.properties ?? [:], customProperties: r.extras?.customProperties ?? [:],
            createTime: r.times.createTime, updateTime: r.times.updateTime)
    }

    public var record: ContextRecord {
        ContextRecord(
            name: name, times: NodeTimes(createTime, updateTime),
            extras: NodeExtras.of(externalID: externalID, properties: properties, customProperties: customProperties))
    }
}

extension NodeTable where Node == Artifact {
    /// The state's raw value at `position`, -1 when unset, without assembling the artifact.
    package func stateRaw(_ position: Int) -> Int8 { records[position].state }
}

extension NodeTable where Node == Execution {
    /// The last known state's raw value at `position`, -1 when unset.
    package func stateRaw(_ position: Int) -> Int8 { records[position].state }
}
