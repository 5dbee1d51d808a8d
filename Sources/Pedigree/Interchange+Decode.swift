internal import Foundation

// The general reader of interchange lines: any JSON object, with errors that name the record and
// the key.
extension Interchange {
    static func decode(_ text: [UInt8]) throws -> Record {
        if let record = decodeFlat(text) { return record }
        let j: JSON
        do { j = try JSON.parse(text) } catch { throw DecodeError(description: error.description) }
        guard case .object = j, let record = j["record"]?.string else {
            throw DecodeError(description: "a line must be a JSON object with a \"record\" key")
        }
        let f = Fields(j: j, record: record)
        switch record {
        case "header":
            guard j["format"]?.string == "pedigree-jsonl", j["version"]?.int64 == 1 else {
                throw DecodeError(description: "unsupported header: expected format pedigree-jsonl version 1")
            }
            return .header
        case "type":
            let kind = try f.req("kind") { $0.string.flatMap(NodeKind.init(name:)) }
            var properties: [String: PropertyType] = [:]
            if case .object(let o)? = j["properties"] {
                for (name, raw) in o {
                    guard let t = raw.string.flatMap(PropertyType.init(name:)) else {
                        throw DecodeError(description: "type record: property \(name) has an unknown type")
                    }
                    properties[name] = t
                }
            }
            let base: BaseType? = try f.enumValue("base_type") { BaseType(rawValue: $0) }
            return .type(
                NodeType(
                    id: TypeID(try f.req("id", \.int64)), kind: kind, name: try f.req("name", \.string),
                    version: try f.opt("version", \.string), description: try f.opt("description", \.string),
                    externalID: try f.opt("external_id", \.string), baseType: base, properties: properties,
                    inputType: try f.opt("input_type", \.string), outputType: try f.opt("output_type", \.string)))
        case "artifact": return try node(Artifact.self, f).interchangeRecord
        case "execution": return try node(Execution.self, f).interchangeRecord
        case "context": return try node(Context.self, f).interchangeRecord
        case "event":
            var path: [EventStep] = []
            if let raw = j["path"] {
                guard case .array(let steps) = raw else { throw DecodeError(description: "event record: \"path\" must be an array") }
                for step in steps {
                    if let i = step["index"]?.int64 {
                        path.append(.index(i))
                    } else if let k = step["key"]?.string {
                        path.append(.key(k))
                    } else {
                        throw DecodeError(description: "event record: a path step must be {\"index\": N} or {\"key\": S}")
                    }
                }
            }
            let type = try f.req("type") { $0.string.flatMap(EventType.init(name:)) }
            return .event(
                try f.opt("id", \.int64),
                Event(
                    artifactID: ArtifactID(try f.req("artifact_id", \.int64)),
                    executionID: ExecutionID(try f.req("execution_id", \.int64)), type: type, path: path,
                    time: try f.opt("milliseconds_since_epoch", \.int64)))
        case "attribution":
            return .attribution(
                try f.opt("id", \.int64),
                Attribution(contextID: ContextID(try f.req("context_id", \.int64)), artifactID: ArtifactID(try f.req("artifact_id", \.int64))))
        case "association":
            return .association(
                try f.opt("id", \.int64),
                Association(contextID: ContextID(try f.req("context_id", \.int64)), executionID: ExecutionID(try f.req("execution_id", \.int64))))
        case "parent_context":
            return .parentContext(
                ParentContext(childID: ContextID(try f.req("child_id", \.int64)), parentID: ContextID(try f.req("parent_id", \.int64))))
        default:
            throw DecodeError(description: "unknown record kind \"\(record)\"")
        }
    }

    /// A node record: the fields every node has, with its kind's own read after `type_id` (so that
    /// a line with several bad fields is reported by the first of them, in the written order).
    private static func node<N: InterchangeNode>(_: N.Type, _ f: Fields) throws -> N {
        let id = N.ID(try f.req("id", \.int64))
        var n = try N(typeID: TypeID(try f.req("type_id", \.int64)), kindFieldsOf: f)
        n.id = id
        n.externalID = try f.opt("external_id", \.string)
        n.properties = try f.props("properties")
        n.customProperties = try f.props("custom_properties")
        n.createTime = try f.opt("create_time_since_epoch", \.int64)
        n.updateTime = try f.opt("last_update_time_since_epoch", \.int64)
        return n
    }

    /// The keys of one record, read with errors that name the record and the key.
    struct Fields {
        let j: JSON
        let record: String

        func req<T>(_ key: String, _ get: (JSON) -> T?) throws -> T {
            guard let v = j[key], let t = get(v) else { throw DecodeError(description: "\(record) record: missing or invalid \"\(key)\"") }
            return t
        }

        func opt<T>(_ key: String, _ get: (JSON) -> T?) throws -> T? {
            guard let v = j[key] else { return nil }
            guard let t = get(v) else { throw DecodeError(description: "\(record) record: invalid \"\(key)\"") }
            return t
        }

        func enumValue<T>(_ key: String, _ make: (String) -> T?) throws -> T? {
            guard let name = try opt(key, \.string) else { return nil }
            guard let v = make(name) else { throw DecodeError(description: "\(record) record: unknown \(key) \(name)") }
            return v
        }

        func props(_ key: String) throws -> Properties {
            guard let v = j[key] else { return [:] }
            guard case .object(let o) = v else { throw DecodeError(description: "\(record) record: \"\(key)\" must be an object") }
            var out: Properties = [:]
            for (name, raw) in o {
                guard let value = try Interchange.decodeValue(raw) else {
                    throw DecodeError(description: "\(record) record: property \(name) has an invalid value")
                }
                out[name] = value
            }
            return out
        }
    }

    private static func decodeValue(_ j: JSON) throws -> Value? {
        guard case .object(let o) = j, o.count == 1, let (key, v) = o.first else { return nil }
        switch key {
        case "int": return v.int64.map(Value.int)
        case "double": return v.double.map(Value.double)
        case "string": return v.string.map(Value.string)
        case "bool": if case .bool(let b) = v { return .bool(b) } else { return nil }
        case "struct":
            guard case .object(let fields) = v else { return nil }
            return .struct(try fields.mapValues(structValue))
        case "proto":
            guard let url = v["type_url"]?.string, let b64 = v["value"]?.string, let data = Data(base64Encoded: b64) else { return nil }
            return .proto(AnyProto(typeURL: url, value: [UInt8](data)))
        default: return nil
        }
    }

    private static func structValue(_ j: JSON) throws -> StructValue {
        switch j {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let n): return .number(Double(n)!)
        case .string(let s): return .string(s)
        case .array(let a): return .list(try a.map(structValue))
        case .object(let o): return .object(try o.mapValues(structValue))
        }
    }
}
