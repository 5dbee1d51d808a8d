internal import PedigreeStore
internal import PedigreeGraph
internal import PedigreeModel

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

    private func checkUnique<N: WritableNode>(_ node: N, excluding index: Int32?) throws {
        let nodes = graph[N.self]
        if let name = node.nodeName, let clash = nodes.index(typeID: node.typeID, name: name), clash != index {
            throw MetadataError.alreadyExists(
                "Given node already exists: a \(N.kind) of type \(node.typeID) named '\(name)' exists (id \(nodes.id(at: clash)))")
        }
        if let ext = node.externalID, let clash = nodes.index(externalID: ext), clash != index {
            throw MetadataError.alreadyExists(
                "Given node already exists: a \(N.kind) with external_id '\(ext)' exists (id \(nodes.id(at: clash)))")
        }
    }

    /// MLMD's node upsert: insert when `id` is absent, otherwise update the stored node. An update
    /// with an `updateMask` changes only the named fields and properties (see `applyMask`);
    /// `forceUpdateTime` bumps the update time even when nothing changed.
    mutating func upsert<N: WritableNode>(_ request: N, updateMask: [String] = [], forceUpdateTime: Bool = false) throws -> N.ID {
        var node = request
        try node.prepareForWrite()
        if let id = node.id {
            guard let index = graph[N.self].index(of: id) else {
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
            node.keepFieldsThatNeverChange(from: stored)
            try checkUnique(node, excluding: index)
            node.createTime = stored.createTime
            node.updateTime = stored.updateTime
            if !forceUpdateTime && node.isSameRecord(as: stored) { return id }
            // Strictly later than the stored one, so that a follower tells the versions apart by it.
            node.updateTime = max(now, (stored.updateTime ?? 0) + 1)
            try tables.update(node, id: id)
            graph.put(node, id: id)
            updated = (N.kind, id.rawValue, node.updateTime!)
            return id
        }
        let type = try type(node.typeID, kind: N.kind)
        try Self.validateProperties(node.properties, node.customProperties, type: type)
        try checkUnique(node, excluding: nil)
        node.createTime = now
        node.updateTime = now
        let id = try tables.insert(node)
        graph.put(node, id: id)
        return id
    }

    /// MLMD's field-mask update: the stored node with the masked fields taken from the request
    /// (a masked field the request lacks is cleared). `properties.NAME` / `custom_properties.NAME`
    /// set or remove one property, bare `properties` / `custom_properties` replace the whole map,
    /// and unknown paths are ignored, as MLMD ignores them.
    static func applyMask<N: WritableNode>(_ mask: [String], request: N, stored: N) -> N {
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
            } else {
                node.takeField(path, from: request)
            }
        }
        return node
    }

    /// Inserts a node exactly as given, id and times included: the import path.
    /// With `bulk` (a load into a store without nodes), the node goes into the graph's columns
    /// only, and `indexLoadedNodes` indexes all of them at the end; a duplicate name or external
    /// id is refused by the table's UNIQUE constraints, which a bulk load keeps.
    mutating func insertVerbatim<N: WritableNode>(_ node: N, bulk: Bool = false) throws {
        guard let id = node.id else { throw MetadataError.invalidArgument("an imported \(N.kind) needs an id") }
        if graph[N.self].index(of: id) != nil {
            throw MetadataError.alreadyExists("\(N.kind) \(id) already exists in the target store")
        }
        let type = try type(node.typeID, kind: N.kind)
        try Self.validateProperties(node.properties, node.customProperties, type: type)
        if bulk {
            _ = try tables.insert(node)
            graph.load(node, id: id)
        } else {
            try checkUnique(node, excluding: nil)
            _ = try tables.insert(node)
            graph.put(node, id: id)
        }
    }
}

/// A node kind as the writer handles it: stored in the graph and in MLMD's tables, with the few
/// write rules that differ by kind.
protocol WritableNode: WritableStoredNode, MLMDNodeRow {
    /// Checks and completes a node about to be written (MLMD's per-kind rules).
    mutating func prepareForWrite() throws
    /// Keeps the fields an update may not change (an artifact's or execution's name, once set).
    mutating func keepFieldsThatNeverChange(from stored: Self)
    /// Takes one of the kind's own fields from `request`, for a field mask (`applyMask`);
    /// unknown paths are ignored.
    mutating func takeField(_ path: String, from request: Self)
}

extension Artifact: WritableNode {
    mutating func prepareForWrite() throws {
        if uri == nil { uri = "" }  // ml-metadata always writes a uri
    }

    mutating func keepFieldsThatNeverChange(from stored: Artifact) { name = stored.name }

    mutating func takeField(_ path: String, from request: Artifact) {
        switch path {
        case "uri": uri = request.uri
        case "state": state = request.state
        case "name": name = request.name
        default: break
        }
    }
}

extension Execution: WritableNode {
    mutating func prepareForWrite() throws {}

    mutating func keepFieldsThatNeverChange(from stored: Execution) { name = stored.name }

    mutating func takeField(_ path: String, from request: Execution) {
        switch path {
        case "last_known_state": lastKnownState = request.lastKnownState
        case "name": name = request.name
        default: break
        }
    }
}

extension Context: WritableNode {
    mutating func prepareForWrite() throws {
        if name.isEmpty { throw MetadataError.invalidArgument("Context name should not be empty") }
    }

    mutating func keepFieldsThatNeverChange(from stored: Context) {}

    mutating func takeField(_ path: String, from request: Context) {
        if path == "name" { name = request.name }
    }
}
