internal import Foundation
package import Pedigree
package import PedigreeWire
internal import SwiftProtobuf

// Conversions between ml-metadata's wire messages and Pedigree's model. Reads fill what MLMD's
// reads fill (including the node's `type` name); writes take what MLMD's writes take. The node and
// event readers are `package`: `pedigree query --server` reads the server's answers with them.

// MARK: Values

extension Value {
    init(wire v: MlMetadata_Value) throws(MetadataError) {
        switch v.value {
        case .intValue(let x): self = .int(x)
        case .doubleValue(let x): self = .double(x)
        case .stringValue(let x): self = .string(x)
        case .boolValue(let x): self = .bool(x)
        case .structValue(let s): self = .struct(s.fields.mapValues(StructValue.init(wire:)))
        case .protoValue(let a): self = .proto(AnyProto(typeURL: a.typeURL, value: [UInt8](a.value)))
        case nil: throw .invalidArgument("a property value must have one of its fields set")
        }
    }

    var wire: MlMetadata_Value {
        var v = MlMetadata_Value()
        switch self {
        case .int(let x): v.intValue = x
        case .double(let x): v.doubleValue = x
        case .string(let x): v.stringValue = x
        case .bool(let x): v.boolValue = x
        case .struct(let fields): v.structValue = Google_Protobuf_Struct(fields: fields.mapValues(\.wire))
        case .proto(let a):
            var any = Google_Protobuf_Any()
            any.typeURL = a.typeURL
            any.value = Data(a.value)
            v.protoValue = any
        }
        return v
    }
}

extension StructValue {
    init(wire v: Google_Protobuf_Value) {
        switch v.kind {
        case .numberValue(let x): self = .number(x)
        case .stringValue(let x): self = .string(x)
        case .boolValue(let x): self = .bool(x)
        case .structValue(let s): self = .object(s.fields.mapValues(StructValue.init(wire:)))
        case .listValue(let l): self = .list(l.values.map(StructValue.init(wire:)))
        case .nullValue, nil: self = .null
        }
    }

    var wire: Google_Protobuf_Value {
        var v = Google_Protobuf_Value()
        switch self {
        case .null: v.nullValue = .nullValue
        case .number(let x): v.numberValue = x
        case .string(let x): v.stringValue = x
        case .bool(let x): v.boolValue = x
        case .object(let fields): v.structValue = Google_Protobuf_Struct(fields: fields.mapValues(\.wire))
        case .list(let values): v.listValue = Google_Protobuf_ListValue(values: values.map(\.wire))
        }
        return v
    }
}

func wireProperties(_ wire: [String: MlMetadata_Value]) throws(MetadataError) -> Properties {
    var out: Properties = [:]
    out.reserveCapacity(wire.count)
    for (key, value) in wire {
        // ml-metadata's words for a Value message with none of its fields set.
        guard value.value != nil else { throw .invalidArgument("Found unmatched property type: \(key)") }
        out[key] = try Value(wire: value)
    }
    return out
}

extension Dictionary where Key == String, Value == PedigreeModel.Value {
    var wire: [String: MlMetadata_Value] { mapValues(\.wire) }
}

// MARK: Types

/// The fields the three wire type messages share.
protocol WireType {
    var id: Int64 { get set }
    var hasID: Bool { get }
    var name: String { get set }
    var hasName: Bool { get }
    var version: String { get set }
    var hasVersion: Bool { get }
    var description_p: String { get set }
    var hasDescription_p: Bool { get }
    var externalID: String { get set }
    var hasExternalID: Bool { get }
    var properties: [String: MlMetadata_PropertyType] { get set }
    /// The base type's enum number; nil when the field is absent.
    var baseTypeNumber: Int? { get set }
    static var kind: NodeKind { get }
    init()
}

extension MlMetadata_ArtifactType: WireType {
    static var kind: NodeKind { .artifact }
    var baseTypeNumber: Int? {
        get { hasBaseType ? baseType.rawValue : nil }
        set { if let n = newValue, let b = BaseType_(rawValue: n) { baseType = b } else { clearBaseType() } }
    }
    typealias BaseType_ = MlMetadata_ArtifactType.SystemDefinedBaseType
}

extension MlMetadata_ExecutionType: WireType {
    static var kind: NodeKind { .execution }
    var baseTypeNumber: Int? {
        get { hasBaseType ? baseType.rawValue : nil }
        set { if let n = newValue, let b = BaseType_(rawValue: n) { baseType = b } else { clearBaseType() } }
    }
    typealias BaseType_ = MlMetadata_ExecutionType.SystemDefinedBaseType
}

extension MlMetadata_ContextType: WireType {
    static var kind: NodeKind { .context }
    var baseTypeNumber: Int? {
        get { hasBaseType ? baseType.rawValue : nil }
        set { if let n = newValue, let b = BaseType_(rawValue: n) { baseType = b } else { clearBaseType() } }
    }
    typealias BaseType_ = MlMetadata_ContextType.SystemDefinedBaseType
}

extension NodeType {
    /// A type from a put request. MLMD refuses to unset a base type, and has none for contexts.
    init<W: WireType>(wire t: W) throws(MetadataError) {
        var base: BaseType?
        if let number = t.baseTypeNumber {
            if number == 0 {
                throw MetadataError(.unimplemented, "base_type deletion is not supported yet")
            }
            guard let b = BaseType(kind: W.kind, protoNumber: number) else {
                throw .invalidArgument("unknown base_type \(number) for a \(W.kind) type")
            }
            base = b
        }
        var properties: [String: PropertyType] = [:]
        for (name, type) in t.properties {
            guard let p = PropertyType(rawValue: type.rawValue) else {
                throw .invalidArgument("unknown property type \(type.rawValue) of property \(name)")
            }
            properties[name] = p
        }
        self.init(
            id: t.hasID ? TypeID(t.id) : nil, kind: W.kind, name: t.name,
            version: t.hasVersion ? t.version : nil, description: t.hasDescription_p ? t.description_p : nil,
            externalID: t.hasExternalID ? t.externalID : nil, baseType: base, properties: properties)
    }

    func wire<W: WireType>(as: W.Type = W.self) -> W {
        var w = W()
        if let id { w.id = id.rawValue }
        w.name = name
        if let version { w.version = version }
        if let description { w.description_p = description }
        if let externalID { w.externalID = externalID }
        w.properties = properties.mapValues { MlMetadata_PropertyType(rawValue: $0.rawValue) ?? .unknown }
        w.baseTypeNumber = baseType?.protoNumber
        return w
    }
}

extension NodeType {
    /// An execution type, with its `input_type` and `output_type` kept as MLMD stores them (JSON).
    init(executionType t: MlMetadata_ExecutionType) throws(MetadataError) {
        try self.init(wire: t)
        do {
            if t.hasInputType { inputType = try t.inputType.jsonString() }
            if t.hasOutputType { outputType = try t.outputType.jsonString() }
        } catch {
            throw .invalidArgument("input_type or output_type cannot be encoded: \(error)")
        }
    }

    var wireExecutionType: MlMetadata_ExecutionType {
        var w: MlMetadata_ExecutionType = wire()
        if let inputType, let parsed = try? MlMetadata_ArtifactStructType(jsonString: inputType) { w.inputType = parsed }
        if let outputType, let parsed = try? MlMetadata_ArtifactStructType(jsonString: outputType) { w.outputType = parsed }
        return w
    }
}

// MARK: Nodes

/// The fields the three wire node messages share.
protocol WireNode {
    init()
    var id: Int64 { get set }
    var typeID: Int64 { get set }
    var type: String { get set }
    var externalID: String { get set }
    var properties: [String: MlMetadata_Value] { get set }
    var customProperties: [String: MlMetadata_Value] { get set }
    var createTimeSinceEpoch: Int64 { get set }
    var lastUpdateTimeSinceEpoch: Int64 { get set }
}

extension MlMetadata_Artifact: WireNode {}
extension MlMetadata_Execution: WireNode {}
extension MlMetadata_Context: WireNode {}

extension MetadataNode {
    /// A wire message with the fields every node has, the type's name included (as MLMD's
    /// reads fill it in).
    func commonWire<W: WireNode>(in g: GraphSnapshot) -> W {
        var w = W()
        if let id { w.id = id.rawValue }
        w.typeID = typeID.rawValue
        if let type = g.type(typeID) { w.type = type.name }
        if let externalID { w.externalID = externalID }
        w.properties = properties.wire
        w.customProperties = customProperties.wire
        if let createTime { w.createTimeSinceEpoch = createTime }
        if let updateTime { w.lastUpdateTimeSinceEpoch = updateTime }
        return w
    }
}

extension Artifact {
    package init(wire a: MlMetadata_Artifact) throws(MetadataError) {
        var state: ArtifactState?
        if a.hasState {
            guard let s = ArtifactState(rawValue: a.state.rawValue) else { throw .invalidArgument("unknown artifact state \(a.state.rawValue)") }
            state = s
        }
        self.init(
            id: a.hasID ? ArtifactID(a.id) : nil, typeID: TypeID(a.typeID), name: a.hasName ? a.name : nil,
            uri: a.hasUri ? a.uri : nil, state: state, externalID: a.hasExternalID ? a.externalID : nil,
            properties: try wireProperties(a.properties), customProperties: try wireProperties(a.customProperties),
            createTime: a.hasCreateTimeSinceEpoch ? a.createTimeSinceEpoch : nil,
            updateTime: a.hasLastUpdateTimeSinceEpoch ? a.lastUpdateTimeSinceEpoch : nil)
    }

    func wire(in g: GraphSnapshot) -> MlMetadata_Artifact {
        var w: MlMetadata_Artifact = commonWire(in: g)
        if let name { w.name = name }
        if let uri { w.uri = uri }
        if let state, let s = MlMetadata_Artifact.State(rawValue: state.rawValue) { w.state = s }
        return w
    }
}

extension Execution {
    package init(wire x: MlMetadata_Execution) throws(MetadataError) {
        var state: ExecutionState?
        if x.hasLastKnownState {
            guard let s = ExecutionState(rawValue: x.lastKnownState.rawValue) else {
                throw .invalidArgument("unknown execution state \(x.lastKnownState.rawValue)")
            }
            state = s
        }
        self.init(
            id: x.hasID ? ExecutionID(x.id) : nil, typeID: TypeID(x.typeID), name: x.hasName ? x.name : nil,
            lastKnownState: state, externalID: x.hasExternalID ? x.externalID : nil,
            properties: try wireProperties(x.properties), customProperties: try wireProperties(x.customProperties),
            createTime: x.hasCreateTimeSinceEpoch ? x.createTimeSinceEpoch : nil,
            updateTime: x.hasLastUpdateTimeSinceEpoch ? x.lastUpdateTimeSinceEpoch : nil)
    }

    func wire(in g: GraphSnapshot) -> MlMetadata_Execution {
        var w: MlMetadata_Execution = commonWire(in: g)
        if let name { w.name = name }
        if let lastKnownState, let s = MlMetadata_Execution.State(rawValue: lastKnownState.rawValue) { w.lastKnownState = s }
        return w
    }
}

extension Context {
    package init(wire c: MlMetadata_Context) throws(MetadataError) {
        self.init(
            id: c.hasID ? ContextID(c.id) : nil, typeID: TypeID(c.typeID), name: c.name,
            externalID: c.hasExternalID ? c.externalID : nil,
            properties: try wireProperties(c.properties), customProperties: try wireProperties(c.customProperties),
            createTime: c.hasCreateTimeSinceEpoch ? c.createTimeSinceEpoch : nil,
            updateTime: c.hasLastUpdateTimeSinceEpoch ? c.lastUpdateTimeSinceEpoch : nil)
    }

    func wire(in g: GraphSnapshot) -> MlMetadata_Context {
        var w: MlMetadata_Context = commonWire(in: g)
        w.name = name
        return w
    }
}

// MARK: Edges

extension MlMetadata_Attribution {
    /// The attribution of the artifact at dense index `artifact` to the context at `context`.
    init(context: Int32, artifact: Int32, in g: GraphSnapshot) {
        self.init()
        contextID = g.contexts[Int(context)].id!.rawValue
        artifactID = g.artifactIDs[Int(artifact)]
    }
}

extension MlMetadata_Association {
    /// The association of the execution at dense index `execution` with the context at `context`.
    init(context: Int32, execution: Int32, in g: GraphSnapshot) {
        self.init()
        contextID = g.contexts[Int(context)].id!.rawValue
        executionID = g.executionIDs[Int(execution)]
    }
}

extension Event {
    package init(wire e: MlMetadata_Event) throws(MetadataError) {
        guard let type = EventType(rawValue: e.type.rawValue) else { throw .invalidArgument("unknown event type \(e.type.rawValue)") }
        var path: [EventStep] = []
        for step in e.path.steps {
            switch step.value {
            case .index(let i): path.append(.index(i))
            case .key(let k): path.append(.key(k))
            case nil: throw .invalidArgument("an event path step must have an index or a key")
            }
        }
        self.init(
            artifactID: e.hasArtifactID ? ArtifactID(e.artifactID) : nil,
            executionID: e.hasExecutionID ? ExecutionID(e.executionID) : nil,
            type: e.hasType ? type : .unknown, path: path,
            time: e.hasMillisecondsSinceEpoch ? e.millisecondsSinceEpoch : nil)
    }

    var wire: MlMetadata_Event {
        var w = MlMetadata_Event()
        if let artifactID { w.artifactID = artifactID.rawValue }
        if let executionID { w.executionID = executionID.rawValue }
        w.type = MlMetadata_Event.TypeEnum(rawValue: type.rawValue) ?? .unknown
        if !path.isEmpty {
            w.path.steps = path.map { step in
                var s = MlMetadata_Event.Path.Step()
                switch step {
                case .index(let i): s.index = i
                case .key(let k): s.key = k
                }
                return s
            }
        }
        if let time { w.millisecondsSinceEpoch = time }
        return w
    }
}
