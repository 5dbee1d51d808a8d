package import PedigreeModel
internal import Foundation

/// Row-level reads and writes of the MLMD tables. No MLMD semantics here: callers check them.
package struct MLMDTables {
    package let db: any SQLDatabase
    /// Rows held back to be written many to a statement (see `beginBatch`).
    private let batch = RowBatch()

    package init(_ db: any SQLDatabase) { self.db = db }

    private static let structPrefix = "mlmd-struct::"

    /// The statements run once per row on the write paths, kept by the connection by slot.
    private enum Slot {
        // Each insert of a row with an id has a twin without it (the database numbers the row;
        // PostgreSQL refuses a NULL id): the same parameters, the first unused.
        static let event = StatementSlot(
            3, "INSERT INTO Event (id, artifact_id, execution_id, type, milliseconds_since_epoch) VALUES (?1, ?2, ?3, ?4, ?5)")
        static let newEvent = StatementSlot(
            15, "INSERT INTO Event (artifact_id, execution_id, type, milliseconds_since_epoch) VALUES (?2, ?3, ?4, ?5)")
        // One statement for both kinds of step, so that a batch keeps a path's steps in order.
        static let eventPath = StatementSlot(
            4, "INSERT INTO EventPath (event_id, is_index_step, step_index, step_key) VALUES (?, ?, ?, ?)")
        static let attribution = StatementSlot(6, "INSERT INTO Attribution (id, context_id, artifact_id) VALUES (?1, ?2, ?3)")
        static let newAttribution = StatementSlot(16, "INSERT INTO Attribution (context_id, artifact_id) VALUES (?2, ?3)")
        static let association = StatementSlot(7, "INSERT INTO Association (id, context_id, execution_id) VALUES (?1, ?2, ?3)")
        static let newAssociation = StatementSlot(17, "INSERT INTO Association (context_id, execution_id) VALUES (?2, ?3)")
        static let parentContext = StatementSlot(8, "INSERT INTO ParentContext (context_id, parent_context_id) VALUES (?, ?)")
    }

    // MARK: Loading

    /// Streams every record of the store into `sink`, in `StoreSink`'s order.
    package func load(into sink: inout some StoreSink) throws {
        try loadNodes(into: &sink)
        try loadEdges(into: &sink)
    }

    /// The first id and the row count of a node table whose ids run densely (max - min + 1 rows,
    /// as AUTOINCREMENT ids do when nothing was deleted), judged from min and max alone: the
    /// caller must check the count against the rows it reads. nil for an empty table.
    package func denseRange(_ table: String) throws -> (first: Int64, count: Int)? {
        var range: (first: Int64, count: Int)?
        try db.query("SELECT min(id), max(id) FROM \(table)") { (row: borrowing Row) in
            if !row.isNull(0) { range = (row.int64(0), Int(row.int64(1) - row.int64(0) + 1)) }
        }
        return range
    }

    /// Changes whenever an edge table gains or loses a row (the edge tables are insert-only in
    /// MLMD): two read transactions with the same fingerprint see the same edges.
    package func edgeFingerprint() throws -> [Int64] {
        var values: [Int64] = []
        try db.query(
            "SELECT (SELECT max(id) FROM Event), (SELECT \(db.engine == .sqlite ? "max(rowid)" : "count(*)") FROM EventPath), (SELECT max(id) FROM Attribution), (SELECT max(id) FROM Association), (SELECT count(*) FROM ParentContext)"
        ) { (row: borrowing Row) in
            values = (0..<5).map { row.isNull(Int32($0)) ? -1 : row.int64(Int32($0)) }
        }
        return values
    }

    /// Streams the types and nodes (with their properties) into `sink`.
    package func loadNodes(into sink: inout some NodeSink) throws {
        for (id, type) in try loadTypes() { sink.add(type, id: id) }
        try loadNodes(Artifact.self, into: &sink) { $0.add($1, id: $2) }
        try loadNodes(Execution.self, into: &sink) { $0.add($1, id: $2) }
        try loadNodes(Context.self, into: &sink) { $0.add($1, id: $2) }
    }

    /// Streams the nodes of one kind in id order, then their properties.
    private func loadNodes<N: MLMDNodeRow, Sink: NodeSink>(
        _: N.Type, into sink: inout Sink, _ add: (inout Sink, N, N.ID) -> Void
    ) throws {
        try db.query("SELECT \(N.table.columns.joined(separator: ", ")) FROM \(N.table.name) ORDER BY id") { (row: borrowing Row) in
            add(&sink, N(row: row), N.ID(row.int64(0)))
        }
        try db.query("SELECT \(Self.propertyColumns(N.table)) FROM \(N.table.propertyTable)") { (row: borrowing Row) in
            guard let name = row.string(1), let value = Self.decodeValue(row) else { return }
            sink.setProperty(N.kind, of: row.int64(0), name: name, custom: row.int64(2) != 0, value)
        }
    }

    /// The columns of a property row, in `decodeValue`'s order.
    static func propertyColumns(_ table: MLMDNodeTable) -> String {
        "\(table.owner), name, is_custom_property, int_value, double_value, string_value, proto_value, bool_value, byte_value"
    }

    /// The steps of every event path, or of the events that `filter` selects (an SQL condition on
    /// `event_id` with `arguments`), by event id and, within an event, in the order
    /// they were written: SQLite's rowid, PostgreSQL's physical order; MySQL (InnoDB, no key)
    /// returns them in insertion order within an event, kept by a stable sort.
    func eventPathSteps(where filter: String? = nil, _ arguments: [SQLValue] = []) throws -> (events: [Int64], steps: [EventStep]) {
        let filter = filter.map { " WHERE \($0)" } ?? ""
        let order =
            switch db.engine {
            case .sqlite: " ORDER BY event_id, rowid"
            case .postgresql: " ORDER BY event_id, ctid"
            case .mysql: ""
            }
        var rows: [(event: Int64, step: EventStep)] = []
        try db.query("SELECT event_id, is_index_step, step_index, step_key FROM EventPath\(filter)\(order)", arguments) { (row: borrowing Row) in
            rows.append((row.int64(0), row.int64(1) != 0 ? .index(row.int64(2)) : .key(row.string(3) ?? "")))
        }
        if db.engine == .mysql {
            rows = rows.enumerated().sorted { ($0.element.event, $0.offset) < ($1.element.event, $1.offset) }.map(\.element)
        }
        return (rows.map(\.event), rows.map(\.step))
    }

    /// Streams the events (with their paths), attributions, associations and parent contexts into `sink`.
    package func loadEdges(into sink: inout some EdgeSink) throws {
        // Paths, in event id order, are merged into the event scan (also in id order).
        var (pathEvents, pathSteps) = try eventPathSteps()
        var nextStep = 0
        try db.query("SELECT id, artifact_id, execution_id, type, milliseconds_since_epoch FROM Event ORDER BY id") { (row: borrowing Row) in
            let rowID = row.int64(0)
            var path: [EventStep] = []
            while nextStep < pathEvents.count && pathEvents[nextStep] < rowID { nextStep += 1 }
            while nextStep < pathEvents.count && pathEvents[nextStep] == rowID {
                path.append(pathSteps[nextStep])
                nextStep += 1
            }
            sink.add(
                rowID: rowID,
                Event(
                    artifactID: ArtifactID(row.int64(1)), executionID: ExecutionID(row.int64(2)),
                    type: EventType(rawValue: Int(row.int64(3))) ?? .unknown, path: path, time: row.optionalInt64(4)))
        }
        pathEvents = []
        pathSteps = []
        try db.query("SELECT id, context_id, artifact_id FROM Attribution ORDER BY id") { (row: borrowing Row) in
            sink.add(rowID: row.int64(0), Attribution(contextID: ContextID(row.int64(1)), artifactID: ArtifactID(row.int64(2))))
        }
        try db.query("SELECT id, context_id, execution_id FROM Association ORDER BY id") { (row: borrowing Row) in
            sink.add(rowID: row.int64(0), Association(contextID: ContextID(row.int64(1)), executionID: ExecutionID(row.int64(2))))
        }
        try db.query("SELECT context_id, parent_context_id FROM ParentContext ORDER BY context_id, parent_context_id") { (row: borrowing Row) in
            sink.add(ParentContext(childID: ContextID(row.int64(0)), parentID: ContextID(row.int64(1))))
        }
    }

    /// Every type with its id, in id order.
    package func loadTypes() throws -> [(id: TypeID, type: NodeType)] {
        var types: [(id: TypeID, type: NodeType)] = []
        try db.query("SELECT id, name, version, type_kind, description, input_type, output_type, external_id FROM `Type` ORDER BY id") { (row: borrowing Row) in
            guard let kind = NodeKind(rawValue: Int(row.int64(3))) else { return }
            let id = TypeID(row.int64(0))
            types.append(
                (id, NodeType(
                    id: id, kind: kind, name: row.string(1) ?? "", version: row.string(2),
                    description: row.string(4), externalID: row.string(7), inputType: row.string(5),
                    outputType: row.string(6))))
        }
        var slot: [Int64: Int] = [:]
        for (i, t) in types.enumerated() { slot[t.id.rawValue] = i }
        try db.query("SELECT type_id, name, data_type FROM TypeProperty") { (row: borrowing Row) in
            guard let i = slot[row.int64(0)], let name = row.string(1) else { return }
            types[i].type.properties[name] = PropertyType(rawValue: Int(row.optionalInt64(2) ?? 0)) ?? .unknown
        }
        try db.query("SELECT type_id, parent_type_id FROM ParentType") { (row: borrowing Row) in
            guard let i = slot[row.int64(0)], let p = slot[row.int64(1)] else { return }
            let parent = types[p].type
            types[i].type.baseType = BaseType.allCases.first { $0.builtinTypeName == parent.name && $0.kind == parent.kind }
        }
        return types
    }

    /// Decodes a property row's value columns (3 int, 4 double, 5 string, 6 proto, 7 bool, 8 bytes).
    package static func decodeValue(_ row: borrowing Row) -> Value? {
        if !row.isNull(3) { return .int(row.int64(3)) }
        if !row.isNull(4) {
            if case .text(let text) = row.value(4), let d = Double(text) { return .double(d) }
            return .double(row.double(4))
        }
        if let s = row.string(5) {
            if s.hasPrefix(structPrefix),
                let data = Data(base64Encoded: String(s.dropFirst(structPrefix.count))),
                let fields = try? ProtoWire.decodeStruct(ArraySlice([UInt8](data)))
            {
                return .struct(fields)
            }
            return .string(s)
        }
        if !row.isNull(6) {
            let raw = row.value(6)
            let bytes: [UInt8]? =
                switch raw {
                case .text(let text): Data(base64Encoded: text).map { [UInt8]($0) }
                case .blob(let blob): blob
                default: nil
                }
            if let bytes, let any = try? ProtoWire.decodeAny(ArraySlice(bytes)) { return .proto(any) }
            // MySQL's blob holds the base64 text that SQLite keeps as text.
            if case .blob(let blob) = raw, let data = Data(base64Encoded: String(decoding: blob, as: UTF8.self)),
                let any = try? ProtoWire.decodeAny(ArraySlice([UInt8](data)))
            {
                return .proto(any)
            }
        }
        if !row.isNull(7) { return .bool(row.int64(7) != 0) }
        return nil
    }

    // MARK: Writing types

    package func insertType(_ type: NodeType) throws -> TypeID {
        let columns = "name, version, type_kind, description, input_type, output_type, external_id"
        let fields: [SQLValue] = [
            .text(type.name), SQLValue(type.version), .integer(Int64(type.kind.rawValue)), SQLValue(type.description),
            SQLValue(type.inputType), SQLValue(type.outputType), SQLValue(type.externalID),
        ]
        if let id = type.id {
            db.noteExplicitID(table: "Type")
            try db.run("INSERT INTO `Type` (id, \(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [.integer(id.rawValue)] + fields)
        } else {
            try db.run("INSERT INTO `Type` (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?)", fields)
        }
        let id = try type.id ?? TypeID(db.lastInsertRowID())
        try addTypeProperties(id, type.properties)
        return id
    }

    package func updateTypeFields(_ type: NodeType, id: TypeID) throws {
        try db.run(
            "UPDATE `Type` SET description = ?, external_id = ?, input_type = ?, output_type = ? WHERE id = ?",
            [SQLValue(type.description), SQLValue(type.externalID), SQLValue(type.inputType),
             SQLValue(type.outputType), .integer(id.rawValue)])
    }

    package func deleteType(_ id: TypeID) throws {
        for table in ["TypeProperty", "ParentType"] {
            try db.run("DELETE FROM \(table) WHERE type_id = ?", [.integer(id.rawValue)])
        }
        try db.run("DELETE FROM `Type` WHERE id = ?", [.integer(id.rawValue)])
    }

    package func addTypeProperties(_ id: TypeID, _ properties: [String: PropertyType]) throws {
        for (name, kind) in properties.sorted(by: { $0.key < $1.key }) {
            try db.run(
                "INSERT INTO TypeProperty (type_id, name, data_type) VALUES (?, ?, ?)",
                [.integer(id.rawValue), .text(name), .integer(Int64(kind.rawValue))])
        }
    }

    package func setParentType(_ id: TypeID, parent: TypeID?) throws {
        try db.run("DELETE FROM ParentType WHERE type_id = ?", [.integer(id.rawValue)])
        if let parent {
            try db.run(
                "INSERT INTO ParentType (type_id, parent_type_id) VALUES (?, ?)",
                [.integer(id.rawValue), .integer(parent.rawValue)])
        }
    }

    // MARK: Writing nodes

    /// Inserts a node with its properties: with its own id if it has one, else a new one. Returns the id.
    package func insert<N: MLMDNodeRow>(_ node: N) throws -> N.ID {
        if node.id != nil { db.noteExplicitID(table: N.table.name) }
        try write(node.id == nil ? N.table.insertNew : N.table.insert, batchable: node.id != nil) { (s: inout Statement) throws(DatabaseError) in
            try node.bind(&s, id: node.id?.rawValue)
            try s.execute()
        }
        let id = try node.id ?? N.ID(db.lastInsertRowID())
        try insertProperties(N.table, id.rawValue, node.properties, node.customProperties)
        return id
    }

    /// Replaces the stored node `id`, properties included.
    package func update<N: MLMDNodeRow>(_ node: N, id: N.ID) throws {
        try flushBatch()
        try db.withStatement(N.table.update) { (s: inout Statement) throws(DatabaseError) in
            try node.bind(&s, id: id.rawValue)
            try s.execute()
        }
        try db.run("DELETE FROM \(N.table.propertyTable) WHERE \(N.table.owner) = ?", [.integer(id.rawValue)])
        try insertProperties(N.table, id.rawValue, node.properties, node.customProperties)
    }

    /// Inserts a node's properties and custom properties, each in name order, one row each.
    private func insertProperties(_ table: MLMDNodeTable, _ id: Int64, _ properties: Properties, _ custom: Properties) throws {
        if properties.isEmpty && custom.isEmpty { return }
        let slot = table.insertProperty
        let rawProto = db.engine == .postgresql
        for (isCustom, set) in [(false, properties), (true, custom)] {
            for (name, value) in set.sorted(by: { $0.key < $1.key }) {
                try write(slot, batchable: true) { (s: inout Statement) throws(DatabaseError) in
                    try s.bind(1, id)
                    try s.bind(2, name)
                    try s.bind(3, Int64(isCustom ? 1 : 0))
                    // Columns 4...8: int, double, string, proto, bool; the value fills one, the rest are NULL.
                    for column in Int32(4)...8 { try s.bindNull(column) }
                    switch value {
                    case .int(let v): try s.bind(4, v)
                    // SQLite would store a bound NaN as NULL; as text, ml-metadata reads it back as NaN.
                    case .double(let v): if v.isNaN { try s.bind(5, "NaN") } else { try s.bind(5, v) }
                    case .string(let v): try s.bind(6, v)
                    case .struct(let fields):
                        try s.bind(6, Self.structPrefix + Data(ProtoWire.encodeStruct(fields)).base64EncodedString())
                    // As ml-metadata stores an Any: base64 text on SQLite and MySQL, bytes on PostgreSQL.
                    case .proto(let any):
                        let bytes = ProtoWire.encodeAny(any)
                        if rawProto { try s.bind(7, .blob(bytes)) } else { try s.bind(7, Data(bytes).base64EncodedString()) }
                    case .bool(let v): try s.bind(8, Int64(v ? 1 : 0))
                    }
                    try s.execute()
                }
            }
        }
    }

    // MARK: Writing edges

    package func insertEvent(_ event: Event, rowID: Int64? = nil) throws -> Int64 {
        if rowID != nil { db.noteExplicitID(table: "Event") }
        try write(rowID == nil ? Slot.newEvent : Slot.event, batchable: rowID != nil) { (s: inout Statement) throws(DatabaseError) in
            try s.bind(1, rowID)
            try s.bind(2, event.artifactID!.rawValue)
            try s.bind(3, event.executionID!.rawValue)
            try s.bind(4, Int64(event.type.rawValue))
            try s.bind(5, event.time)
            try s.execute()
        }
        let id = try rowID ?? db.lastInsertRowID()
        for step in event.path {
            try write(Slot.eventPath, batchable: true) { (s: inout Statement) throws(DatabaseError) in
                try s.bind(1, id)
                switch step {
                case .index(let i):
                    try s.bind(2, Int64(1))
                    try s.bind(3, i)
                    try s.bindNull(4)
                case .key(let k):
                    try s.bind(2, Int64(0))
                    try s.bindNull(3)
                    try s.bind(4, k)
                }
                try s.execute()
            }
        }
        return id
    }

    /// Inserts an attribution or association (with this row id, or a new one); returns the row id.
    package func insert<M: ContextMembership>(_ link: M, rowID: Int64? = nil) throws -> Int64 {
        let artifact = M.memberKind == .artifact
        if rowID != nil { db.noteExplicitID(table: artifact ? "Attribution" : "Association") }
        let slot = artifact ? (rowID == nil ? Slot.newAttribution : Slot.attribution) : (rowID == nil ? Slot.newAssociation : Slot.association)
        try write(slot, batchable: rowID != nil) { (s: inout Statement) throws(DatabaseError) in
            try s.bind(1, rowID)
            try s.bind(2, link.contextID.rawValue)
            try s.bind(3, link.memberID)
            try s.execute()
        }
        return try rowID ?? db.lastInsertRowID()
    }

    package func insertParentContext(_ link: ParentContext) throws {
        try write(Slot.parentContext, batchable: true) { (s: inout Statement) throws(DatabaseError) in
            try s.bind(1, link.childID.rawValue)
            try s.bind(2, link.parentID.rawValue)
            try s.execute()
        }
    }

    // MARK: Batched writes

    /// From now until `flushBatch`, rows whose ids are all known are held back and written many to
    /// a statement: on a database server each statement is a round trip, and a bulk load of
    /// millions of rows one at a time would be bound by the network, not the database. SQLite,
    /// in process, gains nothing and writes each row at once. A row refused by a unique key fails
    /// the flush (and so the whole transaction), not its own insert.
    package func beginBatch() {
        batch.active = db.engine != .sqlite
    }

    /// Writes every row held back, and ends the batch.
    package func flushBatch() throws {
        batch.active = false
        let held = batch.rows.values.sorted { $0.slot.index < $1.slot.index }
        batch.rows.removeAll()
        for (slot, rows) in held where !rows.isEmpty {
            let width = rows.map(\.count).max() ?? 0
            let perStatement = max(1, min(RowBatch.maxRows, RowBatch.maxParameters / max(width, 1)))
            var start = 0
            while rows.count - start >= perStatement {
                let sql = RowBatch.multiRow(slot.sql, width: width, rows: perStatement)
                try db.withStatement(sql) { (s: inout Statement) throws(DatabaseError) in
                    for (r, row) in rows[start..<start + perStatement].enumerated() {
                        for (i, value) in row.enumerated() { try s.bind(Int32(r * width + i + 1), value) }
                    }
                    try s.execute()
                }
                start += perStatement
            }
            for row in rows[start...] {
                try db.withStatement(slot) { (s: inout Statement) throws(DatabaseError) in
                    for (i, value) in row.enumerated() { try s.bind(Int32(i + 1), value) }
                    try s.execute()
                }
            }
        }
    }

    /// Runs a one-row write now, or (in a batch, when `batchable`) records its parameters for
    /// `flushBatch`, through the same binding code either way.
    private func write(_ slot: StatementSlot, batchable: Bool, _ bind: (inout Statement) throws(DatabaseError) -> Void) throws {
        guard batchable, batch.active else {
            if batch.active { try flushBatch(); batch.active = true }  // keep the rows in order
            return try db.withStatement(slot, bind)
        }
        let captured = CapturedRow(sql: slot.sql)
        var statement = Statement(server: captured)
        try bind(&statement)
        batch.rows[slot.index, default: (slot, [])].rows.append(captured.parameters)
    }
}

/// The rows a batch holds back, by statement.
private final class RowBatch {
    var active = false
    var rows: [Int: (slot: StatementSlot, rows: [[SQLValue]])] = [:]

    /// Rows per statement, and parameters per statement (PostgreSQL allows 65,535; MySQL's limit
    /// is the packet size, which 256 rows of MLMD's widest row stay far below unless values are
    /// megabytes long).
    static let maxRows = 256
    static let maxParameters = 30_000

    /// `sql`, a one-row `INSERT ... VALUES (...)` with `?` or `?N` parameters, for `rows` rows:
    /// row r's parameter N becomes `?(r * width + N)`.
    static func multiRow(_ sql: String, width: Int, rows: Int) -> String {
        guard let values = sql.range(of: "VALUES ", options: .backwards) else { return sql }
        let tuple = String(sql[values.upperBound...])
        let template = SQLTemplate(tuple, quote: "`")
        let tuples = (0..<rows).map { r in template.render { _, parameter in "?\(r * width + parameter)" } }
        return String(sql[..<values.upperBound]) + tuples.joined(separator: ", ")
    }
}

/// A statement that runs nothing: it keeps what is bound to it (a batched row's parameters).
private final class CapturedRow: ServerStatement {
    let sql: String
    var parameters: [SQLValue] = []
    var row: [SQLValue] { [] }
    var changes: Int { 0 }

    init(sql: String) { self.sql = sql }

    func step() -> Bool { false }
    func reset() {}
}
