internal import PedigreeModel
internal import Foundation

/// Opening, validating and creating MLMD SQLite files.
package enum MLMDFile {
    package enum OpenMode: Sendable {
        /// Open an existing store for reading only; never writes to the file.
        case readOnly
        /// Open an existing store for reading and writing.
        case readWrite
        /// Open the store, creating and initialising it if the file does not exist or is empty.
        case create
    }

    private static func problem(_ path: String, _ text: String) -> MetadataError { MLMDDatabase.problem(path, text) }

    /// Opens `path` as an MLMD store, validating it before anything is written to it.
    package static func open(path: String, mode: OpenMode) throws -> SQLiteConnection {
        if path == ":memory:" {
            let connection = try SQLiteConnection(path: path, mode: .readWriteCreate)
            try initialize(connection)
            return connection
        }
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        let exists = manager.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists && isDirectory.boolValue { throw problem(path, "is a directory, not an MLMD database file") }
        let size = exists ? ((try? manager.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) : 0
        if !exists || size == 0 {
            guard mode == .create else {
                throw MetadataError.notFound(
                    exists ? "\(path): the file is empty, not an MLMD database (create a store with `pedigree init`)"
                        : "\(path): no such file (create a store with `pedigree init`)")
            }
            let connection = try SQLiteConnection(path: path, mode: .readWriteCreate)
            try configure(connection)
            try initialize(connection)
            return connection
        }
        try checkHeader(path: path, size: size)
        // Validate through a read-only connection, so a file that fails is never touched.
        do {
            let reader = try SQLiteConnection(path: path, mode: .readOnly)
            try validate(reader, path: path)
            reader.close()
        } catch let error as DatabaseError {
            throw problem(path, error.isCorruption ? "the database is corrupt (\(error.message))" : error.description)
        }
        let connection = try SQLiteConnection(path: path, mode: mode == .readOnly ? .readOnly : .readWrite)
        if mode != .readOnly { try configure(connection) }
        return connection
    }

    private static func configure(_ connection: SQLiteConnection) throws {
        try connection.execute("PRAGMA journal_mode = WAL")
        try connection.execute("PRAGMA synchronous = FULL")
        // 64 MiB of page cache (the default is 2 MiB): bulk writes touch many index pages.
        try connection.execute("PRAGMA cache_size = -65536")
    }

    /// Checks the 100-byte SQLite header and that the file holds as many pages as it says.
    private static func checkHeader(path: String, size: Int) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw problem(path, "cannot be read") }
        defer { try? handle.close() }
        let header = [UInt8]((try? handle.read(upToCount: 100)) ?? Data())
        let magic = Array("SQLite format 3".utf8) + [0]
        guard header.count >= 16, Array(header[0..<16]) == magic else {
            throw problem(path, "not an SQLite database (the file does not start with the SQLite header)")
        }
        guard header.count == 100 else { throw problem(path, "truncated SQLite file (\(size) bytes, shorter than its header)") }
        var pageSize = Int(header[16]) << 8 | Int(header[17])
        if pageSize == 1 { pageSize = 65536 }
        guard pageSize >= 512, pageSize & (pageSize - 1) == 0 else {
            throw problem(path, "corrupt SQLite header (page size \(pageSize))")
        }
        let pageCount = Int(header[28]) << 24 | Int(header[29]) << 16 | Int(header[30]) << 8 | Int(header[31])
        let changeCounter = header[24..<28]
        let validFor = header[92..<96]
        // A write-ahead log with frames in it holds pages the file may not have yet: a process killed
        // during a checkpoint leaves page 1 (with the new page count) written and later pages not.
        // Opening replays the log, so the file is whole; only without one is a short file truncated.
        let walSize = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        guard walSize == 0 else { return }
        // The in-header page count is only meaningful when "version-valid-for" matches the change counter.
        if Array(changeCounter) == Array(validFor), pageCount > 0, size < pageCount * pageSize {
            throw problem(path, "truncated SQLite file: \(size) bytes, but the header declares \(pageCount) pages of \(pageSize) bytes")
        }
        if size % pageSize != 0 {
            throw problem(path, "truncated SQLite file: \(size) bytes is not a whole number of \(pageSize)-byte pages")
        }
    }

    /// Checks the tables, their columns and the schema version.
    private static func validate(_ connection: SQLiteConnection, path: String) throws {
        var columns: [String: Set<String>] = [:]
        try connection.query("SELECT name FROM sqlite_master WHERE type = 'table'") { (row: borrowing Row) in
            if let name = row.string(0) { columns[name.lowercased()] = [] }
        }
        for table in columns.keys {
            try connection.query("SELECT name FROM pragma_table_info(?)", [.text(table)]) { (row: borrowing Row) in
                if let name = row.string(0) { columns[table, default: []].insert(name.lowercased()) }
            }
        }
        try MLMDDatabase.validate(connection, columns: columns, location: path, kind: "an SQLite database")
    }

    /// Creates the schema, records the version and adds the built-in types, as ml-metadata does.
    private static func initialize(_ connection: SQLiteConnection) throws {
        try MLMDDatabase.initialize(connection, creation: MLMDSchema.creation)
    }
}
