internal import Foundation
internal import Pedigree
internal import PedigreeModel
internal import PedigreeWire
internal import SwiftProtobuf
@_spi(Engine) internal import PedigreeGraph

// Conversions between ml-metadata's wire messages and Pedigree's model. Reads fill what MLMD's
// reads fill (including the node's `type` name); writes take what MLMD's writes take.

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

/// The three wire type messages (ArtifactType, ExecutionType, ContextType): the fields they share
/// and the conversions to and from `NodeType`, written once.
protocol WireType: SwiftProtobuf.Message {
    associatedtype BaseTypeEnum: SwiftProtobuf.Enum
    static var kind: NodeKind { get }
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
    var baseType: BaseTypeEnum { get set }
    var hasBaseType: Bool { get }
    mutating func clearBaseType()
    /// The type that a put request names. MLMD refuses to unset a base type, and has none for
    /// contexts.
    func nodeType() throws(MetadataError) -> NodeType
    /// The message that MLMD's reads return for a type.
    init(_ type: NodeType)
}

extension MlMetadata_ArtifactType: WireType {
    static var kind: NodeKind { .artifact }
}

extension MlMetadata_ContextType: WireType {
    static var kind: NodeKind { .context }
}

extension WireType {
    /// The base type's enum number; nil when the field is absent.
    var baseTypeNumber: Int? {
        get { hasBaseType ? baseType.rawValue : nil }
        set { if let n = newValue, let b = BaseTypeEnum(rawValue: n) { baseType = b } else { clearBaseType() } }
    }

    func nodeType() throws(MetadataError) -> NodeType { try commonNodeType() }

    init(_ type: NodeType) { self.init(common: type) }

    /// The fields every kind of type has.
    fileprivate func commonNodeType() throws(MetadataError) -> NodeType {
        var base: BaseType?
        if let number = baseTypeNumber {
            if number == 0 {
                throw MetadataError(.unimplemented, "base_type deletion is not supported yet")
            }
            guard let b = BaseType(kind: Self.kind, protoNumber: number) else {
                throw .invalidArgument("unknown base_type \(number) for a \(Self.kind) type")
            }
            base = b
        }
        var properties: [String: PropertyType] = [:]
        for (name, type) in self.properties {
            guard let p = PropertyType(rawValue: type.rawValue) else {
                throw .invalidArgument("unknown property type \(type.rawValue) of property \(name)")
            }
            properties[name] = p
        }
        return NodeType(
            id: hasID ? TypeID(id) : nil, kind: Self.kind, name: name,
            version: hasVersion ? version : nil, description: hasDescription_p ? description_p : nil,
            externalID: hasExternalID ? externalID : nil, baseType: base, properties: properties)
    }

    fileprivate init(common t: NodeType) {
        self.init()
        if let id = t.id { self.id = id.rawValue }
        name = t.name
        if let version = t.version { self.version = version }
        if let description = t.description { description_p = description }
        if let externalID = t.externalID { self.externalID = externalID }
        properties = t.properties.mapValues { MlMetadata_PropertyType(rawValue: $0.rawValue) ?? .unknown }
        baseTypeNumber = t.baseType?.protoNumber
    }
}

/// An execution type also has its `input_type` and `output_type`, kept as MLMD stores them (JSON).
extension MlMetadata_ExecutionType: WireType {
    static var kind: NodeKind { .execution }

    func nodeType() throws(MetadataError) -> NodeType {
        var type = try commonNodeType()
        do {
            if hasInputType { type.inputType = try inputType.jsonString() }
            if hasOutputType { type.outputType = try outputType.jsonString() }
        } catch {
            throw .invalidArgument("input_type or output_type cannot be encoded: \(error)")
        }
        return type
    }

    init(_ type: NodeType) {
        self.init(common: type)
        if let json = type.inputType, let parsed = try? MlMetadata_ArtifactStructType(jsonString: json) { inputType = parsed }
        if let json = type.outputType, let parsed = try? MlMetadata_ArtifactStructType(jsonString: json) { outputType = parsed }
    }
}

// MARK: Edges

extension MlMetadata_Attribution {
    /// The attribution of the artifact at dense index `artifact` to the context at `context`.
    init(context: Int32, artifact: Int32, in g: GraphSnapshot) {
        self.init()
        contextID = g.id(of: NodeRef(.context, context))
        artifactID = g.artifactIDs[Int(artifact)]
    }
}

extension MlMetadata_Association {
    /// The association of the execution at dense index `execution` with the context at `context`.
    init(context: Int32, execution: Int32, in g: GraphSnapshot) {
        self.init()
        contextID = g.id(of: NodeRef(.context, context))
        executionID = g.executionIDs[Int(execution)]
    }
}

extension Event {
    init(wire e: MlMetadata_Event) throws(MetadataError) {
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
