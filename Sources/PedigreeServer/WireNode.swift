package import Pedigree
package import PedigreeWire
internal import SwiftProtobuf

// A node kind as ml-metadata's wire carries it: the model type (`Artifact`, `Execution`,
// `Context`), its message, and the conversions between them. The fields every node has are
// converted once here; each kind adds only its own (name, uri, state). Reads fill what MLMD's
// reads fill (the type's name included); writes take what MLMD's writes take.

/// The three wire node messages: the fields they share, and the model type each carries.
protocol WireNode: SwiftProtobuf.Message {
    associatedtype Node: WireKind where Node.Wire == Self
    var id: Int64 { get set }
    var hasID: Bool { get }
    var typeID: Int64 { get set }
    var hasTypeID: Bool { get }
    var type: String { get set }
    var externalID: String { get set }
    var hasExternalID: Bool { get }
    var properties: [String: MlMetadata_Value] { get set }
    var customProperties: [String: MlMetadata_Value] { get set }
    var createTimeSinceEpoch: Int64 { get set }
    var hasCreateTimeSinceEpoch: Bool { get }
    var lastUpdateTimeSinceEpoch: Int64 { get set }
    var hasLastUpdateTimeSinceEpoch: Bool { get }
}

/// The model side of a node kind: what its message holds beyond the fields every node has.
protocol WireKind: StoredNode {
    associatedtype Wire: WireNode where Wire.Node == Self
    /// A node of type `typeID` with the kind's own fields from `w`; the common ones are left unset.
    init(typeID: TypeID, kindFieldsOf w: Wire) throws(MetadataError)
    /// Sets the kind's own fields of `w`.
    func setKindFields(of w: inout Wire)
}

extension WireKind {
    /// A node from a put request.
    init(wire w: Wire) throws(MetadataError) {
        try self.init(typeID: TypeID(w.typeID), kindFieldsOf: w)
        id = w.hasID ? ID(w.id) : nil
        externalID = w.hasExternalID ? w.externalID : nil
        properties = try wireProperties(w.properties)
        customProperties = try wireProperties(w.customProperties)
        createTime = w.hasCreateTimeSinceEpoch ? w.createTimeSinceEpoch : nil
        updateTime = w.hasLastUpdateTimeSinceEpoch ? w.lastUpdateTimeSinceEpoch : nil
    }

    /// The message MLMD's reads return, with the type's name filled in.
    func wire(in g: GraphSnapshot) -> Wire {
        var w = Wire()
        if let id { w.id = id.rawValue }
        w.typeID = typeID.rawValue
        if let type = g.type(typeID) { w.type = type.name }
        if let externalID { w.externalID = externalID }
        w.properties = properties.wire
        w.customProperties = customProperties.wire
        if let createTime { w.createTimeSinceEpoch = createTime }
        if let updateTime { w.lastUpdateTimeSinceEpoch = updateTime }
        setKindFields(of: &w)
        return w
    }
}

extension MlMetadata_Artifact: WireNode { typealias Node = Artifact }
extension MlMetadata_Execution: WireNode { typealias Node = Execution }
extension MlMetadata_Context: WireNode { typealias Node = Context }

extension Artifact: WireKind {
    init(typeID: TypeID, kindFieldsOf a: MlMetadata_Artifact) throws(MetadataError) {
        var state: ArtifactState?
        if a.hasState {
            guard let s = ArtifactState(rawValue: a.state.rawValue) else { throw .invalidArgument("unknown artifact state \(a.state.rawValue)") }
            state = s
        }
        self.init(typeID: typeID, name: a.hasName ? a.name : nil, uri: a.hasUri ? a.uri : nil, state: state)
    }

    func setKindFields(of w: inout MlMetadata_Artifact) {
        if let name { w.name = name }
        if let uri { w.uri = uri }
        if let state, let s = MlMetadata_Artifact.State(rawValue: state.rawValue) { w.state = s }
    }
}

extension Execution: WireKind {
    init(typeID: TypeID, kindFieldsOf x: MlMetadata_Execution) throws(MetadataError) {
        var state: ExecutionState?
        if x.hasLastKnownState {
            guard let s = ExecutionState(rawValue: x.lastKnownState.rawValue) else {
                throw .invalidArgument("unknown execution state \(x.lastKnownState.rawValue)")
            }
            state = s
        }
        self.init(typeID: typeID, name: x.hasName ? x.name : nil, lastKnownState: state)
    }

    func setKindFields(of w: inout MlMetadata_Execution) {
        if let name { w.name = name }
        if let lastKnownState, let s = MlMetadata_Execution.State(rawValue: lastKnownState.rawValue) { w.lastKnownState = s }
    }
}

extension Context: WireKind {
    init(typeID: TypeID, kindFieldsOf c: MlMetadata_Context) {
        self.init(typeID: typeID, name: c.name)
    }

    func setKindFields(of w: inout MlMetadata_Context) {
        w.name = name
    }
}

extension Artifact {
    /// An artifact from its wire message (for clients of the server).
    package static func fromWire(_ w: MlMetadata_Artifact) throws(MetadataError) -> Artifact { try Artifact(wire: w) }
}

extension Execution {
    /// An execution from its wire message (for clients of the server).
    package static func fromWire(_ w: MlMetadata_Execution) throws(MetadataError) -> Execution { try Execution(wire: w) }
}
