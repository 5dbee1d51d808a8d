@_spi(Engine) public import PedigreeGraph

/// The JSON-lines interchange format (docs/INTERCHANGE.md): `export` writes it, `import` reads it.
/// The reading is in `Interchange+Decode` (any JSON) and `Interchange+FlatLine` (the lines
/// `export` writes, read straight from the bytes); what a node kind adds to the fields every node
/// has, in `Interchange+Nodes`; the import itself, in `MetadataStore+Import`.
public enum Interchange {
    static let header = #"{"record":"header","format":"pedigree-jsonl","version":1,"mlmd_schema_version":10}"#

    // MARK: Export

    /// Every record of the snapshot, one JSON object per line, in the documented order.
    public static func export(_ g: GraphSnapshot, to write: (String) throws -> Void) rethrows {
        try write(header)
        for t in g.types { try write(line(t)) }
        try exportNodes(Artifact.self, g, to: write)
        try exportNodes(Execution.self, g, to: write)
        try exportNodes(Context.self, g, to: write)
        let events = ((0..<g.events.count).map { (g.events.rowIDs[$0], g.event($0)) } + g.orphanEvents.map { ($0.rowID, $0.event) }).sorted { $0.0 < $1.0 }
        for (rowID, event) in events { try write(line(rowID, event)) }
        let attributions = (g.attributions.map { r in
            (r.rowID, Attribution(contextID: ContextID(g.id(of: NodeRef(.context, r.context))), artifactID: ArtifactID(g.artifactIDs[Int(r.member)])))
        } + g.orphanAttributions.map { ($0.rowID, $0.attribution) }).sorted { $0.0 < $1.0 }
        for (rowID, a) in attributions {
            try write(JSONOut.object([("record", .string("attribution")), ("id", .int(rowID)), ("context_id", .int(a.contextID.rawValue)), ("artifact_id", .int(a.artifactID.rawValue))]).text)
        }
        let associations = (g.associations.map { r in
            (r.rowID, Association(contextID: ContextID(g.id(of: NodeRef(.context, r.context))), executionID: ExecutionID(g.executionIDs[Int(r.member)])))
        } + g.orphanAssociations.map { ($0.rowID, $0.association) }).sorted { $0.0 < $1.0 }
        for (rowID, a) in associations {
            try write(JSONOut.object([("record", .string("association")), ("id", .int(rowID)), ("context_id", .int(a.contextID.rawValue)), ("execution_id", .int(a.executionID.rawValue))]).text)
        }
        let parents = (Array(g.parentContexts) + g.orphanParentContexts).sorted { ($0.childID, $0.parentID) < ($1.childID, $1.parentID) }
        for p in parents {
            try write(JSONOut.object([("record", .string("parent_context")), ("child_id", .int(p.childID.rawValue)), ("parent_id", .int(p.parentID.rawValue))]).text)
        }
    }

    /// The nodes of one kind, in ascending id order (read from the snapshot's id column).
    private static func exportNodes<N: InterchangeNode>(_: N.Type, _ g: GraphSnapshot, to write: (String) throws -> Void) rethrows {
        let ids = (0..<Int32(g.nodeCount(N.kind))).map { g.id(of: NodeRef(N.kind, $0)) }
        for i in ids.indices.sorted(by: { ids[$0] < ids[$1] }) { try write(line(g.node(at: Int32(i)) as N)) }
    }

    /// Builds one line from key/value pairs in order, leaving out absent values.
    struct Line {
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
        l.add("properties", .object(t.properties.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value.description)) }))
        return l.text
    }

    /// A node: the fields every node has, with its kind's own after `type_id`.
    private static func line<N: InterchangeNode>(_ n: N) -> String {
        var l = Line()
        l.add("record", string: N.kind.description)
        l.add("id", int: n.id?.rawValue)
        l.add("type_id", int: n.typeID.rawValue)
        n.addKindFields(to: &l)
        l.add("external_id", string: n.externalID)
        l.add("properties", ResultEncoder.properties(n.properties))
        l.add("custom_properties", ResultEncoder.properties(n.customProperties))
        l.add("create_time_since_epoch", int: n.createTime)
        l.add("last_update_time_since_epoch", int: n.updateTime)
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
}
