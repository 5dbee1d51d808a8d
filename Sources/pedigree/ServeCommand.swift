import ArgumentParser
import Foundation
import Logging
import Pedigree
import PedigreeServer
import PedigreeWeb

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the store over gRPC: ml-metadata's MetadataStoreService and Pedigree's own Query and Render.",
        discussion: """
            Unmodified ml-metadata clients connect as to an MLMD server
            (MetadataStoreClientConfig(host=..., port=...)). Writes are serialised; reads answer from a
            snapshot and never wait for a write. What others commit to the database (other Pedigree
            servers on the same MySQL or PostgreSQL database or SQLite file, ml-metadata writing it
            directly, TFX in process) is followed every --follow-interval milliseconds, and before every
            write; transactions that commit late are not missed. Read-your-writes across servers: a
            write's answer carries the gRPC header `pedigree-commit: TOKEN`; a call that sends
            `pedigree-min-commit: TOKEN` is answered once the server has applied that commit.
            `pedigree status --server` shows how far a server has followed. SIGTERM or SIGINT finishes
            the calls in flight and closes the database.
            """)

    @OptionGroup var store: StoreOptions
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on (0: any free port; the chosen one is printed).") var port = 8080
    @Option(help: "The largest request accepted, in bytes.") var maxRequestBytes = 64 << 20
    @Option(help: "The largest response sent, in bytes; a larger answer fails with RESOURCE_EXHAUSTED and asks for pages.")
    var maxResponseBytes = 64 << 20
    @Option(help: "Nodes one query may visit before it fails.") var maxVisits = 50_000_000
    @Option(help: "Seconds one query may run before it fails (a shorter client deadline wins).") var queryTimeout = 30.0
    @Option(help: "A PEM certificate chain, to serve over TLS (with --tls-key).") var tlsCert: String?
    @Option(help: "The PEM private key of --tls-cert.") var tlsKey: String?
    @Option(help: "A file holding a token that every call must send as 'authorization: Bearer <token>'.")
    var authTokenFile: String?
    @Option(
        help: ArgumentHelp(
            "Milliseconds between looks at what others committed to the database (0: only before each write and token read).",
            discussion: "Within this bound (and the time one look takes), reads see what another server, ml-metadata or another process committed."))
    var followInterval = 200
    @Flag(help: "Apply ml-metadata's lineage caps: at most 100 hops, and the first 101 starting nodes.")
    var mlmdLineageCaps = false
    @Option(help: "Also serve the lineage explorer (pages and the JSON API under /api/v1/) over HTTP on this port, on --host (0: any free port).")
    var httpPort: Int?
    @Option(help: "Log level: trace, debug (one line per call), info, notice, warning, error.") var logLevel = "info"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        if let httpPort, !(0...65535).contains(httpPort) { throw ValidationError("--http-port must be 0 to 65535") }
        guard maxRequestBytes > 0, maxResponseBytes > 0 else {
            throw ValidationError("--max-request-bytes and --max-response-bytes must be positive")
        }
        guard maxVisits > 0 else { throw ValidationError("--max-visits must be positive") }
        try Self.validate(followInterval: followInterval, queryTimeout: queryTimeout, tlsCert: tlsCert, tlsKey: tlsKey, logLevel: logLevel)
    }

    /// The checks `serve` and `web` share.
    static func validate(followInterval: Int, queryTimeout: Double, tlsCert: String?, tlsKey: String?, logLevel: String) throws {
        guard followInterval >= 0 else { throw ValidationError("--follow-interval must be 0 or a positive number of milliseconds") }
        guard queryTimeout > 0, queryTimeout.isFinite else { throw ValidationError("--query-timeout must be a positive number of seconds") }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("unknown log level '\(logLevel)'; use trace, debug, info, notice, warning or error")
        }
    }

    func run() async throws {
        var options = ServerOptions()
        options.host = host
        options.port = port
        options.maxRequestBytes = maxRequestBytes
        options.maxResponseBytes = maxResponseBytes
        options.tlsCertificatePath = tlsCert
        options.tlsKeyPath = tlsKey
        options.lineage = LineageLimits(mlmdCaps: mlmdLineageCaps)
        options.followInterval = followInterval > 0 ? .milliseconds(followInterval) : nil
        options.queryLimits = QueryLimits(maxVisits: maxVisits, timeout: .milliseconds(Int64(queryTimeout * 1000)))
        if let httpPort {
            var web = WebOptions()
            web.host = host
            web.port = httpPort
            options.http = web
        }
        try await Self.serve(db: store.db, options: options, authTokenFile: authTokenFile, logLevel: logLevel)
    }

    /// Opens the store and serves it until SIGTERM or SIGINT; prints one line per listening port
    /// on stdout (`pedigree: serving DB on HOST:PORT`, `pedigree: explorer at http://HOST:PORT/`),
    /// which scripts can wait for.
    static func serve(
        db path: String, mode: MetadataStore.OpenMode = .create, options base: ServerOptions, authTokenFile: String?, logLevel: String
    ) async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("unknown log level '\(logLevel)'")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "pedigree.serve")
        var options = base
        do {
            if let path = authTokenFile {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw MetadataError.invalidArgument("cannot read the token file \(path)")
                }
                let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !token.isEmpty else { throw MetadataError.invalidArgument("\(path) holds no token") }
                options.authToken = token
            }
            let db = try await MetadataStore.open(path: path, mode: mode)
            let host = options.host
            let scheme = options.tlsCertificatePath == nil ? "http" : "https"
            try await PedigreeServer.run(store: db, options: options, logger: logger) { server in
                if let port = server.port {
                    FileHandle.standardOutput.write(Data("pedigree: serving \(db.path) on \(host):\(port)\n".utf8))
                }
                if let port = server.httpPort {
                    FileHandle.standardOutput.write(Data("pedigree: explorer at \(scheme)://\(host):\(port)/\n".utf8))
                }
            }
        } catch let error as MetadataError {
            printError("pedigree: \(error.message) [\(error.code.rawValue)]")
            throw ExitCode(error.code.exitCode)
        }
    }
}

struct WebCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web",
        abstract: "Open a store in the lineage explorer: search, node pages with their lineage, impact, queries, in the browser.",
        discussion: """
            Serves the explorer's pages and its JSON API (/api/v1/) over HTTP on loopback, and prints the
            address to open. It opens the store read-only (it never writes); `pedigree serve --http-port P`
            serves the same beside gRPC. What others commit to the store is followed every
            --follow-interval milliseconds.
            Example: pedigree web --db mlmd.sqlite --port 8081
            """)

    @OptionGroup var store: StoreOptions
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on (0: any free port; the chosen one is printed).") var port = 8081
    @Option(help: "A PEM certificate chain, to serve over HTTPS (with --tls-key).") var tlsCert: String?
    @Option(help: "The PEM private key of --tls-cert.") var tlsKey: String?
    @Option(help: "A file holding a token: requests must send 'Authorization: Bearer <token>', or sign in once in the browser.")
    var authTokenFile: String?
    @Option(help: "Milliseconds between looks at what others committed to the store (0: never).") var followInterval = 200
    @Option(help: "Seconds one query may run before it fails.") var queryTimeout = 30.0
    @Option(help: "Log level: trace, debug (one line per request, with its server time), info, notice, warning, error.")
    var logLevel = "info"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        try ServeCommand.validate(followInterval: followInterval, queryTimeout: queryTimeout, tlsCert: tlsCert, tlsKey: tlsKey, logLevel: logLevel)
    }

    func run() async throws {
        var options = ServerOptions()
        options.grpc = false
        options.host = host
        options.tlsCertificatePath = tlsCert
        options.tlsKeyPath = tlsKey
        options.followInterval = followInterval > 0 ? .milliseconds(followInterval) : nil
        options.queryLimits = QueryLimits(timeout: .milliseconds(Int64(queryTimeout * 1000)))
        var web = WebOptions()
        web.host = host
        web.port = port
        options.http = web
        // The explorer only reads: the store must exist, and it is opened read-only.
        try await ServeCommand.serve(db: store.db, mode: .readOnly, options: options, authTokenFile: authTokenFile, logLevel: logLevel)
    }
}
