import ArgumentParser
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import Pedigree
import PedigreeServer
import PedigreeWire
import SwiftProtobuf

/// Where `query`, `explain` and `render` find the store: a file they open, or a running
/// `pedigree serve` that has it open already (so the open is not paid again on every call).
struct TargetOptions: ParsableArguments {
    @Option(help: "The MLMD SQLite file (default: ./pedigree.sqlite, unless PEDIGREE_SERVER names a server).")
    var db: String?
    @Option(
        help: ArgumentHelp(
            "Ask a running `pedigree serve` at HOST:PORT instead of opening a file (default: $PEDIGREE_SERVER).",
            valueName: "host:port"))
    var server: String?

    enum Target {
        case file(String)
        case server(ServerAddress)
    }

    func validate() throws {
        if db != nil, server != nil { throw ValidationError("--db and --server exclude each other: open a file, or ask a server") }
        if let server { _ = try ServerAddress(server, from: "--server") }
    }

    /// --server, else --db, else PEDIGREE_SERVER when it is set and not empty, else ./pedigree.sqlite.
    func resolve() throws -> Target {
        if let server { return .server(try ServerAddress(server, from: "--server")) }
        if let db { return .file(db) }
        if let env = ProcessInfo.processInfo.environment["PEDIGREE_SERVER"], !env.isEmpty {
            return .server(try ServerAddress(env, from: "PEDIGREE_SERVER"))
        }
        return .file("./pedigree.sqlite")
    }
}

/// A command that reads a store either from a file it opens or from a running server
/// (`--db` or `--server`): `run` picks the one `TargetOptions` names.
protocol TargetedCommand: AsyncParsableCommand {
    var target: TargetOptions { get }
    func runLocal(_ path: String) throws
    func runRemote(_ address: ServerAddress) async throws
}

extension TargetedCommand {
    func run() async throws {
        switch try target.resolve() {
        case .file(let path): try runLocal(path)
        case .server(let address): try await runRemote(address)
        }
    }
}

/// HOST:PORT of a server: a name, an IPv4 address, or an IPv6 address in brackets ([::1]:8080).
struct ServerAddress: Sendable, CustomStringConvertible {
    var host: String
    var port: Int

    init(_ text: String, from source: String) throws {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port)
        else {
            throw ValidationError("\(source) takes HOST:PORT (a port from 1 to 65535), got '\(text)'")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ValidationError("\(source) takes HOST:PORT, got '\(text)' (no host)") }
        self.host = host
        self.port = port
    }

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    var target: any ResolvableTarget {
        if host.contains(":") { return .ipv6(address: host, port: port) }
        if host.split(separator: ".").count == 4, host.allSatisfy({ $0.isNumber || $0 == "." }) {
            return .ipv4(address: host, port: port)
        }
        return .dns(host: host, port: port)
    }
}

typealias PedigreeClient = Pedigree_V1_PedigreeService.Client<HTTP2ClientTransport.Posix>

/// Calls to Pedigree's gRPC service, with the server's failures turned into what the local
/// commands print and exit with: a refused query's diagnostics as the local run draws them (65),
/// the engine's errors as `pedigree: MESSAGE [CODE]` (65, or 70 for INTERNAL), and a server that
/// cannot be reached as 69 (EX_UNAVAILABLE).
enum ServerCall {
    /// Options of every call: fail at once when the server cannot be reached (rather than wait for
    /// it), take answers as large as the server sends, and give up on a server that does not answer
    /// within the query's own timeout and a margin for drawing and sending.
    static func options(timeout: Double) -> CallOptions {
        var options = CallOptions.defaults
        options.waitForReady = false
        options.maxResponseMessageBytes = Int(Int32.max)
        options.timeout = .milliseconds(Int64(timeout * 1000)) + .seconds(120)
        return options
    }

    /// Runs `body` with a client connected to `address`.
    static func run<Result: Sendable>(
        _ address: ServerAddress, json: Bool, _ body: (PedigreeClient) async throws -> Result
    ) async throws -> Result {
        do {
            let transport = try HTTP2ClientTransport.Posix(target: address.target, transportSecurity: .plaintext)
            return try await withGRPCClient(transport: transport) { client in
                try await body(PedigreeClient(wrapping: client))
            }
        } catch let error as RPCError {
            try fail(error, address: address, json: json)
        }
    }

    static func fail(_ error: RPCError, address: ServerAddress, json: Bool) throws -> Never {
        switch error.code {
        case .invalidArgument:
            if let diagnostics = Self.diagnostics(error) { try reportQueryError(diagnostics, json: json) }
        case .unavailable:
            printError("pedigree: cannot reach a server at \(address): \(reason(error)) [UNAVAILABLE]")
            throw ExitCode(69)
        case .unimplemented:
            printError("pedigree: the server at \(address) does not serve Pedigree's queries (pedigree.v1.PedigreeService): \(error.message) [UNIMPLEMENTED]")
            throw ExitCode(69)
        case .unauthenticated, .permissionDenied:
            printError("pedigree: the server at \(address) refused the call: \(error.message) [\(error.code)]")
            throw ExitCode(77)
        default: break
        }
        // The engine's errors carry MLMD's codes one to one (see the server's rpcError).
        let code = MetadataError.Code(rpcCode: error.code) ?? .internal
        throw MetadataError(code, error.message)
    }

    /// The diagnostics of a refused query, from the status details (pedigree.v1.QueryDiagnostics).
    static func diagnostics(_ error: RPCError) -> QueryError? {
        guard let status = try? error.unpackGoogleRPCStatus(),
            let any = status.details.lazy.compactMap(\.any).first(where: { $0.isA(Pedigree_V1_QueryDiagnostics.self) }),
            let wire = try? Pedigree_V1_QueryDiagnostics(unpackingAny: any)
        else { return nil }
        return QueryError(
            source: wire.source,
            diagnostics: wire.diagnostics.map { d in
                Diagnostic(
                    d.id, d.message, at: SourceRange(Int(d.start), Int(d.end)), notes: d.notes,
                    severity: Diagnostic.Severity(rawValue: d.severity) ?? .error)
            })
    }

    /// The transport's reason (such as "Connection refused"), without the layers around it.
    private static func reason(_ error: RPCError) -> String {
        var cause: (any Error)? = error.cause
        var innermost = error.message
        while let c = cause {
            if let r = c as? RPCError {
                innermost = r.message
                cause = r.cause
            } else {
                innermost = String(describing: c)
                break
            }
        }
        return innermost
    }

    /// Query options of the wire from the command line's.
    /// Query parameters as the service takes them, typed as a local run types them.
    static func wire(parameters: [String: String]) -> [String: Pedigree_V1_ParameterValue] {
        parameters.mapValues { raw in
            Pedigree_V1_ParameterValue.with { p in
                switch GraphSnapshot.parameterValue(raw) {
                case .integer(let x): p.intValue = x
                case .decimal(let x): p.doubleValue = x
                case .bool(let x): p.boolValue = x
                case .string(let x), .name(let x), .parameter(let x): p.stringValue = x
                }
            }
        }
    }

    static func wire(_ options: QueryOptions) throws -> (parameters: [String: Pedigree_V1_ParameterValue], limits: Pedigree_V1_QueryOptions) {
        let parameters = wire(parameters: try options.parameters())
        let limits = Pedigree_V1_QueryOptions.with {
            $0.maxVisits = Int64(options.maxVisits)
            $0.timeoutMs = Int64((options.timeout * 1000).rounded())
        }
        return (parameters, limits)
    }
}
