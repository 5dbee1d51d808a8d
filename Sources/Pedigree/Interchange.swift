internal import Foundation
internal import PedigreeStore

/// The JSON-lines interchange format (docs/INTERCHANGE.md): `export` writes it, `import` reads it.
public enum Interchange {
    static let header = #"{"record":"header","format":"pedigree-jsonl","version":1,"mlmd_schema_version":10}"#

    // MARK: Export

    /// Every record of the snapshot, one JSON object per line, in the documented order.
    public static func export(_ g: GraphSnapshot, to write: (String) throws -> Void) rethrows {
        try write(header)
        for t in g.types { try write(line(t)) }
        for a in g.artifacts.sorted(by: { $0.id! < $1.id! }) { try write(line(a)) }
        for e in g.executions.sorted(by: { $0.id! < $1.id! }) { try write(line(e)) }
        for c in g.contexts.sorted(by: { $0.id! < $1.id! }) { try write(line(c)) }
        let events = ((0..<g.events.count).map { (g.events.rowIDs[$0], g.event($0)) } + g.orphanEvents.map { ($0.rowID, $0.event) }).sorted { $0.0 < $1.0 }
        for (rowID, event) in events { try write(line(rowID, event)) }
        let attributions = (g.attributions.map { r in
            (r.rowID, Attribution(contextID: g.contexts[Int(r.context)].id!, artifactID: g.artifacts[Int(r.member)].id!))
        } + g.orphanAttributions.map { ($0.rowID, $0.attribution) }).sorted { $0.0 < $1.0 }
        for (rowID, a) in attributions {
            try write(JSONOut.object([("record", .string("attribution")), ("id", .int(rowID)), ("context_id", .int(a.contextID.rawValue)), ("artifact_id", .int(a.artifactID.rawValue))]).text)
        }
        let associations = (g.associations.map { r in
            (r.rowID, Association(contextID: g.contexts[Int(r.context)].id!, executionID: g.executions[Int(r.member)].id!))
        } + g.orphanAssociations.map { ($0.rowID, $0.association) }).sorted { $0.0 < $1.0 }
        for (rowID, a) in associations {
            try write(JSONOut.object([("record", .string("association")), ("id", .int(rowID)), ("context_id", .int(a.contextID.rawValue)), ("execution_id", .int(a.executionID.rawValue))]).text)
        }
        let parents = (Array(g.parentContexts) + g.orphanParentContexts).sorted { ($0.childID, $0.parentID) < ($1.childID, $1.parentID) }
        for p in parents {
            try write(JSONOut.object([("record", .string("parent_context")), ("child_id", .int(p.childID.rawValue)), ("parent_id", .int(p.parentID.rawValue))]).text)
        }
    }

    /// Builds one line from key/value pairs in order, leaving out absent values.
    private struct Line {
        var fields: [(String, JSONOut)] = []
        mutating func add(_ key: String, _ value: JSONOut?) {
            if let value { fields.append((key, value)) }
        }
        mutating func add(_ key: String, string: String?) { add(key, string.map { .string($0) }) }
        mutating func add(_ key: String, int: Int64?) { add(key, int.map { .int($0) }) }
        var text: String { JSONOut.object(fields).text }
    }

    private static func line(_ t: NodeType) -> String {
        var l = Line()
        l.add("record", string: "type")
        l.add("kind", string: t.kind.description)
        l.add("id", int: t.id?.rawValue)
        l.add("name", string: t.name)
        l.add("version", string: t.version)
        l.add("description", string: t.description)
        l.add("external_id", string: t.externalID)
        l.add("base_type", string: t.baseType?.rawValue)
        l.add("input_type", string: t.inputType)
        l.add("output_type", string: t.outputType)
        l.add("properties", .object(t.properties.keys.sorted().map { ($0, .string(t.properties[$0]!.description)) }))
        return l.text
    }

    private static func commonNode<N: MetadataNode>(_ n: N, _ l: inout Line, record: String) {
        l.add("record", string: record)
        l.add("id", int: n.id?.rawValue)
        l.add("type_id", int: n.typeID.rawValue)
    }

    private static func finishNode<N: MetadataNode>(_ n: N, _ l: inout Line) {
        l.add("external_id", string: n.externalID)
        l.add("properties", ResultEncoder.properties(n.properties))
        l.add("custom_properties", ResultEncoder.properties(n.customProperties))
        l.add("create_time_since_epoch", int: n.createTime)
        l.add("last_update_time_since_epoch", int: n.updateTime)
    }

    private static func line(_ a: Artifact) -> String {
        var l = Line()
        commonNode(a, &l, record: "artifact")
        l.add("name", string: a.name)
        l.add("uri", string: a.uri)
        l.add("state", string: a.state?.description)
        finishNode(a, &l)
        return l.text
    }

    private static func line(_ e: Execution) -> String {
        var l = Line()
        commonNode(e, &l, record: "execution")
        l.add("name", string: e.name)
        l.add("last_known_state", string: e.lastKnownState?.description)
        finishNode(e, &l)
        return l.text
    }

    private static func line(_ c: Context) -> String {
        var l = Line()
        commonNode(c, &l, record: "context")
        l.add("name", string: c.name)
        finishNode(c, &l)
        return l.text
    }

    private static func line(_ rowID: Int64, _ e: Event) -> String {
        var l = Line()
        l.add("record", string: "event")
        l.add("id", int: rowID)
        l.add("artifact_id", int: e.artifactID?.rawValue)
        l.add("execution_id", int: e.executionID?.rawValue)
        l.add("type", string: e.type.description)
        if !e.path.isEmpty {
            l.add("path", .array(e.path.map { step in
                switch step {
                case .index(let i): .object([("index", .int(i))])
                case .key(let k): .object([("key", .string(k))])
                }
            }))
        }
        l.add("milliseconds_since_epoch", int: e.time)
        return l.text
    }

    // MARK: Import

    /// An interchange record, decoded.
    enum Record {
        case header
        case type(NodeType)
        case artifact(Artifact)
        case execution(Execution)
        case context(Context)
        case event(Int64?, Event)
        case attribution(Int64?, Attribution)
        case association(Int64?, Association)
        case parentContext(ParentContext)
    }

    struct DecodeError: Error, CustomStringConvertible {
        var description: String
    }

    static func decode(_ text: [UInt8]) throws -> Record {
        if let record = decodeFlat(text) { return record }
        let j: JSON
        do { j = try JSON.parse(text) } catch { throw DecodeError(description: error.description) }
        guard case .object = j, let record = j["record"]?.string else {
            throw DecodeError(description: "a line must be a JSON object with a \"record\" key")
        }
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
                guard let value = try decodeValue(raw) else {
                    throw DecodeError(description: "\(record) record: property \(name) has an invalid value")
                }
                out[name] = value
            }
            return out
        }
        switch record {
        case "header":
            guard j["format"]?.string == "pedigree-jsonl", j["version"]?.int64 == 1 else {
                throw DecodeError(description: "unsupported header: expected format pedigree-jsonl version 1")
            }
            return .header
        case "type":
            let kind = try req("kind") { $0.string.flatMap(NodeKind.init(name:)) }
            var properties: [String: PropertyType] = [:]
            if case .object(let o)? = j["properties"] {
                for (name, raw) in o {
                    guard let t = raw.string.flatMap(PropertyType.init(name:)) else {
                        throw DecodeError(description: "type record: property \(name) has an unknown type")
                    }
                    properties[name] = t
                }
            }
            let base: BaseType? = try enumValue("base_type") { BaseType(rawValue: $0) }
            return .type(
                NodeType(
                    id: TypeID(try req("id", \.int64)), kind: kind, name: try req("name", \.string),
                    version: try opt("version", \.string), description: try opt("description", \.string),
                    externalID: try opt("external_id", \.string), baseType: base, properties: properties,
                    inputType: try opt("input_type", \.string), outputType: try opt("output_type", \.string)))
        case "artifact":
            return .artifact(
                Artifact(
                    id: ArtifactID(try req("id", \.int64)), typeID: TypeID(try req("type_id", \.int64)),
                    name: try opt("name", \.string), uri: try opt("uri", \.string),
                    state: try enumValue("state", ArtifactState.init(name:)), externalID: try opt("external_id", \.string),
                    properties: try props("properties"), customProperties: try props("custom_properties"),
                    createTime: try opt("create_time_since_epoch", \.int64),
                    updateTime: try opt("last_update_time_since_epoch", \.int64)))
        case "execution":
            return .execution(
                Execution(
                    id: ExecutionID(try req("id", \.int64)), typeID: TypeID(try req("type_id", \.int64)),
                    name: try opt("name", \.string),
                    lastKnownState: try enumValue("last_known_state", ExecutionState.init(name:)),
                    externalID: try opt("external_id", \.string),
                    properties: try props("properties"), customProperties: try props("custom_properties"),
                    createTime: try opt("create_time_since_epoch", \.int64),
                    updateTime: try opt("last_update_time_since_epoch", \.int64)))
        case "context":
            return .context(
                Context(
                    id: ContextID(try req("id", \.int64)), typeID: TypeID(try req("type_id", \.int64)),
                    name: try req("name", \.string), externalID: try opt("external_id", \.string),
                    properties: try props("properties"), customProperties: try props("custom_properties"),
                    createTime: try opt("create_time_since_epoch", \.int64),
                    updateTime: try opt("last_update_time_since_epoch", \.int64)))
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
            let type = try req("type") { $0.string.flatMap(EventType.init(name:)) }
            return .event(
                try opt("id", \.int64),
                Event(
                    artifactID: ArtifactID(try req("artifact_id", \.int64)),
                    executionID: ExecutionID(try req("execution_id", \.int64)), type: type, path: path,
                    time: try opt("milliseconds_since_epoch", \.int64)))
        case "attribution":
            return .attribution(
                try opt("id", \.int64),
                Attribution(contextID: ContextID(try req("context_id", \.int64)), artifactID: ArtifactID(try req("artifact_id", \.int64))))
        case "association":
            return .association(
                try opt("id", \.int64),
                Association(contextID: ContextID(try req("context_id", \.int64)), executionID: ExecutionID(try req("execution_id", \.int64))))
        case "parent_context":
            return .parentContext(
                ParentContext(childID: ContextID(try req("child_id", \.int64)), parentID: ContextID(try req("parent_id", \.int64))))
        default:
            throw DecodeError(description: "unknown record kind \"\(record)\"")
        }
    }

    /// The records that make up most of a file (nodes without properties, events without a path,
    /// attributions, associations, parent contexts) read straight from the bytes, without building
    /// a JSON value: only for a line that is one flat object with no spaces, keys that each come
    /// once and belong to the record's kind, string values of printable ASCII without escapes,
    /// integers of plain digits, and `{}` for the properties; all required keys present. Any other
    /// line (or any doubt) gives nil, and the general decoder reads it, with its errors; for every
    /// line this accepts, the general decoder returns the same record.
    private static func decodeFlat(_ text: [UInt8]) -> Record? {
        text.withUnsafeBufferPointer { b -> Record? in
            let n = b.count
            guard n > 2, b[0] == UInt8(ascii: "{"), b[n - 1] == UInt8(ascii: "}") else { return nil }
            var f = FlatFields()
            var i = 1
            /// A quoted string of printable ASCII without escapes at i: its range, i moved past it.
            func quoted() -> Range<Int>? {
                guard i < n, b[i] == UInt8(ascii: "\"") else { return nil }
                let start = i + 1
                var j = start
                while j < n, b[j] >= 0x20, b[j] < 0x7f, b[j] != UInt8(ascii: "\""), b[j] != UInt8(ascii: "\\") { j += 1 }
                guard j < n, b[j] == UInt8(ascii: "\"") else { return nil }
                i = j + 1
                return start..<j
            }
            while true {
                guard let keyRange = quoted(), i < n, b[i] == UInt8(ascii: ":"),
                    let key = FlatKey.allCases.first(where: { $0.utf8.elementsEqual(b[keyRange]) }),
                    f.seen & key.bit == 0
                else { return nil }
                f.seen |= key.bit
                i += 1
                switch key.value {
                case .string:
                    guard let r = quoted() else { return nil }
                    f.set(key, String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self))
                case .emptyObject:
                    guard i + 1 < n, b[i] == UInt8(ascii: "{"), b[i + 1] == UInt8(ascii: "}") else { return nil }
                    i += 2
                case .integer:
                    var j = i
                    let negative = j < n && b[j] == UInt8(ascii: "-")
                    if negative { j += 1 }
                    let digits = j
                    var v: Int64 = 0
                    while j < n, b[j] >= UInt8(ascii: "0"), b[j] <= UInt8(ascii: "9") {
                        let d = Int64(b[j] - UInt8(ascii: "0"))
                        let (m, o1) = v.multipliedReportingOverflow(by: 10)
                        let (a, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
                        guard !o1, !o2 else { return nil }
                        v = a
                        j += 1
                    }
                    guard j > digits else { return nil }
                    f.set(key, v)
                    i = j
                }
                guard i < n else { return nil }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                guard b[i] == UInt8(ascii: "}"), i == n - 1 else { return nil }
                break
            }
            return f.decoded()
        }
    }

    private enum FlatValue { case string, integer, emptyObject }

    /// The keys of the records that `decodeFlat` reads, with the kind of value each takes.
    private enum FlatKey: Int, CaseIterable {
        // strings
        case record, type, name, uri, state, lastKnownState, externalID
        // integers
        case id, typeID, artifactID, executionID, contextID, childID, parentID, time, createTime, updateTime
        // `{}`
        case properties, customProperties

        var utf8: String.UTF8View {
            switch self {
            case .record: "record".utf8
            case .type: "type".utf8
            case .name: "name".utf8
            case .uri: "uri".utf8
            case .state: "state".utf8
            case .lastKnownState: "last_known_state".utf8
            case .externalID: "external_id".utf8
            case .id: "id".utf8
            case .typeID: "type_id".utf8
            case .artifactID: "artifact_id".utf8
            case .executionID: "execution_id".utf8
            case .contextID: "context_id".utf8
            case .childID: "child_id".utf8
            case .parentID: "parent_id".utf8
            case .time: "milliseconds_since_epoch".utf8
            case .createTime: "create_time_since_epoch".utf8
            case .updateTime: "last_update_time_since_epoch".utf8
            case .properties: "properties".utf8
            case .customProperties: "custom_properties".utf8
            }
        }

        var value: FlatValue {
            switch self {
            case .record, .type, .name, .uri, .state, .lastKnownState, .externalID: .string
            case .properties, .customProperties: .emptyObject
            default: .integer
            }
        }

        var bit: UInt32 { 1 << UInt32(rawValue) }
    }

    /// What `decodeFlat` read from one line.
    private struct FlatFields {
        var seen: UInt32 = 0  // the keys present, by `FlatKey.bit`
        // One field per key (no array per line).
        var record, type, name, uri, state, lastKnownState, externalID: String?
        var id, typeID, artifactID, executionID, contextID, childID, parentID, time, createTime, updateTime: Int64?

        func string(_ k: FlatKey) -> String? {
            switch k {
            case .record: record
            case .type: type
            case .name: name
            case .uri: uri
            case .state: state
            case .lastKnownState: lastKnownState
            case .externalID: externalID
            default: nil
            }
        }

        mutating func set(_ k: FlatKey, _ value: String) {
            switch k {
            case .record: record = value
            case .type: type = value
            case .name: name = value
            case .uri: uri = value
            case .state: state = value
            case .lastKnownState: lastKnownState = value
            case .externalID: externalID = value
            default: break
            }
        }

        func int(_ k: FlatKey) -> Int64? {
            switch k {
            case .id: id
            case .typeID: typeID
            case .artifactID: artifactID
            case .executionID: executionID
            case .contextID: contextID
            case .childID: childID
            case .parentID: parentID
            case .time: time
            case .createTime: createTime
            case .updateTime: updateTime
            default: nil
            }
        }

        mutating func set(_ k: FlatKey, _ value: Int64) {
            switch k {
            case .id: id = value
            case .typeID: typeID = value
            case .artifactID: artifactID = value
            case .executionID: executionID = value
            case .contextID: contextID = value
            case .childID: childID = value
            case .parentID: parentID = value
            case .time: time = value
            case .createTime: createTime = value
            case .updateTime: updateTime = value
            default: break
            }
        }

        static func mask(_ keys: [FlatKey]) -> UInt32 { keys.reduce(0) { $0 | $1.bit } }
        static let node = mask([.record, .id, .typeID, .name, .externalID, .properties, .customProperties, .createTime, .updateTime])
        static let artifact = node | mask([.uri, .state])
        static let execution = node | mask([.lastKnownState])
        static let event = mask([.record, .id, .artifactID, .executionID, .type, .time])
        static let attribution = mask([.record, .id, .contextID, .artifactID])
        static let association = mask([.record, .id, .contextID, .executionID])
        static let parentContext = mask([.record, .childID, .parentID])

        /// The record, when the keys are exactly those its kind may have and the required ones are there.
        func decoded() -> Record? {
            func only(_ allowed: UInt32) -> Bool { seen & ~allowed == 0 }
            switch record {
            case "artifact":
                guard only(Self.artifact), let id = int(.id), let type = int(.typeID) else { return nil }
                var state: ArtifactState?
                if let name = string(.state) {
                    guard let s = ArtifactState(name: name) else { return nil }
                    state = s
                }
                return .artifact(
                    Artifact(
                        id: ArtifactID(id), typeID: TypeID(type), name: string(.name), uri: string(.uri), state: state,
                        externalID: string(.externalID), properties: [:], customProperties: [:],
                        createTime: int(.createTime), updateTime: int(.updateTime)))
            case "execution":
                guard only(Self.execution), let id = int(.id), let type = int(.typeID) else { return nil }
                var state: ExecutionState?
                if let name = string(.lastKnownState) {
                    guard let s = ExecutionState(name: name) else { return nil }
                    state = s
                }
                return .execution(
                    Execution(
                        id: ExecutionID(id), typeID: TypeID(type), name: string(.name), lastKnownState: state,
                        externalID: string(.externalID), properties: [:], customProperties: [:],
                        createTime: int(.createTime), updateTime: int(.updateTime)))
            case "context":
                guard only(Self.node), let id = int(.id), let type = int(.typeID), let name = string(.name) else { return nil }
                return .context(
                    Context(
                        id: ContextID(id), typeID: TypeID(type), name: name, externalID: string(.externalID),
                        properties: [:], customProperties: [:], createTime: int(.createTime), updateTime: int(.updateTime)))
            case "event":
                guard only(Self.event), let a = int(.artifactID), let x = int(.executionID),
                    let name = string(.type), let type = EventType(name: name)
                else { return nil }
                return .event(int(.id), Event(artifactID: ArtifactID(a), executionID: ExecutionID(x), type: type, path: [], time: int(.time)))
            case "attribution":
                guard only(Self.attribution), let c = int(.contextID), let a = int(.artifactID) else { return nil }
                return .attribution(int(.id), Attribution(contextID: ContextID(c), artifactID: ArtifactID(a)))
            case "association":
                guard only(Self.association), let c = int(.contextID), let x = int(.executionID) else { return nil }
                return .association(int(.id), Association(contextID: ContextID(c), executionID: ExecutionID(x)))
            case "parent_context":
                guard only(Self.parentContext), let child = int(.childID), let parent = int(.parentID) else { return nil }
                return .parentContext(ParentContext(childID: ContextID(child), parentID: ContextID(parent)))
            default:
                return nil
            }
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

extension MetadataStore {
    /// What an import wrote.
    public struct ImportSummary: Sendable {
        public var records = 0
        public var transactions = 0
    }

    /// Writes whole store contents, ids and times as given, in one transaction.
    public func insert(_ contents: StoreContents) throws {
        try write { ctx in try ctx.insertContents(contents) }
    }

    /// Imports interchange text, one record a line. Each batch of `batchSize` lines (all of them
    /// when nil) is one transaction; a bad line fails its batch with the line number, and nothing
    /// of that batch is written.
    @discardableResult
    public func importRecords(text: String, batchSize: Int? = nil) throws -> ImportSummary {
        var lines = LineReader(bytes: Array(text.utf8))
        return try importRecords(&lines, batchSize: batchSize)
    }

    /// Imports an interchange file (`-` for standard input), streaming it: memory holds one
    /// batch of lines at a time, not the file.
    @discardableResult
    public func importRecords(file path: String, batchSize: Int? = nil) throws -> ImportSummary {
        let handle: FileHandle
        if path == "-" {
            handle = FileHandle.standardInput
        } else {
            guard let h = FileHandle(forReadingAtPath: path) else { throw MetadataError.invalidArgument("cannot read \(path)") }
            handle = h
        }
        var lines = LineReader(file: handle)
        return try importRecords(&lines, batchSize: batchSize)
    }

    private func importRecords(_ lines: inout LineReader, batchSize: Int?) throws -> ImportSummary {
        var summary = ImportSummary()
        var finished = false
        while !finished {
            let count = try write { ctx -> Int in
                let rebuild = try ctx.dropSecondaryIndexesIfEmpty()
                var count = 0
                while batchSize.map({ count < $0 }) ?? true {
                    guard let (number, line) = try lines.next() else {
                        finished = true
                        break
                    }
                    try ctx.importLine(number, line)
                    count += 1
                }
                try ctx.finishBulkWrite(rebuildIndexes: rebuild)
                return count
            }
            if count > 0 { summary.transactions += 1 }
            summary.records += count
        }
        return summary
    }
}

/// Splits bytes, or a file read in large chunks, into non-blank lines with their numbers.
struct LineReader {
    private var buffer: [UInt8]
    private var position = 0
    private let file: FileHandle?
    private var lineNumber = 0

    init(bytes: [UInt8]) {
        buffer = bytes
        file = nil
    }

    init(file: FileHandle) {
        buffer = []
        self.file = file
    }

    /// The next non-blank line and its 1-based number, or nil at the end.
    mutating func next() throws -> (Int, [UInt8])? {
        while true {
            if let newline = buffer[position...].firstIndex(of: 0x0a) {
                let line = Array(buffer[position..<newline])
                position = newline + 1
                lineNumber += 1
                if isBlank(line) { continue }
                return (lineNumber, line)
            }
            if let file, let chunk = try file.read(upToCount: 1 << 20), !chunk.isEmpty {
                buffer.removeFirst(position)
                position = 0
                buffer.append(contentsOf: chunk)
                continue
            }
            // The last line, without a newline.
            guard position < buffer.count else { return nil }
            let line = Array(buffer[position...])
            position = buffer.count
            lineNumber += 1
            return isBlank(line) ? nil : (lineNumber, line)
        }
    }

    private func isBlank(_ line: [UInt8]) -> Bool { line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0d } }
}

extension WriteContext {
    /// Writes one interchange line verbatim; errors name the line.
    mutating func importLine(_ number: Int, _ text: [UInt8]) throws {
        do {
            try insertVerbatim(try Interchange.decode(text))
        } catch let error as Interchange.DecodeError {
            throw MetadataError.invalidArgument("line \(number): \(error.description)")
        } catch let error as MetadataError {
            throw MetadataError(error.code, "line \(number): \(error.message)")
        } catch let error as SQLiteError {
            let e = MetadataStore.translate(error)
            throw MetadataError(e.code, "line \(number): \(e.message)")
        }
    }

    /// Ends a bulk write: built-in types back, secondary indexes rebuilt when they were dropped,
    /// and the edges added to the graph.
    mutating func finishBulkWrite(rebuildIndexes: Bool) throws {
        try restoreBuiltinTypes()
        if rebuildIndexes { try createSecondaryIndexes() }
        flushPendingEdges()
    }

    /// In a store without nodes, drops the secondary indexes for a bulk load (in the same
    /// transaction, so a failed load leaves them as they were). Unique constraints stay.
    func dropSecondaryIndexesIfEmpty() throws -> Bool {
        guard graph.artifacts.isEmpty, graph.executions.isEmpty, graph.contexts.isEmpty else { return false }
        for index in MLMDSchema.secondaryIndexes { try tables.db.execute("DROP INDEX IF EXISTS `\(index.name)`") }
        return true
    }

    private func createSecondaryIndexes() throws {
        for index in MLMDSchema.secondaryIndexes { try tables.db.execute(index.sql) }
    }

    /// Writes whole store contents verbatim (ids and times kept): the bulk path of `generate`.
    mutating func insertContents(_ contents: StoreContents) throws {
        do {
            let rebuild = try dropSecondaryIndexesIfEmpty()
            for t in contents.types { try insertVerbatim(.type(t)) }
            for a in contents.artifacts { try insertVerbatim(.artifact(a)) }
            for e in contents.executions { try insertVerbatim(.execution(e)) }
            for c in contents.contexts { try insertVerbatim(.context(c)) }
            for (rowID, e) in contents.events { try insertVerbatim(.event(rowID, e)) }
            for (rowID, a) in contents.attributions { try insertVerbatim(.attribution(rowID, a)) }
            for (rowID, a) in contents.associations { try insertVerbatim(.association(rowID, a)) }
            for p in contents.parentContexts { try insertVerbatim(.parentContext(p)) }
            try finishBulkWrite(rebuildIndexes: rebuild)
        } catch let error as SQLiteError {
            throw MetadataStore.translate(error)
        }
    }

    /// Adds the edges written since the last flush to the graph, in bulk.
    private mutating func flushPendingEdges() {
        graph.addEvents(pendingEvents)
        graph.addAttributions(pendingAttributions)
        graph.addAssociations(pendingAssociations)
        pendingEvents.removeAll()
        pendingAttributions.removeAll()
        pendingAssociations.removeAll()
    }

    /// Writes one record exactly as given. Nodes go into the graph as they are written (so
    /// names, external ids and endpoints are checked against everything before them); events,
    /// attributions and associations are added to the graph in bulk at the end.
    private mutating func insertVerbatim(_ record: Interchange.Record) throws {
        switch record {
        case .header: break
        case .type(let t): try insertTypeVerbatim(t)
        case .artifact(let a): try insertVerbatim(a)
        case .execution(let e): try insertVerbatim(e)
        case .context(let c): try insertVerbatim(c)
        case .event(let rowID, let e):
            guard graph.index(of: e.artifactID!) != nil else { throw MetadataError.invalidArgument("No artifact with the given id \(e.artifactID!)") }
            guard graph.index(of: e.executionID!) != nil else { throw MetadataError.invalidArgument("No execution with the given id \(e.executionID!)") }
            pendingEvents.append((try tables.insertEvent(e, rowID: rowID), e))
        case .attribution(let rowID, let a):
            guard graph.index(of: a.contextID) != nil, graph.index(of: a.artifactID) != nil else {
                throw MetadataError.invalidArgument("attribution \(a.contextID) -> \(a.artifactID): context or artifact not found")
            }
            pendingAttributions.append((try tables.insert(a, rowID: rowID), a))
        case .association(let rowID, let a):
            guard graph.index(of: a.contextID) != nil, graph.index(of: a.executionID) != nil else {
                throw MetadataError.invalidArgument("association \(a.contextID) -> \(a.executionID): context or execution not found")
            }
            pendingAssociations.append((try tables.insert(a, rowID: rowID), a))
        case .parentContext(let p):
            guard graph.index(of: p.childID) != nil, graph.index(of: p.parentID) != nil else {
                throw MetadataError.invalidArgument("parent context \(p.childID) -> \(p.parentID): context not found")
            }
            try tables.insertParentContext(p)
            graph.addParentContext(p)
        }
    }
}
