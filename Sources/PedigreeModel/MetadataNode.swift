/// What artifacts, executions and contexts have in common.
public protocol MetadataNode: Hashable, Sendable {
    associatedtype ID: MetadataID
    static var kind: NodeKind { get }
    /// A node with only these fields set: the start of one assembled field by field (a context's
    /// name is "" when `nodeName` is nil).
    init(id: ID?, typeID: TypeID, nodeName: String?)
    var id: ID? { get set }
    var typeID: TypeID { get set }
    /// The name, if any (a context always has one).
    var nodeName: String? { get }
    var externalID: String? { get set }
    var properties: Properties { get set }
    var customProperties: Properties { get set }
    var createTime: Int64? { get set }
    var updateTime: Int64? { get set }
}

extension Artifact: MetadataNode {
    public static var kind: NodeKind { .artifact }
    public var nodeName: String? { name }
    public init(id: ArtifactID?, typeID: TypeID, nodeName: String?) { self.init(id: id, typeID: typeID, name: nodeName) }
}

extension Execution: MetadataNode {
    public static var kind: NodeKind { .execution }
    public var nodeName: String? { name }
    public init(id: ExecutionID?, typeID: TypeID, nodeName: String?) { self.init(id: id, typeID: typeID, name: nodeName) }
}

extension Context: MetadataNode {
    public static var kind: NodeKind { .context }
    public var nodeName: String? { name }
    public init(id: ContextID?, typeID: TypeID, nodeName: String?) { self.init(id: id, typeID: typeID, name: nodeName ?? "") }
}

extension MetadataNode {
    /// Equal in everything but timestamps, with NaN-tolerant property comparison.
    public func isSameRecord(as other: Self, ignoringTimes: Bool = false) -> Bool {
        var a = self, b = other
        if ignoringTimes {
            a.createTime = nil; a.updateTime = nil
            b.createTime = nil; b.updateTime = nil
        }
        let (ap, ac, bp, bc) = (a.properties, a.customProperties, b.properties, b.customProperties)
        a.properties = [:]; a.customProperties = [:]
        b.properties = [:]; b.customProperties = [:]
        return a == b && ap.isIdentical(to: bp) && ac.isIdentical(to: bc)
    }
}
