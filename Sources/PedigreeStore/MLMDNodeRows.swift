package import PedigreeModel

/// Where a node kind lives in MLMD's schema: its table, its property table and the column there
/// that names the node, and its own columns beyond those every kind has (`id, type_id, name,
/// external_id, create_time_since_epoch, last_update_time_since_epoch`).
package struct MLMDNodeTable: Sendable {
    package let name: String
    package let propertyTable: String
    package let owner: String
    package let kindColumns: [String]
    /// The insert of one node (parameters in `columns` order), of one without its id (the
    /// database numbers it; the same parameters, the first unused), and of one of its properties.
    let insert: StatementSlot
    let insertNew: StatementSlot
    let insertProperty: StatementSlot

    /// `slot`, `slot + 9` and `slot + 12` number its statements among `MLMDTables`' slots.
    init(slot: Int, name: String, propertyTable: String, owner: String, kindColumns: [String]) {
        self.name = name
        self.propertyTable = propertyTable
        self.owner = owner
        self.kindColumns = kindColumns
        let columns = Self.commonColumns + kindColumns
        let parameters = (1...columns.count).map { "?\($0)" }.joined(separator: ", ")
        insert = StatementSlot(slot, "INSERT INTO \(name) (\(columns.joined(separator: ", "))) VALUES (\(parameters))")
        insertNew = StatementSlot(
            slot + 12,
            "INSERT INTO \(name) (\(columns.dropFirst().joined(separator: ", "))) VALUES (\((2...columns.count).map { "?\($0)" }.joined(separator: ", ")))")
        insertProperty = StatementSlot(
            slot + 9,
            "INSERT INTO \(propertyTable) (\(owner), name, is_custom_property, int_value, double_value, string_value, proto_value, bool_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
    }

    static let commonColumns = ["id", "type_id", "name", "external_id", "create_time_since_epoch", "last_update_time_since_epoch"]

    /// Every column, in the order rows are read and parameters bound.
    package var columns: [String] { Self.commonColumns + kindColumns }

    /// Sets every column but the id from the same parameters as `insert`.
    var update: String {
        let sets = columns.enumerated().dropFirst().map { "\($1) = ?\($0 + 1)" }.joined(separator: ", ")
        return "UPDATE \(name) SET \(sets) WHERE id = ?1"
    }
}

/// A node kind as MLMD's tables hold it: the table, and how the kind's own columns bind and read.
/// Everything else (reads, inserts, updates, properties, changes) is written once over this.
package protocol MLMDNodeRow: MetadataNode {
    static var table: MLMDNodeTable { get }
    /// Binds `table.kindColumns`, from parameter `first` on.
    func bindKindColumns(_ s: inout Statement, from first: Int32) throws(DatabaseError)
    /// Reads `table.kindColumns` from a row, from column `first` on.
    mutating func readKindColumns(_ row: borrowing Row, from first: Int32)
}

extension MLMDNodeRow {
    /// A node from a row of `table.columns` (properties aside).
    init(row: borrowing Row) {
        self.init(id: ID(row.int64(0)), typeID: TypeID(row.int64(1)), nodeName: row.string(2))
        externalID = row.string(3)
        createTime = row.int64(4)
        updateTime = row.int64(5)
        readKindColumns(row, from: 6)
    }

    /// Binds every column, the id (nil: a new one) first.
    func bind(_ s: inout Statement, id: Int64?) throws(DatabaseError) {
        try s.bind(1, id)
        try s.bind(2, typeID.rawValue)
        try s.bind(3, nodeName)
        try s.bind(4, externalID)
        try s.bind(5, createTime ?? 0)
        try s.bind(6, updateTime ?? 0)
        try bindKindColumns(&s, from: 7)
    }
}

extension Artifact: MLMDNodeRow {
    package static let table = MLMDNodeTable(
        slot: 0, name: "Artifact", propertyTable: "ArtifactProperty", owner: "artifact_id", kindColumns: ["uri", "state"])

    package func bindKindColumns(_ s: inout Statement, from first: Int32) throws(DatabaseError) {
        try s.bind(first, uri)
        try s.bind(first + 1, state.map { Int64($0.rawValue) })
    }

    package mutating func readKindColumns(_ row: borrowing Row, from first: Int32) {
        uri = row.string(first)
        state = row.optionalInt64(first + 1).flatMap { ArtifactState(rawValue: Int($0)) }
    }
}

extension Execution: MLMDNodeRow {
    package static let table = MLMDNodeTable(
        slot: 1, name: "Execution", propertyTable: "ExecutionProperty", owner: "execution_id", kindColumns: ["last_known_state"])

    package func bindKindColumns(_ s: inout Statement, from first: Int32) throws(DatabaseError) {
        try s.bind(first, lastKnownState.map { Int64($0.rawValue) })
    }

    package mutating func readKindColumns(_ row: borrowing Row, from first: Int32) {
        lastKnownState = row.optionalInt64(first).flatMap { ExecutionState(rawValue: Int($0)) }
    }
}

extension Context: MLMDNodeRow {
    package static let table = MLMDNodeTable(
        slot: 2, name: "Context", propertyTable: "ContextProperty", owner: "context_id", kindColumns: [])

    package func bindKindColumns(_ s: inout Statement, from first: Int32) throws(DatabaseError) {}

    package mutating func readKindColumns(_ row: borrowing Row, from first: Int32) {}
}
