/// A node kind in the interchange format: the fields of its own (name, uri, state), which stand
/// between `type_id` and `external_id`. The fields every node has are written and read once, in
/// `Interchange`.
protocol InterchangeNode: StoredNode {
    /// The keys a flat line of this kind may have.
    static var flatKeys: UInt32 { get }
    /// Adds the kind's own fields.
    func addKindFields(to l: inout Interchange.Line)
    /// A node of type `typeID` with the kind's own fields read from a record (in the written order);
    /// the fields every node has are left unset.
    init(typeID: TypeID, kindFieldsOf f: Interchange.Fields) throws
    /// The same from a flat line; nil when a required one is missing or a value is unknown.
    init?(typeID: TypeID, flat f: Interchange.FlatFields)
    /// The decoded record that holds this node.
    var interchangeRecord: Interchange.Record { get }
}

extension Artifact: InterchangeNode {
    static let flatKeys = Interchange.FlatFields.node | Interchange.FlatFields.mask([.uri, .state])

    func addKindFields(to l: inout Interchange.Line) {
        l.add("name", string: name)
        l.add("uri", string: uri)
        l.add("state", string: state?.description)
    }

    init(typeID: TypeID, kindFieldsOf f: Interchange.Fields) throws {
        self.init(
            typeID: typeID, name: try f.opt("name", \.string), uri: try f.opt("uri", \.string),
            state: try f.enumValue("state", ArtifactState.init(name:)))
    }

    init?(typeID: TypeID, flat f: Interchange.FlatFields) {
        guard let state: ArtifactState? = f.named(.state) else { return nil }
        self.init(typeID: typeID, name: f.string(.name), uri: f.string(.uri), state: state)
    }

    var interchangeRecord: Interchange.Record { .artifact(self) }
}

extension Execution: InterchangeNode {
    static let flatKeys = Interchange.FlatFields.node | Interchange.FlatFields.mask([.lastKnownState])

    func addKindFields(to l: inout Interchange.Line) {
        l.add("name", string: name)
        l.add("last_known_state", string: lastKnownState?.description)
    }

    init(typeID: TypeID, kindFieldsOf f: Interchange.Fields) throws {
        self.init(
            typeID: typeID, name: try f.opt("name", \.string),
            lastKnownState: try f.enumValue("last_known_state", ExecutionState.init(name:)))
    }

    init?(typeID: TypeID, flat f: Interchange.FlatFields) {
        guard let state: ExecutionState? = f.named(.lastKnownState) else { return nil }
        self.init(typeID: typeID, name: f.string(.name), lastKnownState: state)
    }

    var interchangeRecord: Interchange.Record { .execution(self) }
}

extension Context: InterchangeNode {
    static let flatKeys = Interchange.FlatFields.node

    func addKindFields(to l: inout Interchange.Line) {
        l.add("name", string: name)
    }

    init(typeID: TypeID, kindFieldsOf f: Interchange.Fields) throws {
        self.init(typeID: typeID, name: try f.req("name", \.string))
    }

    init?(typeID: TypeID, flat f: Interchange.FlatFields) {
        guard let name = f.string(.name) else { return nil }
        self.init(typeID: typeID, name: name)
    }

    var interchangeRecord: Interchange.Record { .context(self) }
}
