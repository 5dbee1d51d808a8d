import Foundation
import Testing

@testable import Pedigree
import PedigreeFixtures
import PedigreeModel
import PedigreeStore

/// The same store on MySQL (MariaDB) and PostgreSQL as on SQLite. `make test` starts both servers
/// on loopback and passes their base URLs (`PEDIGREE_MYSQL_URL`, `PEDIGREE_POSTGRES_URL`, each
/// ending in `/`); each test works in databases of its own.
@Suite(.serialized) struct ServerStoreTests {
    static let environment = ProcessInfo.processInfo.environment
    static let servers: [String] = ["PEDIGREE_MYSQL_URL", "PEDIGREE_POSTGRES_URL"].compactMap { environment[$0] }

    /// A URL for a database no one has used yet.
    static func fresh(_ base: String, _ label: String) -> String {
        base + "pt_\(label)_\(UInt32.random(in: 0...UInt32.max))"
    }

    static func export(_ store: MetadataStore) -> String {
        var lines: [String] = []
        Interchange.export(store.snapshot) { lines.append($0) }
        return lines.joined(separator: "\n")
    }

    /// What a demo store exports, written once to SQLite: the reference every backend must match.
    static let reference: String = {
        let store = try! MetadataStore.inMemory()
        _ = try! DemoPipeline.write(into: store, runs: 4)
        return export(store)
    }()

    @Test(.enabled(if: !servers.isEmpty), arguments: servers)
    func importRoundTripsAndExportsTheSameBytes(base: String) throws {
        let url = Self.fresh(base, "roundtrip")
        let store = try MetadataStore(path: url)
        #expect(!store.path.contains(":pedigree@"), "the password must not appear in the store's name")
        _ = try store.importRecords(text: Self.reference)
        #expect(Self.export(store) == Self.reference)
        store.close()
        // A second process's view: everything read back from the server.
        let reopened = try MetadataStore(path: url, mode: .readWrite)
        #expect(Self.export(reopened) == Self.reference)
        let report = try reopened.check()
        #expect(report.isHealthy, "\(report.problems)")
        // New rows after an import with explicit ids get ids above them (PostgreSQL's sequences).
        let before = reopened.snapshot.artifacts.count
        let typeID = try #require(reopened.snapshot.types.first { $0.kind == .artifact }?.id)
        let ids = try reopened.putArtifacts([Artifact(typeID: typeID, uri: "new://after-import")])
        #expect(ids.count == 1 && ids[0].rawValue > Int64(before))
    }

    /// The bulk path (`generate`): rows written many to a statement on a server, the same store.
    @Test(.enabled(if: !servers.isEmpty), arguments: servers)
    func bulkInsertWritesWhatSQLiteWrites(base: String) throws {
        for contents in [SyntheticStore.chain(executions: 700, seed: 2), SyntheticStore.tfx(executions: 700, seed: 2)] {
            let reference = try MetadataStore.inMemory()
            try reference.insert(contents)
            let url = Self.fresh(base, "bulk")
            let store = try MetadataStore(path: url)
            try store.insert(contents)
            #expect(Self.export(store) == Self.export(reference))
            store.close()
            let reopened = try MetadataStore(path: url, mode: .readOnly)
            #expect(Self.export(reopened) == Self.export(reference))
            #expect(try reopened.check().isHealthy)
        }
    }

    @Test(.enabled(if: !servers.isEmpty), arguments: servers)
    func aFailedWriteLeavesNothing(base: String) throws {
        let url = Self.fresh(base, "atomic")
        let store = try MetadataStore(path: url)
        _ = try store.importRecords(text: Self.reference)
        // The second line is new, the third clashes with a stored name: nothing of it may stay.
        let clash = Self.reference.split(separator: "\n").first { $0.contains("\"record\":\"artifact\"") }!
        let fresh = clash.replacingOccurrences(of: "\"id\":1,", with: "\"id\":9001,")
            .replacingOccurrences(of: "chicago-taxi-run-1/examples", with: "brand-new")
        let text = [String(fresh), String(clash)].joined(separator: "\n")
        #expect(throws: MetadataError.self) { try store.importRecords(text: text) }
        #expect(Self.export(store) == Self.reference)
        store.close()
        #expect(Self.export(try MetadataStore(path: url, mode: .readOnly)) == Self.reference)
    }

    @Test(.enabled(if: !servers.isEmpty), arguments: servers)
    func refusesWhatIsNotAnMLMDStoreOfVersion10(base: String) throws {
        let url = Self.fresh(base, "foreign")
        // A database holding someone else's table.
        let location = try DatabaseLocation(url)
        guard case .server(let server) = location else { Issue.record("not a server URL"); return }
        _ = try MetadataStore(path: url).close()
        let raw: any SQLDatabase = server.engine == .mysql ? try MySQLConnection(server) : try PostgresConnection(server)
        defer { raw.close() }
        try raw.execute("UPDATE MLMDEnv SET schema_version = 9")
        let old = #expect(throws: MetadataError.self) { try MetadataStore(path: url, mode: .readWrite) }
        #expect(old?.code == .failedPrecondition)
        #expect(old?.message.contains("schema version 9") == true)
        let foreignURL = Self.fresh(base, "other")
        guard case .server(let other) = try DatabaseLocation(foreignURL) else { return }
        let creator: any SQLDatabase =
            other.engine == .mysql ? try MySQLConnection(other, database: "") : try PostgresConnection(other, database: "postgres")
        try creator.execute("CREATE DATABASE \(other.database)")
        creator.close()
        let foreign: any SQLDatabase = other.engine == .mysql ? try MySQLConnection(other) : try PostgresConnection(other)
        try foreign.execute("CREATE TABLE orders (id INT PRIMARY KEY)")
        foreign.close()
        let notMLMD = #expect(throws: MetadataError.self) { try MetadataStore(path: foreignURL) }
        #expect(notMLMD?.code == .failedPrecondition)
        #expect(notMLMD?.message.contains("not an MLMD database") == true)
    }

    @Test(.enabled(if: !servers.isEmpty), arguments: servers)
    func namesTheProblemWhenTheServerRefusesOrIsAway(base: String) throws {
        let url = Self.fresh(base, "auth")
        let wrong = url.replacingOccurrences(of: ":pedigree@", with: ":not-the-password@")
        let refused = #expect(throws: MetadataError.self) { try MetadataStore(path: wrong) }
        #expect(refused?.code == .unauthenticated)
        #expect(refused?.message.contains("not-the-password") == false, "a password must never be printed")
        // A port where nothing listens.
        let components = URLComponents(string: url)!
        let away = url.replacingOccurrences(of: ":\(components.port!)/", with: ":1/")
        let unreachable = #expect(throws: MetadataError.self) { try MetadataStore(path: away) }
        #expect(unreachable?.code == .unavailable)
        let missing = #expect(throws: MetadataError.self) { try MetadataStore(path: Self.fresh(base, "missing"), mode: .readOnly) }
        #expect(missing?.code == .notFound)
    }

    /// TLS, as the URL asks for it: `make test`'s servers have a self-signed certificate for
    /// 127.0.0.1 (`PEDIGREE_DB_TLS_CA`). Verified against it, the connection is encrypted (the
    /// server says so); against a certificate that did not sign the server's, it is refused.
    @Test(.enabled(if: !servers.isEmpty && environment["PEDIGREE_DB_TLS_CA"] != nil), arguments: servers)
    func connectsOverTLSWhenTheURLAsks(base: String) throws {
        let ca = try #require(Self.environment["PEDIGREE_DB_TLS_CA"])
        let mysql = base.hasPrefix("mysql")
        func tls(_ authority: String) -> String {
            mysql ? "?ssl_mode=verify_ca&ssl_ca=\(authority)" : "?sslmode=verify-ca&sslrootcert=\(authority)"
        }
        let url = Self.fresh(base, "tls")
        try MetadataStore(path: url + tls(ca)).close()
        guard case .server(let server) = try DatabaseLocation(url + tls(ca)) else { Issue.record("not a server URL"); return }
        let raw: any SQLDatabase = mysql ? try MySQLConnection(server) : try PostgresConnection(server)
        defer { raw.close() }
        var encrypted = ""
        try raw.query(mysql ? "SHOW STATUS LIKE 'Ssl_cipher'" : "SELECT CAST(ssl AS TEXT), cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()") {
            (row: borrowing Row) in encrypted = (row.string(0) ?? "") + " " + (row.string(1) ?? "")
        }
        #expect(mysql ? !encrypted.hasSuffix(" ") : encrypted.hasPrefix("t"), "\(encrypted)")
        // Another self-signed certificate: not the server's authority.
        let dir = temporaryDirectory().path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                             "-keyout", "\(dir)/other.key", "-out", "\(dir)/other.crt"]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        #expect(openssl.terminationStatus == 0)
        #expect(throws: MetadataError.self) { try MetadataStore(path: url + tls("\(dir)/other.crt"), mode: .readOnly) }
    }

    @Test func parsesDatabaseLocations() throws {
        #expect(try DatabaseLocation("store.sqlite") == .sqlite(path: "store.sqlite"))
        #expect(try DatabaseLocation(":memory:") == .sqlite(path: ":memory:"))
        guard case .server(let my) = try DatabaseLocation("mysql://u:p%40ss@db.example:3307/mlmd?socket=/run/m.sock") else {
            Issue.record("mysql URL")
            return
        }
        #expect(my.engine == .mysql && my.user == "u" && my.password == "p@ss" && my.port == 3307 && my.database == "mlmd")
        #expect(my.socket == "/run/m.sock")
        #expect(my.redacted == "mysql://u:***@db.example:3307/mlmd")
        let file = temporaryDirectory().appendingPathComponent("password").path
        try "from-file\n".write(toFile: file, atomically: true, encoding: .utf8)
        guard case .server(let pg) = try DatabaseLocation("postgresql://u@h/db?password_file=\(file)&sslmode=require") else {
            Issue.record("postgresql URL")
            return
        }
        #expect(pg.engine == .postgresql && pg.port == 5432 && pg.password == "from-file" && pg.options["sslmode"] == "require")
        guard case .server(let env) = try DatabaseLocation("postgres://u@h:1/db?password_env=SECRET", environment: ["SECRET": "s3"]) else {
            Issue.record("postgres URL")
            return
        }
        #expect(env.password == "s3")
        #expect(throws: MetadataError.self) { try DatabaseLocation("mongodb://h/db") }
        #expect(throws: MetadataError.self) { try DatabaseLocation("mysql://h/db") }  // no user
        #expect(throws: MetadataError.self) { try DatabaseLocation("mysql://u@h/") }  // no database
        #expect(throws: MetadataError.self) { try DatabaseLocation("postgresql://u@h/db?password_env=UNSET_VARIABLE", environment: [:]) }
    }
}
