/// The kind of value a type declares for a property (MLMD's `PropertyType`; raw values are the
/// numbers stored in `TypeProperty.data_type`).
public enum PropertyType: Int, Sendable, NamedCases {
    case unknown = 0, int = 1, double = 2, string = 3, `struct` = 4, proto = 5, boolean = 6

    public var description: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .int: "INT"
        case .double: "DOUBLE"
        case .string: "STRING"
        case .struct: "STRUCT"
        case .proto: "PROTO"
        case .boolean: "BOOLEAN"
        }
    }
}

/// A `google.protobuf.Struct` value tree (MLMD's `struct_value`).
public indirect enum StructValue: Hashable, Sendable {
    case null
    case number(Double)
    case string(String)
    case bool(Bool)
    case object([String: StructValue])
    case list([StructValue])
}

/// A `google.protobuf.Any` (MLMD's `proto_value`).
public struct AnyProto: Hashable, Sendable {
    public var typeURL: String
    public var value: [UInt8]
    public init(typeURL: String, value: [UInt8]) {
        self.typeURL = typeURL
        self.value = value
    }
}

/// A property value: MLMD's `Value` message.
public enum Value: Hashable, Sendable {
    case int(Int64)
    case double(Double)
    case string(String)
    case bool(Bool)
    case `struct`([String: StructValue])
    case proto(AnyProto)

    /// The property type this value satisfies.
    public var propertyType: PropertyType {
        switch self {
        case .int: .int
        case .double: .double
        case .string: .string
        case .bool: .boolean
        case .struct: .struct
        case .proto: .proto
        }
    }

    /// Equality that treats two NaNs as the same stored value (a store round trip must keep NaN).
    public func isIdentical(to other: Value) -> Bool {
        if case .double(let a) = self, case .double(let b) = other, a.isNaN, b.isNaN { return true }
        return self == other
    }
}

public typealias Properties = [String: Value]

extension Dictionary where Key == String, Value == PedigreeModel.Value {
    /// Dictionary equality with NaN-tolerant values.
    package func isIdentical(to other: Self) -> Bool {
        guard count == other.count else { return false }
        for (key, value) in self {
            guard let theirs = other[key], value.isIdentical(to: theirs) else { return false }
        }
        return true
    }
}
