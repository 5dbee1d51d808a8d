internal import PedigreeStore

extension WriteContext {
    /// MLMD's type upsert: identity is (kind, name, version); an existing type may gain properties
    /// (`canAddFields`) or be sent with fewer (`canOmitFields`), never change a property's kind.
    mutating func putType(_ type: NodeType, canAddFields: Bool, canOmitFields: Bool) throws -> TypeID {
        guard !type.name.isEmpty else { throw MetadataError.invalidArgument("No type name is specified.") }
        if let (name, _) = type.properties.first(where: { $0.value == .unknown }) {
            throw MetadataError.invalidArgument("Property \(name) is UNKNOWN.")
        }
        if let base = type.baseType, base.kind != type.kind {
            throw MetadataError.invalidArgument("base type \(base.rawValue) is not a base type of \(type.kind) types")
        }
        let version = type.version?.isEmpty == true ? nil : type.version
        let id: TypeID
        if let storedID = graph.typeID(kind: type.kind, name: type.name, version: version), var stored = graph.type(storedID) {
            id = storedID
            for (name, kind) in stored.properties.sorted(by: { $0.key < $1.key }) {
                if let given = type.properties[name] {
                    if given != kind {
                        throw MetadataError.alreadyExists(
                            "Type already exists with different properties: property \(name) is \(kind) in the stored type and \(given) in the given type")
                    }
                } else if !canOmitFields {
                    throw MetadataError.alreadyExists(
                        "Type already exists with different properties: can_omit_fields is false while stored type has more properties (\(name))")
                }
            }
            let added = type.properties.filter { stored.properties[$0.key] == nil }
            if !added.isEmpty {
                guard canAddFields else {
                    throw MetadataError.alreadyExists(
                        "Type already exists with different properties: can_add_fields is false while the given type has more properties (\(added.keys.sorted().joined(separator: ", ")))")
                }
                try tables.addTypeProperties(id, added)
                stored.properties.merge(added) { a, _ in a }
            }
            if let ext = type.externalID, !ext.isEmpty, ext != stored.externalID {
                try checkTypeExternalID(ext, excluding: id)
                stored.externalID = ext
                try tables.updateTypeFields(stored, id: id)
            }
            if let base = type.baseType, base != stored.baseType {
                guard stored.baseType == nil else {
                    throw MetadataError(.failedPrecondition, "base_type update is not supported yet")
                }
                try tables.setParentType(id, parent: try builtinTypeID(base))
                stored.baseType = base
            }
            graph.putType(stored, id: id)
        } else {
            if let ext = type.externalID { try checkTypeExternalID(ext, excluding: nil) }
            var new = type
            new.id = nil
            new.version = version
            if type.kind != .execution {
                new.inputType = nil
                new.outputType = nil
            }
            id = try tables.insertType(new)
            if let base = type.baseType { try tables.setParentType(id, parent: try builtinTypeID(base)) }
            graph.putType(new, id: id)
        }
        return id
    }

    private func checkTypeExternalID(_ externalID: String, excluding id: TypeID?) throws {
        if let clash = graph.types.first(where: { $0.externalID == externalID && $0.id != id }) {
            throw MetadataError.alreadyExists(
                "Conflict of external_id: \(externalID) Found already existing \(clash.kind) type with the same external_id: \(clash.name)")
        }
    }

    private func builtinTypeID(_ base: BaseType) throws -> TypeID {
        guard let builtin = graph.typeID(kind: base.kind, name: base.builtinTypeName, version: nil) else {
            throw MetadataError.failedPrecondition("the built-in type \(base.builtinTypeName) is missing from the store")
        }
        return builtin
    }

    /// Inserts a type exactly as given (id included): the import path. A built-in `mlmd.*`
    /// type that nothing uses gives way to an imported type with its id or its name; missing
    /// built-ins are added back by `restoreBuiltinTypes`.
    mutating func insertTypeVerbatim(_ type: NodeType) throws {
        guard let id = type.id else { throw MetadataError.invalidArgument("an imported type needs an id") }
        if let existing = graph.type(id) {
            if existing == type { return }
            guard isUnusedBuiltin(existing, id: id) else {
                throw MetadataError.alreadyExists("type id \(id) already exists with different contents (\(existing.name))")
            }
            try removeType(id)
        }
        if let existingID = graph.typeID(kind: type.kind, name: type.name, version: type.version), let existing = graph.type(existingID) {
            guard isUnusedBuiltin(existing, id: existingID) else {
                throw MetadataError.alreadyExists("a \(type.kind) type named \(type.name) already exists (id \(existingID))")
            }
            try removeType(existingID)
        }
        if let ext = type.externalID { try checkTypeExternalID(ext, excluding: nil) }
        _ = try tables.insertType(type)
        graph.putType(type, id: id)
        if let base = type.baseType {
            try restoreBuiltinTypes()
            try tables.setParentType(id, parent: try builtinTypeID(base))
        }
    }

    private func isUnusedBuiltin(_ type: NodeType, id: TypeID) -> Bool {
        guard type.properties.isEmpty, type.version == nil,
            let base = BaseType.allCases.first(where: { $0.builtinTypeName == type.name && $0.kind == type.kind })
        else { return false }
        return graph.nodeIndices(ofType: id).isEmpty && !graph.types.contains { $0.baseType == base }
    }

    private mutating func removeType(_ id: TypeID) throws {
        try tables.deleteType(id)
        graph.removeType(id)
    }

    /// Adds any of MLMD's nine built-in types that the store lacks (ml-metadata does the same
    /// on every open).
    mutating func restoreBuiltinTypes() throws {
        for base in BaseType.builtinOrder where graph.type(kind: base.kind, name: base.builtinTypeName, version: nil) == nil {
            let type = NodeType(kind: base.kind, name: base.builtinTypeName)
            graph.putType(type, id: try tables.insertType(type))
        }
    }
}
