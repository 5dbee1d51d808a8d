internal import PedigreeModel

// The fast reader of the lines that `export` writes: flat objects read straight from the bytes.
extension Interchange {
    /// The records that make up most of a file (nodes without properties, events without a path,
    /// attributions, associations, parent contexts) read straight from the bytes, without building
    /// a JSON value: only for a line that is one flat object with no spaces, keys that each come
    /// once and belong to the record's kind, string values of printable ASCII without escapes,
    /// integers of plain digits, and `{}` for the properties; all required keys present. Any other
    /// line (or any doubt) gives nil, and the general decoder reads it, with its errors; for every
    /// line this accepts, the general decoder returns the same record.
    static func decodeFlat(_ text: [UInt8]) -> Record? {
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

    enum FlatValue { case string, integer, emptyObject }

    /// The keys of the records that `decodeFlat` reads, with the kind of value each takes.
    enum FlatKey: Int, CaseIterable {
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
    struct FlatFields {
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
        static let event = mask([.record, .id, .artifactID, .executionID, .type, .time])
        static let attribution = mask([.record, .id, .contextID, .artifactID])
        static let association = mask([.record, .id, .contextID, .executionID])
        static let parentContext = mask([.record, .childID, .parentID])

        func only(_ allowed: UInt32) -> Bool { seen & ~allowed == 0 }

        /// The case named at `k`: `.some(nil)` when the key is absent, nil when the name is unknown.
        func named<T: NamedCases>(_ k: FlatKey) -> T?? {
            guard let name = string(k) else { return .some(nil) }
            guard let value = T(name: name) else { return nil }
            return value
        }

        /// The record, when the keys are exactly those its kind may have and the required ones are there.
        func decoded() -> Record? {
            switch record {
            case "artifact": return node(Artifact.self)?.interchangeRecord
            case "execution": return node(Execution.self)?.interchangeRecord
            case "context": return node(Context.self)?.interchangeRecord
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

        /// A node: the fields every node has, and its kind's own.
        private func node<N: InterchangeNode>(_: N.Type) -> N? {
            guard only(N.flatKeys), let id = int(.id), let type = int(.typeID), var n = N(typeID: TypeID(type), flat: self) else { return nil }
            n.id = N.ID(id)
            n.externalID = string(.externalID)
            n.createTime = int(.createTime)
            n.updateTime = int(.updateTime)
            return n
        }
    }
}
