internal import PedigreeStore

extension WriteContext {
    /// The stored type of a node of kind `kind`, or NotFound as MLMD reports it.
    func type(_ id: TypeID, kind: NodeKind) throws -> NodeType {
        guard let type = graph.type(id), type.kind == kind else {
            throw MetadataError.notFound("Cannot find type for type_id: \(id)")
        }
        return type
    }

    /// Checks properties against the type's schema (custom properties are free).
    static func validateProperties(_ properties: Properties, _ custom: Properties, type: NodeType) throws {
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            guard let declared = type.properties[name] else {
                let names = type.properties.keys.sorted()
                let hint = names.isEmpty ? "the type declares no properties" : "the type declares \(names.joined(separator: ", "))"
                throw MetadataError.invalidArgument("Found unknown property: \(name) (type \(type.name); \(hint))")
            }
            guard declared == value.propertyType else {
                throw MetadataError.invalidArgument(
                    "Found unmatched property type: \(name) (type \(type.name) declares \(declared), the value is \(value.propertyType))")
            }
        }
        for (name, value) in properties.merging(custom, uniquingKeysWith: { a, _ in a }) {
            if case .proto(let any) = value, any.typeURL.isEmpty {
                throw MetadataError.invalidArgument("property \(name): a proto value needs a non-empty type_url")
            }
        }
    }

    private func checkUnique<N: MetadataNode>(_ node: N, excluding index: Int32?) throws {
        if let name = node.nodeName, let clash = graph.nodeIndex(kind: N.kind, typeID: node.typeID, name: name), clash != index {
            let existing: N = graph.node(at: clash)
            throw MetadataError.alreadyExists(
                "Given node already exists: a \(N.kind) of type \(node.typeID) named '\(name)' exists (id \(existing.id!))")
        }
        if let ext = node.externalID, let clash = graph.nodeIndex(kind: N.kind, externalID: ext), clash != index {
            let existing: N = graph.node(at: clash)
            throw MetadataError.alreadyExists(
                "Given node already exists: a \(N.kind) with external_id '\(ext)' exists (id \(existing.id!))")
        }
    }

    /// MLMD's node upsert: insert when `id` is absent, otherwise update the stored node. An update
    /// with an `updateMask` changes only the named fields and properties (see `applyMask`);
    /// `forceUpdateTime` bumps the update time even when nothing changed.
    mutating func upsert<N: MetadataNode>(_ request: N, updateMask: [String] = [], forceUpdateTime: Bool = false) throws -> N.ID {
        var node = request
        if let context = node as? Context, context.name.isEmpty {
            throw MetadataError.invalidArgument("Context name should not be empty")
        }
        if var artifact = node as? Artifact, artifact.uri == nil {
            artifact.uri = ""  // ml-metadata always writes a uri
            node = artifact as! N
        }
        if let id = node.id {
            guard let index = graph.nodeIndex(kind: N.kind, id: id.rawValue) else {
                throw MetadataError.invalidArgument("Cannot find the given id \(id)")
            }
            let stored: N = graph.node(at: index)
            if !updateMask.isEmpty { node = Self.applyMask(updateMask, request: request, stored: stored) }
            guard stored.typeID == node.typeID else {
                throw MetadataError.invalidArgument(
                    "Given type_id \(node.typeID) is different from the one known before: \(stored.typeID)")
            }
            let type = try type(stored.typeID, kind: N.kind)
            try Self.validateProperties(node.properties, node.customProperties, type: type)
            // Names of artifacts and executions never change once set.
            if var artifact = node as? Artifact { artifact.name = (stored as! Artifact).name; node = artifact as! N }
            if var execution = node as? Execution { execution.name = (stored as! Execution).name; node = execution as! N }
            try checkUnique(node, excluding: index)
            node.createTime = stored.createTime
            node.updateTime = stored.updateTime
            if !forceUpdateTime && node.isSameRecord(as: stored) { return id }
            node.updateTime = max(now, (stored.updateTime ?? 0))
            try writeUpdate(node)
            graph.putNode(node)
            return id
        }
        let type = try type(node.typeID, kind: N.kind)
        try Self.validateProperties(node.properties, node.customProperties, type: type)
        try checkUnique(node, excluding: nil)
        node.createTime = now
        node.updateTime = now
        let id = try writeInsert(node)
        node.id = id
        graph.putNode(node)
        return id
    }

    /// MLMD's field-mask update: the stored node with the masked fields taken from the request
    /// (a masked field the request lacks is cleared). `properties.NAME` / `custom_properties.NAME`
    /// set or remove one property, bare `properties` / `custom_properties` replace the whole map,
    /// and unknown paths are ignored, as MLMD ignores them.
    static func applyMask<N: MetadataNode>(_ mask: [String], request: N, stored: N) -> N {
        var node = stored
        for path in mask {
            if path == "properties" {
                node.properties = request.properties
            } else if path == "custom_properties" {
                node.customProperties = request.customProperties
            } else if path.hasPrefix("properties.") {
                let name = String(path.dropFirst("properties.".count))
                node.properties[name] = request.properties[name]
            } else if path.hasPrefix("custom_properties.") {
                let name = String(path.dropFirst("custom_properties.".count))
                node.customProperties[name] = request.customProperties[name]
            } else if path == "external_id" {
                node.externalID = request.externalID
            } else if var a = node as? Artifact, let r = request as? Artifact {
                switch path {
                case "uri": a.uri = r.uri
                case "state": a.state = r.state
                case "name": a.name = r.name
                default: break
                }
                node = a as! N
            } else if var e = node as? Execution, let r = request as? Execution {
                switch path {
                case "last_known_state": e.lastKnownState = r.lastKnownState
                case "name": e.name = r.name
                default: break
                }
                node = e as! N
            } else if var c = node as? Context, let r = request as? Context, path == "name" {
                c.name = r.name
                node = c as! N
            }
        }
        return node
    }

    /// Inserts a node exactly as given, id and times included: the import path.
    mutating func insertVerbatim<N: MetadataNode>(_ node: N) throws {
        guard let id = node.id else { throw MetadataError.invalidArgument("an imported \(N.kind) needs an id") }
        if graph.nodeIndex(kind: N.kind, id: id.rawValue) != nil {
            throw MetadataError.alreadyExists("\(N.kind) \(id) already exists in the target store")
        }
        let type = try type(node.typeID, kind: N.kind)
        try Self.validateProperties(node.properties, node.customProperties, type: type)
        try checkUnique(node, excluding: nil)
        _ = try writeInsert(node)
        graph.putNode(node)
    }

    private func writeInsert<N: MetadataNode>(_ node: N) throws -> N.ID {
        switch node {
        case let a as Artifact: N.ID(try tables.insertArtifact(a).rawValue)
        case let e as Execution: N.ID(try tables.insertExecution(e).rawValue)
        case let c as Context: N.ID(try tables.insertContext(c).rawValue)
        default: preconditionFailure("unknown node kind")
        }
    }

    private func writeUpdate<N: MetadataNode>(_ node: N) throws {
        switch node {
        case let a as Artifact: try tables.updateArtifact(a)
        case let e as Execution: try tables.updateExecution(e)
        case let c as Context: try tables.updateContext(c)
        default: preconditionFailure("unknown node kind")
        }
    }
}
