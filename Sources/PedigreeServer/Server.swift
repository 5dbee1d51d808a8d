internal import Dispatch
internal import Foundation
internal import GRPCCore
internal import GRPCNIOTransportHTTP2
public import Logging
public import Pedigree
public import PedigreeWeb
internal import PedigreeWire
internal import Synchronization
internal import SwiftProtobuf

/// How `pedigree serve` runs.
public struct ServerOptions: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (printed once listening).
    public var port = 8080
    /// The largest request the server accepts, in bytes; larger ones fail with RESOURCE_EXHAUSTED.
    /// (Past four times this, the transport drops the stream without reading it.)
    public var maxRequestBytes = 64 << 20
    /// The largest response the server sends, in bytes: a larger answer fails with
    /// RESOURCE_EXHAUSTED and says to page it (list options, or Query's page_size); it is never cut.
    public var maxResponseBytes = 64 << 20
    /// PEM files; both or neither.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// When set, every call must carry `authorization: Bearer <token>`.
    public var authToken: String?
    public var lineage = LineageLimits()
    public var queryLimits = QueryLimits()
    /// How often the server looks for what other processes committed to the database file (ml-metadata
    /// writing it in process, as TFX does) and applies it (`MetadataStore.follow`); every write
    /// catches up first as well. nil: only writes catch up.
    public var followInterval: Duration? = .milliseconds(200)
    /// Serve gRPC on `port` (false: only the lineage explorer, as `pedigree web` does).
    public var grpc = true
    /// The lineage explorer over HTTP beside gRPC on the same store, when set. The token and the
    /// TLS files above apply to it as well.
    public var http: WebOptions?

    public init() {}
}

/// A running server, as `PedigreeServer.run` hands it out once it listens.
public struct RunningServer: Sendable {
    /// The bound gRPC port (the chosen one when the options asked for port 0); nil without gRPC.
    public let port: Int?
    /// The bound HTTP port of the lineage explorer, when it runs.
    public let httpPort: Int?
    private let stop: @Sendable () -> Void

    init(port: Int?, httpPort: Int?, stop: @escaping @Sendable () -> Void) {
        self.port = port
        self.httpPort = httpPort
        self.stop = stop
    }

    /// Stops accepting calls, finishes those in flight, then `run` closes the store and returns.
    public func shutdown() { stop() }
}

/// The gRPC server: ml-metadata's MetadataStoreService and Pedigree's own service on one port.
public enum PedigreeServer {
    /// Serves until SIGTERM or SIGINT (or `RunningServer.shutdown()`), then finishes the calls in
    /// flight and closes the store. `onListening` gets the bound port and the shutdown handle.
    public static func run(
        store: MetadataStore, options: ServerOptions, logger: Logger,
        onListening: @escaping @Sendable (RunningServer) -> Void = { _ in }
    ) async throws {
        let security: HTTP2ServerTransport.Posix.TransportSecurity
        switch (options.tlsCertificatePath, options.tlsKeyPath) {
        case (nil, nil): security = .plaintext
        case (let cert?, let key?):
            security = .tls(certificateChain: [.file(path: cert, format: .pem)], privateKey: .file(path: key, format: .pem))
        default: throw MetadataError.invalidArgument("TLS needs both a certificate (--tls-cert) and a key (--tls-key)")
        }
        var config = HTTP2ServerTransport.Posix.Config.defaults
        // The transport resets the stream of a message over its limit, which clients report as a
        // bare cancellation; so it gets a higher hard limit, and the interceptor below refuses
        // what is over the configured one with RESOURCE_EXHAUSTED and a message that says why.
        config.rpc.maxRequestPayloadSize = options.maxRequestBytes.multipliedReportingOverflow(by: 4).overflow
            ? Int(UInt32.max) : min(Int(UInt32.max), options.maxRequestBytes * 4)
        let transport = HTTP2ServerTransport.Posix(
            address: .ipv4(host: options.host, port: options.port), transportSecurity: security, config: config)
        var interceptors: [any ServerInterceptor] = [CallLogInterceptor(logger: logger)]
        if let token = options.authToken { interceptors.append(BearerTokenInterceptor(token: token)) }
        interceptors.append(MessageSizeInterceptor(maxRequestBytes: options.maxRequestBytes, maxResponseBytes: options.maxResponseBytes))
        interceptors.append(CommitTokenInterceptor(store: store))
        let server = GRPCServer(
            transport: transport,
            services: [
                MetadataStoreService(store: store, lineage: LineageLimits(mlmdCaps: options.lineage.mlmdCaps, query: options.queryLimits)),
                PedigreeService(store: store, limits: options.queryLimits, followInterval: options.followInterval),
            ],
            interceptors: interceptors)

        var web: WebServer?
        if var http = options.http {
            http.authToken = options.authToken
            http.tlsCertificatePath = options.tlsCertificatePath
            http.tlsKeyPath = options.tlsKeyPath
            http.queryLimits = options.queryLimits
            web = try WebServer(store: store, options: http, logger: logger)
        }
        let stopAll: @Sendable () -> Void = { [web] in
            server.beginGracefulShutdown()
            if let web { Task { await web.shutdown() } }
        }
        let signals = SignalWatcher(signals: [SIGTERM, SIGINT]) { signal in
            logger.info("shutting down: finishing calls in flight", metadata: ["signal": "\(signal)"])
            stopAll()
        }
        defer { signals.cancel() }

        let follower = options.followInterval.map { interval in
            Task { await follow(store, every: interval, logger: logger) }
        }
        defer { follower?.cancel() }

        try await withThrowingDiscardingTaskGroup { group in
            var grpcPort: Int?
            if options.grpc {
                group.addTask { try await server.serve() }
                if let address = try await server.listeningAddress?.ipv4 {
                    logger.info("listening", metadata: ["host": "\(address.host)", "port": "\(address.port)", "db": "\(store.path)"])
                    grpcPort = address.port
                }
            }
            var httpPort: Int?
            if let web {
                let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
                group.addTask {
                    defer { portSink.finish() }
                    try await web.run { port in portSink.yield(port) }
                }
                for await port in ports {
                    httpPort = port
                    break
                }
                if let httpPort {
                    logger.info("explorer listening", metadata: ["host": "\(options.http!.host)", "port": "\(httpPort)", "db": "\(store.path)"])
                }
            }
            onListening(RunningServer(port: grpcPort, httpPort: httpPort, stop: stopAll))
        }
        follower?.cancel()
        await follower?.value
        store.close()
        logger.info("stopped; the database is closed")
    }

    /// Applies what other processes commit to the store's file, every `interval`, until cancelled.
    /// The work runs on the store's writer queue (off the cooperative pool); a failure is logged and
    /// the next round tries again.
    static func follow(_ store: MetadataStore, every interval: Duration, logger: Logger) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            do {
                if try await store.perform({ try $0.follow() }) {
                    logger.debug("applied what another process committed", metadata: ["generation": "\(store.snapshot.generation)"])
                }
            } catch {
                logger.warning("following the database failed", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// Runs a handler on a signal, in place of the default action (which would kill the process).
/// Unchecked: the sources are set once in `init`, and dispatch sources are thread-safe.
final class SignalWatcher: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    init(signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        sources = signals.map { signo in
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler { handler(signo) }
            source.resume()
            return source
        }
    }

    func cancel() {
        for s in sources { s.cancel() }
    }
}

// MARK: Interceptors

/// One structured log line per call: a request id, the method, the peer, the status and latency.
struct CallLogInterceptor: ServerInterceptor {
    let logger: Logger
    private static let counter = Atomic<UInt64>(0)

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>, context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let id = Self.counter.wrappingAdd(1, ordering: .relaxed).newValue
        var log = logger
        log[metadataKey: "request_id"] = "\(id)"
        log[metadataKey: "method"] = "\(context.descriptor.method)"
        let started = ContinuousClock.now
        func finish(_ status: String, _ message: String? = nil) {
            let micros = (ContinuousClock.now - started).components
            let us = micros.seconds * 1_000_000 + micros.attoseconds / 1_000_000_000_000
            var metadata: Logger.Metadata = ["status": "\(status)", "latency_us": "\(us)", "peer": "\(context.remotePeer)"]
            if let message { metadata["error"] = "\(message)" }
            if status == "ok" { log.debug("call", metadata: metadata) } else { log.info("call", metadata: metadata) }
        }
        do {
            let response = try await next(request, context)
            switch response.accepted {
            case .success: finish("ok")
            case .failure(let e): finish("\(e.code)", e.message)
            }
            return response
        } catch let e as RPCError {
            finish("\(e.code)", e.message)
            throw e
        } catch {
            finish("internal", "\(error)")
            throw error
        }
    }
}

/// Read-your-writes across servers on one database. The answer to a write carries
/// `pedigree-commit: TOKEN` (where it committed); a call that sends `pedigree-min-commit: TOKEN` runs
/// once this server has applied that commit (at once when it has; otherwise after one catch-up
/// round, which begins after the call arrived and so sees the write).
struct CommitTokenInterceptor: ServerInterceptor {
    let store: MetadataStore
    static let commitKey = "pedigree-commit"
    static let minCommitKey = "pedigree-min-commit"

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>, context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        for given in request.metadata[stringValues: Self.minCommitKey] {
            guard let token = CommitToken(given) else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "\(Self.minCommitKey): '\(given)' is not a commit token (pass the value of a write's \(Self.commitKey) header)")
            }
            do {
                try await store.waitUntilApplied(token)
            } catch {
                throw rpcError(error)
            }
        }
        let receipt = WriteReceipt()
        let response = try await MetadataStore.$receipt.withValue(receipt) { try await next(request, context) }
        guard let token = receipt.commitToken, case .success(var contents) = response.accepted else { return response }
        contents.metadata.addString(token.description, forKey: Self.commitKey)
        return StreamingServerResponse(accepted: .success(contents))
    }
}

/// Refuses calls without `authorization: Bearer <token>` (UNAUTHENTICATED).
struct BearerTokenInterceptor: ServerInterceptor {
    let token: String

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>, context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let given = request.metadata[stringValues: "authorization"].first(where: { _ in true })
        guard let given, Self.constantTimeEqual(given, "Bearer " + token) else {
            throw RPCError(code: .unauthenticated, message: "a valid 'authorization: Bearer <token>' header is required")
        }
        return try await next(request, context)
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in x.indices { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}

/// Refuses requests and responses over the configured sizes with RESOURCE_EXHAUSTED and a message
/// that says which limit and what to do (clients report a message they refuse to read, and the
/// transport a request it refuses, only as a broken stream).
struct MessageSizeInterceptor: ServerInterceptor {
    let maxRequestBytes: Int
    let maxResponseBytes: Int

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>, context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let method = context.descriptor.method
        let maxRequestBytes = self.maxRequestBytes
        var request = request
        request.messages = RPCAsyncSequence(wrapping: request.messages.map { message in
            if let m = message as? any SwiftProtobuf.Message {
                let size = (try m.serializedBytes() as [UInt8]).count
                if size > maxRequestBytes {
                    throw RPCError(
                        code: .resourceExhausted,
                        message: "the \(method) request is \(size) bytes, more than the server's limit of \(maxRequestBytes) (--max-request-bytes); send it in smaller batches")
                }
            }
            return message
        })
        let response = try await next(request, context)
        guard case .success(var contents) = response.accepted else { return response }
        let producer = contents.producer
        let maxBytes = maxResponseBytes
        contents.producer = { writer in
            let checked = RPCWriter(wrapping: SizeCheckingWriter(base: writer, maxBytes: maxBytes, method: method))
            return try await producer(checked)
        }
        return StreamingServerResponse(accepted: .success(contents))
    }
}

struct SizeCheckingWriter<Element: Sendable>: RPCWriterProtocol {
    let base: RPCWriter<Element>
    let maxBytes: Int
    let method: String

    func write(_ element: Element) async throws {
        if let message = element as? any SwiftProtobuf.Message {
            let bytes: [UInt8] = try message.serializedBytes()
            let size = bytes.count
            if size > maxBytes {
                throw RPCError(
                    code: .resourceExhausted,
                    message: "the \(method) response is \(size) bytes, more than the server's limit of \(maxBytes) (--max-response-bytes); ask for pages: list options' max_result_size, or the query's page_size or limit")
            }
        }
        try await base.write(element)
    }

    func write(contentsOf elements: some Sequence<Element>) async throws {
        for e in elements { try await write(e) }
    }
}
