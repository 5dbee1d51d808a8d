package import PedigreeModel

/// Just enough of the protobuf wire format for the two messages MLMD stores inside property
/// columns: `google.protobuf.Struct` (struct values) and `google.protobuf.Any` (proto values).
package enum ProtoWire {
    package struct DecodeError: Error {}

    // MARK: Encoding

    private static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    private static func appendTag(_ field: UInt64, _ wireType: UInt64, to out: inout [UInt8]) {
        appendVarint(field << 3 | wireType, to: &out)
    }

    private static func appendBytes(_ field: UInt64, _ bytes: [UInt8], to out: inout [UInt8]) {
        appendTag(field, 2, to: &out)
        appendVarint(UInt64(bytes.count), to: &out)
        out.append(contentsOf: bytes)
    }

    package static func encodeStruct(_ fields: [String: StructValue]) -> [UInt8] {
        var out: [UInt8] = []
        for key in fields.keys.sorted() {
            var entry: [UInt8] = []
            appendBytes(1, Array(key.utf8), to: &entry)
            appendBytes(2, encodeValue(fields[key]!), to: &entry)
            appendBytes(1, entry, to: &out)
        }
        return out
    }

    private static func encodeValue(_ value: StructValue) -> [UInt8] {
        var out: [UInt8] = []
        switch value {
        case .null:
            appendTag(1, 0, to: &out)
            appendVarint(0, to: &out)
        case .number(let d):
            appendTag(2, 1, to: &out)
            withUnsafeBytes(of: d.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        case .string(let s):
            appendBytes(3, Array(s.utf8), to: &out)
        case .bool(let b):
            appendTag(4, 0, to: &out)
            appendVarint(b ? 1 : 0, to: &out)
        case .object(let fields):
            appendBytes(5, encodeStruct(fields), to: &out)
        case .list(let values):
            var list: [UInt8] = []
            for element in values { appendBytes(1, encodeValue(element), to: &list) }
            appendBytes(6, list, to: &out)
        }
        return out
    }

    package static func encodeAny(_ any: AnyProto) -> [UInt8] {
        var out: [UInt8] = []
        if !any.typeURL.isEmpty { appendBytes(1, Array(any.typeURL.utf8), to: &out) }
        if !any.value.isEmpty { appendBytes(2, any.value, to: &out) }
        return out
    }

    // MARK: Decoding

    private struct Reader {
        let bytes: ArraySlice<UInt8>
        var position: Int

        init(_ bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            position = bytes.startIndex
        }

        var atEnd: Bool { position >= bytes.endIndex }

        mutating func varint() throws(DecodeError) -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard position < bytes.endIndex, shift < 64 else { throw DecodeError() }
                let byte = bytes[position]
                position += 1
                result |= UInt64(byte & 0x7f) << shift
                if byte < 0x80 { return result }
                shift += 7
            }
        }

        mutating func fixed64() throws(DecodeError) -> UInt64 {
            guard bytes.endIndex - position >= 8 else { throw DecodeError() }
            var result: UInt64 = 0
            for i in 0..<8 { result |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
            position += 8
            return result
        }

        mutating func lengthDelimited() throws(DecodeError) -> ArraySlice<UInt8> {
            let length = try varint()
            guard length <= UInt64(bytes.endIndex - position) else { throw DecodeError() }
            let slice = bytes[position..<position + Int(length)]
            position += Int(length)
            return slice
        }

        /// Reads a tag; returns (field, wire type).
        mutating func tag() throws(DecodeError) -> (UInt64, UInt64) {
            let tag = try varint()
            guard tag >> 3 != 0 else { throw DecodeError() }
            return (tag >> 3, tag & 7)
        }

        mutating func skip(_ wireType: UInt64) throws(DecodeError) {
            switch wireType {
            case 0: _ = try varint()
            case 1: _ = try fixed64()
            case 2: _ = try lengthDelimited()
            case 5:
                guard bytes.endIndex - position >= 4 else { throw DecodeError() }
                position += 4
            default: throw DecodeError()
            }
        }
    }

    private static func string(_ slice: ArraySlice<UInt8>) throws(DecodeError) -> String {
        guard let s = String(validating: slice, as: UTF8.self) else { throw DecodeError() }
        return s
    }

    package static func decodeStruct(_ bytes: ArraySlice<UInt8>, depth: Int = 0) throws(DecodeError) -> [String: StructValue] {
        guard depth < 100 else { throw DecodeError() }
        var reader = Reader(bytes)
        var fields: [String: StructValue] = [:]
        while !reader.atEnd {
            let (field, wire) = try reader.tag()
            guard field == 1, wire == 2 else {
                try reader.skip(wire)
                continue
            }
            var entry = Reader(try reader.lengthDelimited())
            var key = ""
            var value = StructValue.null
            while !entry.atEnd {
                let (f, w) = try entry.tag()
                if f == 1, w == 2 {
                    key = try string(try entry.lengthDelimited())
                } else if f == 2, w == 2 {
                    value = try decodeValue(try entry.lengthDelimited(), depth: depth + 1)
                } else {
                    try entry.skip(w)
                }
            }
            fields[key] = value
        }
        return fields
    }

    private static func decodeValue(_ bytes: ArraySlice<UInt8>, depth: Int) throws(DecodeError) -> StructValue {
        guard depth < 100 else { throw DecodeError() }
        var reader = Reader(bytes)
        var value = StructValue.null
        while !reader.atEnd {
            let (field, wire) = try reader.tag()
            switch (field, wire) {
            case (1, 0): _ = try reader.varint(); value = .null
            case (2, 1): value = .number(Double(bitPattern: try reader.fixed64()))
            case (3, 2): value = .string(try string(try reader.lengthDelimited()))
            case (4, 0): value = .bool(try reader.varint() != 0)
            case (5, 2): value = .object(try decodeStruct(try reader.lengthDelimited(), depth: depth + 1))
            case (6, 2):
                var list = Reader(try reader.lengthDelimited())
                var elements: [StructValue] = []
                while !list.atEnd {
                    let (f, w) = try list.tag()
                    if f == 1, w == 2 {
                        elements.append(try decodeValue(try list.lengthDelimited(), depth: depth + 1))
                    } else {
                        try list.skip(w)
                    }
                }
                value = .list(elements)
            default: try reader.skip(wire)
            }
        }
        return value
    }

    package static func decodeAny(_ bytes: ArraySlice<UInt8>) throws(DecodeError) -> AnyProto {
        var reader = Reader(bytes)
        var any = AnyProto(typeURL: "", value: [])
        while !reader.atEnd {
            let (field, wire) = try reader.tag()
            switch (field, wire) {
            case (1, 2): any.typeURL = try string(try reader.lengthDelimited())
            case (2, 2): any.value = Array(try reader.lengthDelimited())
            default: try reader.skip(wire)
            }
        }
        return any
    }
}
