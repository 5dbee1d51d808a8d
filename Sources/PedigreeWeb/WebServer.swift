internal import Foundation
internal import HTTPTypes
internal import Hummingbird
internal import HummingbirdCore
internal import HummingbirdTLS
public import Logging
internal import NIOCore
public import Pedigree
internal import ServiceLifecycle
internal import Synchronization

/// How the lineage explorer's HTTP server runs.
public struct WebOptions: Sendable {
    /// Loopback unless told otherwise.
    public var host = "127.0.0.1"
    /// 0 picks a free port.
    public var port = 8081
    /// PEM files; both or neither.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// When set, every request must carry `Authorization: Bearer <token>` or the cookie the login
    /// page sets.
    public var authToken: String?
    /// The largest request body accepted (a query sent by POST), in bytes.
    public var maxRequestBytes = 1 << 20
    public var queryLimits = QueryLimits()

    public init() {}
}

/// The lineage explorer's HTTP server (pages and the JSON API under /api/v1/). Run it with
/// `run`; `shutdown` finishes the requests in flight and makes `run` return.
public final class WebServer: Sendable {
    private let group: ServiceGroup
    private let app: WebApp
    private let listening: ListeningState

    public init(store: MetadataStore, options: WebOptions, logger: Logger) throws {
        let server: HTTPServerBuilder
        switch (options.tlsCertificatePath, options.tlsKeyPath) {
        case (nil, nil): server = .http1()
        case (let cert?, let key?):
            let tls: TLSConfiguration
            do {
                tls = TLSConfiguration.makeServerConfiguration(
                    certificateChain: try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) },
                    privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            } catch {
                throw MetadataError.invalidArgument("cannot read the TLS certificate \(cert) or key \(key): \(error)")
            }
            server = try .tls(.http1(), tlsConfiguration: tls)
        default: throw MetadataError.invalidArgument("TLS needs both a certificate and a key")
        }
        let app = WebApp(store: store, limits: options.queryLimits, authToken: options.authToken)
        self.app = app
        let listening = ListeningState()
        self.listening = listening
        var log = logger
        log[metadataKey: "server"] = "http"
        let application = Application(
            responder: HTTPAdapter(app: app, maxBody: options.maxRequestBytes, logger: log),
            server: server,
            configuration: ApplicationConfiguration(address: .hostname(options.host, port: options.port), serverName: nil),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? options.port
                listening.port.withLock { $0 = bound }
                listening.callback.withLock { $0 }?(bound)
            },
            logger: log)
        group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [application], logger: log))
    }

    /// The bound port, once listening.
    public var port: Int? { listening.port.withLock { $0 } }

    /// Serves until `shutdown()`; `onListening` gets the bound port.
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        listening.callback.withLock { $0 = onListening }
        let app = self.app
        // The search index follows the snapshot in the background, so that searches seldom wait
        // for it to be built.
        let warmer = Task {
            while !Task.isCancelled {
                _ = app.searchIndex.index(for: app.store.snapshot)
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        defer { warmer.cancel() }
        try await group.run()
    }

    /// Stops accepting connections, finishes the requests in flight; `run` then returns.
    public func shutdown() async {
        await group.triggerGracefulShutdown()
    }
}

/// Who waits for the port, and the port once bound.
final class ListeningState: Sendable {
    let callback = Mutex<(@Sendable (Int) -> Void)?>(nil)
    let port = Mutex<Int?>(nil)
}

/// Carries Hummingbird's requests to the explorer and its answers back, with a log line and a
/// `Server-Timing` header giving the time spent in the server.
struct HTTPAdapter: HTTPResponder {
    typealias Context = BasicRequestContext
    let app: WebApp
    let maxBody: Int
    let logger: Logger

    static let securityHeaders: [(String, String)] = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("Content-Security-Policy",
         "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    ]

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        var request = request
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let method = request.method == .head ? "GET" : request.method.rawValue
        var answer: WebResponse
        do {
            var body: [UInt8] = []
            if request.method != .get && request.method != .head {
                do {
                    let buffer = try await request.collectBody(upTo: maxBody)
                    body = Array(buffer.readableBytesView)
                } catch {
                    throw WebError(413, "the request body is over \(maxBody) bytes")
                }
            }
            answer = await app.respond(try WebRequest(method: method, target: request.uri.string, headers: headers, body: body))
        } catch {
            answer = WebApp.apiError(WebError.from(error))
        }
        let elapsed = ContinuousClock.now - started
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        var fields = HTTPFields()
        fields[.contentType] = answer.contentType
        for (name, value) in Self.securityHeaders + answer.headers {
            if let n = HTTPField.Name(name) { fields.append(HTTPField(name: n, value: value)) }
        }
        if let n = HTTPField.Name("Server-Timing") { fields[n] = "app;dur=\(String(format: "%.3f", Double(micros) / 1000))" }
        let metadata: Logger.Metadata = [
            "method": "\(request.method.rawValue)", "path": "\(request.uri.path)", "status": "\(answer.status)", "latency_us": "\(micros)",
        ]
        if answer.status >= 500 { logger.warning("request", metadata: metadata) } else { logger.debug("request", metadata: metadata) }
        let bytes = request.method == .head ? [] : answer.body
        return Response(
            status: HTTPResponse.Status(code: answer.status), headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
