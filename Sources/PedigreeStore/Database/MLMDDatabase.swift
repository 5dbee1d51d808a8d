package import PedigreeModel

/// Opening a store wherever it lives: the database's schema checked (or created) before
/// anything is written to it.
package enum MLMDDatabase {
    /// Opens the store at `location`: an SQLite file (see `MLMDFile`) or a database on a server.
    package static func open(_ location: DatabaseLocation, mode: MLMDFile.OpenMode) throws -> any SQLDatabase {
        switch location {
        case .sqlite(let path): return try MLMDFile.open(path: path, mode: mode)
        case .server(let server): return try openServer(server, mode: mode)
        }
    }

    static func problem(_ location: String, _ text: String) -> MetadataError {
        .failedPrecondition("\(location): \(text)")
    }

    /// Connects, creating the database when asked to and it is missing (as ml-metadata does on
    /// PostgreSQL), and creates MLMD's schema in a database without tables.
    private static func openServer(_ server: DatabaseServer, mode: MLMDFile.OpenMode) throws -> any SQLDatabase {
        let db: any SQLDatabase
        do {
            do {
                db = try connect(server)
            } catch let error as DatabaseError where error.kind == .missingDatabase && mode == .create {
                try createDatabase(server)
                db = try connect(server)
            }
        } catch let error as DatabaseError {
            throw translate(error, location: server.redacted)
        }
        do {
            let columns = try serverColumns(db)
            if columns.isEmpty {
                guard mode == .create else {
                    throw MetadataError.notFound(
                        "\(server.redacted): the database has no tables, not an MLMD store (create one with `pedigree init --db URL`)")
                }
                try initialize(db, creation: creation(server.engine))
                return db
            }
            try validate(db, columns: columns, location: server.redacted, kind: "a \(server.engine.rawValue) database")
            return db
        } catch let error as DatabaseError {
            db.close()
            throw translate(error, location: server.redacted)
        } catch {
            db.close()
            throw error
        }
    }

    private static func connect(_ server: DatabaseServer) throws -> any SQLDatabase {
        switch server.engine {
        case .postgresql: try PostgresConnection(server)
        case .mysql, .sqlite: try MySQLConnection(server)
        }
    }

    /// Creates the server's database (its name was checked to need no quoting).
    private static func createDatabase(_ server: DatabaseServer) throws {
        switch server.engine {
        case .postgresql:
            let maintenance = try PostgresConnection(server, database: "postgres")
            defer { maintenance.close() }
            try maintenance.execute("CREATE DATABASE \"\(server.database)\"")
        case .mysql, .sqlite:
            let maintenance = try MySQLConnection(server, database: "")
            defer { maintenance.close() }
            try maintenance.execute("CREATE DATABASE IF NOT EXISTS `\(server.database)`")
        }
    }

    private static func creation(_ engine: SQLEngine) -> [String] {
        switch engine {
        case .sqlite: MLMDSchema.creation
        case .postgresql: MLMDServerSchema.postgresql
        case .mysql: MLMDServerSchema.mysql
        }
    }

    /// The columns of each table of the connection's database (names in lower case).
    private static func serverColumns(_ db: any SQLDatabase) throws -> [String: Set<String>] {
        let schema = db.engine == .mysql ? "DATABASE()" : "current_schema()"
        var columns: [String: Set<String>] = [:]
        try db.query("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = \(schema)") {
            (row: borrowing Row) in
            if let table = row.string(0), let column = row.string(1) { columns[table.lowercased(), default: []].insert(column.lowercased()) }
        }
        return columns
    }

    /// Maps a failure to reach or use a server to MLMD's codes, naming the server.
    package static func translate(_ error: DatabaseError, location: String) -> MetadataError {
        switch error.kind {
        case .unavailable: MetadataError(.unavailable, "cannot reach the database at \(location): \(error.message)")
        case .authentication: MetadataError(.unauthenticated, "\(location): the server refused the user or password: \(error.message)")
        case .missingDatabase: .notFound("\(location): no such database (create it with `pedigree init --db URL`): \(error.message)")
        case .constraint: .alreadyExists("a record with the same unique key exists (\(error.message))")
        case .corruption: MetadataError(.dataLoss, "\(location): the database is corrupt: \(error.message)")
        case .busy: MetadataError(.aborted, "\(location): \(error.message) (retry)")
        case .invalidValue: .invalidArgument("\(location) cannot store a value: \(error.message)")
        case .other: .internal("\(location): \(error)")
        }
    }

    /// Checks that `columns` (each table's, names in lower case) hold MLMD's tables and that the
    /// schema version is the one Pedigree reads.
    static func validate(_ db: any SQLDatabase, columns: [String: Set<String>], location: String, kind: String) throws {
        if columns.isEmpty {
            throw problem(location, "\(kind) with no tables, not an MLMD database (create a store with `pedigree init`)")
        }
        if columns["mlmdenv"] == nil {
            let missing = MLMDSchema.tables.map(\.name).filter { columns[$0.lowercased()] == nil }
            throw problem(location, "\(kind) but not an MLMD database (no MLMDEnv table; missing \(missing.joined(separator: ", ")))")
        }
        var versions: [Int64] = []
        try db.query("SELECT schema_version FROM MLMDEnv") { (row: borrowing Row) in versions.append(row.int64(0)) }
        guard versions.count == 1 else {
            throw problem(location, "an MLMD database with \(versions.count) schema version rows in MLMDEnv; expected exactly one")
        }
        guard versions[0] == MLMDSchema.version else {
            let advice = versions[0] < MLMDSchema.version
                ? "it was written by an older ml-metadata; upgrade it with ml-metadata 1.17.1 (enable_upgrade_migration) first"
                : "it was written by a newer ml-metadata"
            throw problem(location, "MLMD schema version \(versions[0]); Pedigree reads version \(MLMDSchema.version) only (\(advice))")
        }
        for (table, expected) in MLMDSchema.tables {
            guard let present = columns[table.lowercased()] else { throw problem(location, "an MLMD database missing table \(table)") }
            let missing = expected.filter { !present.contains($0.lowercased()) }
            if !missing.isEmpty {
                throw problem(location, "table \(table) lacks column(s) \(missing.joined(separator: ", ")); not MLMD schema version 10")
            }
        }
    }

    /// Creates the schema, records the version and adds the built-in types, as ml-metadata does,
    /// in one transaction (MySQL commits each CREATE on its own).
    static func initialize(_ db: any SQLDatabase, creation: [String]) throws {
        try db.transaction { () throws -> Void in
            for statement in creation { try db.execute(statement) }
            try db.run("INSERT INTO MLMDEnv (schema_version) VALUES (?)", [.integer(MLMDSchema.version)])
            for base in BaseType.builtinOrder {
                try db.run(
                    "INSERT INTO `Type` (name, type_kind) VALUES (?, ?)",
                    [.text(base.builtinTypeName), .integer(Int64(base.kind.rawValue))])
            }
        }
    }
}
