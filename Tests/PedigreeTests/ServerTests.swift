import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import GRPCCore
import GRPCProtobuf
import GRPCNIOTransportHTTP2
import Logging
@testable import Pedigree
import PedigreeFixtures
import PedigreeServer
import PedigreeWire
import Synchronization
import Testing

/// `pedigree serve`'s services through a real gRPC client over HTTP/2 on 127.0.0.1.
@Suite struct ServerTests {
    typealias Client = GRPCClient<HTTP2ClientTransport.Posix>

    /// Runs a server on a free port over a demo store, and `body` with a client connected to it;
    /// then shuts the server down gracefully and checks that it closed the store.
    func withServer(
        _ options: ServerOptions = ServerOptions(), demo: Bool = true,
        clientSecurity: HTTP2ClientTransport.Posix.TransportSecurity = .plaintext,
        _ body: @Sendable (Client, MetadataStore) async throws -> Void
    ) async throws {
        let store = try MetadataStore.inMemory()
        if demo { try DemoPipeline.write(into: store) }
        var options = options
        options.port = 0
        let (listening, continuation) = AsyncStream.makeStream(of: RunningServer.self)
        let serverOptions = options
        let serverTask = Task {
            try await PedigreeServer.run(store: store, options: serverOptions, logger: Logger(label: "test")) {
                continuation.yield($0)
                continuation.finish()
            }
        }
        var iterator = listening.makeAsyncIterator()
        guard let server = await iterator.next() else {
            try await serverTask.value
            Issue.record("the server did not start")
            return
        }
        do {
            try await withGRPCClient(
                transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: server.port!), transportSecurity: clientSecurity)
            ) { client in
                try await body(client, store)
            }
        } catch {
            server.shutdown()
            _ = try? await serverTask.value
            throw error
        }
        server.shutdown()
        try await serverTask.value
        // The store was closed on the way out: writes fail.
        #expect(throws: MetadataError.self) { try store.putContexts([]) }
    }

    func query(_ text: String, pageSize: Int32 = 0, token: String = "") -> Pedigree_V1_QueryRequest {
        var r = Pedigree_V1_QueryRequest()
        r.query = text
        r.pageSize = pageSize
        r.pageToken = token
        return r
    }

    func expectStatus(_ code: RPCError.Code, containing text: String = "", _ call: () async throws -> Void) async {
        do {
            try await call()
            Issue.record("expected \(code), the call succeeded")
        } catch let error as RPCError {
            #expect(error.code == code, "\(error)")
            #expect(text.isEmpty || error.message.contains(text), "\(error.message)")
        } catch {
            Issue.record("expected an RPCError \(code), got \(error)")
        }
    }

    @Test func queryReturnsNodesPathsCountsAndGroups() async throws {
        try await withServer { client, _ in
            let pedigree = Pedigree_V1_PedigreeService.Client(wrapping: client)
            // Grammar/examples/01: the models that came from run 1's raw examples.
            let models = try await pedigree.query(
                query("artifact(type = 'Examples' and name = 'chicago-taxi-run-1/examples') downstream* artifact(type = 'Model')"))
            guard case .nodes(let list)? = models.result else { Issue.record("not nodes: \(models)"); return }
            #expect(list.nodes.map(\.artifact.id) == [6, 14])
            #expect(list.nodes.allSatisfy { $0.artifact.type == "Model" })
            #expect(models.canonicalQuery.contains("downstream*"))

            // Paging: one node per page, each page continuing where the last stopped.
            let first = try await pedigree.query(query("artifact(type = 'Model')", pageSize: 1))
            #expect(first.nodes.nodes.count == 1 && !first.nextPageToken.isEmpty)
            let second = try await pedigree.query(query("artifact(type = 'Model')", pageSize: 1, token: first.nextPageToken))
            #expect(second.nodes.nodes.count == 1 && second.nodes.nodes[0].artifact.id != first.nodes.nodes[0].artifact.id)
            let all = try await pedigree.query(query("artifact(type = 'Model')"))
            #expect(all.nodes.nodes.prefix(2).map(\.artifact.id) == [first.nodes.nodes[0].artifact.id, second.nodes.nodes[0].artifact.id])
            await expectStatus(.invalidArgument, containing: "page_token") {
                _ = try await pedigree.query(query("artifact(type = 'Examples')", pageSize: 1, token: first.nextPageToken))
            }

            // Grammar/examples/05: a shortest path, with its events.
            let path = try await pedigree.query(query("shortest path artifact(id = 14) upstream* artifact(id = 1)"))
            let p = path.paths.paths[0]
            #expect(p.nodes.count == 7 && p.events.count == 6)
            #expect(p.nodes.first?.artifact.id == 14 && p.nodes.last?.artifact.id == 1)

            // Grammar/examples/03: count by type and state.
            let groups = try await pedigree.query(
                query("artifact(uri like 'gs://taxi/chicago-taxi-run-1/%') downstream* where state != DELETED return count group by type, state"))
            #expect(groups.groups.columns == ["type", "state"])
            #expect(groups.groups.rows.contains { $0.keys == ["Model", "LIVE"] && $0.count == 1 })
            let count = try await pedigree.query(query("artifact(type = 'Model') return count"))
            #expect(count.count == Int64(all.nodes.nodes.count))

            // A subgraph comes back as ml-metadata's LineageGraph, nodes in full.
            let sub = try await pedigree.query(query("artifact(id = 14) upstream{0,2} return subgraph"))
            #expect(sub.subgraph.artifacts.contains { $0.id == 14 && $0.type == "Model" })
            #expect(!sub.subgraph.events.isEmpty && !sub.subgraph.executions.isEmpty)

            // Parameters are typed.
            var withParam = query("artifact(id = $id) upstream{1,1}")
            withParam.parameters["id"] = .with { $0.intValue = 14 }
            #expect(try await pedigree.query(withParam).nodes.nodes.count >= 1)

            // Limits are never silent.
            let limited = try await pedigree.query(query("artifact(type = 'Model') limit 1"))
            #expect(limited.nodes.nodes.count == 1 && limited.hasTruncated && limited.truncated.returned == 1)
        }
    }

    @Test func badQueriesAndBudgetsGetClearStatusesAndTheServerKeepsServing() async throws {
        try await withServer { client, _ in
            let pedigree = Pedigree_V1_PedigreeService.Client(wrapping: client)
            await expectStatus(.invalidArgument, containing: "^") { _ = try await pedigree.query(query("artifact(type = ) downstream")) }
            await expectStatus(.invalidArgument, containing: "Modle") { _ = try await pedigree.query(query("artifact(type = 'Modle')")) }
            // The diagnostics also come as data, in the status details.
            do {
                _ = try await pedigree.query(query("artifact(type = 'Modle')"))
                Issue.record("no error")
            } catch let error as RPCError {
                let status = try #require(try error.unpackGoogleRPCStatus())
                let any = try #require(status.details.first?.any, "no details: \(status)")
                let diagnostics = try Pedigree_V1_QueryDiagnostics(unpackingAny: any)
                let d = try #require(diagnostics.diagnostics.first)
                #expect(diagnostics.source == "artifact(type = 'Modle')" && d.line == 1 && d.column == 17 && d.start == 16 && d.end == 23)
                #expect(d.id.hasPrefix("bind.") && d.message.contains("Modle") && d.severity == "error")
            }
            await expectStatus(.invalidArgument) { _ = try await pedigree.query(query("artifact(id = $missing)")) }
            var tight = query("artifact(type = 'Examples') downstream*")
            tight.options.maxVisits = 2
            await expectStatus(.resourceExhausted) { _ = try await pedigree.query(tight) }
            // Still serving.
            #expect(try await pedigree.query(query("artifact(type = 'Model') return count")).count > 0)
            let plan = try await pedigree.explain(.with { $0.query = "artifact(id = 14) upstream*" })
            #expect(!plan.plan.isEmpty)
            let profile = try await pedigree.explain(.with { $0.query = "artifact(id = 14) upstream*"; $0.profile = true })
            #expect(profile.plan.count > plan.plan.count)
        }
    }

    @Test func renderReturnsEachFormat() async throws {
        try await withServer { client, _ in
            let pedigree = Pedigree_V1_PedigreeService.Client(wrapping: client)
            let q = "artifact(id = 14) upstream* return subgraph"
            let svg = try await pedigree.render(.with { $0.query = q; $0.format = .svg })
            let text = String(decoding: svg.data, as: UTF8.self)
            #expect(svg.contentType == "image/svg+xml" && text.contains("<svg"))
            #expect(XMLParser(data: svg.data).parse())
            let png = try await pedigree.render(.with { $0.query = q; $0.format = .png; $0.rankdir = "TB" })
            #expect(png.contentType == "image/png" && png.data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
            let pdf = try await pedigree.render(.with { $0.query = q; $0.format = .pdf })
            #expect(String(decoding: pdf.data.prefix(5), as: UTF8.self) == "%PDF-")
            let dot = try await pedigree.render(.with { $0.query = q; $0.format = .dot })
            #expect(String(decoding: dot.data, as: UTF8.self).hasPrefix("digraph"))
            let mermaid = try await pedigree.render(.with { $0.query = q; $0.format = .mermaid })
            #expect(String(decoding: mermaid.data, as: UTF8.self).contains("flowchart"))
            let grouped = try await pedigree.render(.with { $0.query = q; $0.format = .dot; $0.maxNodes = 3 })
            #expect(!grouped.notes.isEmpty)
            await expectStatus(.invalidArgument, containing: "rankdir") {
                _ = try await pedigree.render(.with { $0.query = q; $0.rankdir = "diagonal" })
            }
            await expectStatus(.invalidArgument) { _ = try await pedigree.render(.with { $0.query = "artifact(" }) }
        }
    }

    @Test func mlmdServiceRefusesBadInputWithItsStatusCodes() async throws {
        var options = ServerOptions()
        options.maxRequestBytes = 64 << 10
        options.maxResponseBytes = 3000
        try await withServer(options) { client, _ in
            let mlmd = MlMetadata_MetadataStoreService.Client(wrapping: client)
            // Unknown ids are skipped, as in ml-metadata.
            let none = try await mlmd.getArtifactsByID(.with { $0.artifactIds = [999_999] })
            #expect(none.artifacts.isEmpty)
            await expectStatus(.notFound) { _ = try await mlmd.getArtifactType(.with { $0.typeName = "NoSuchType" }) }
            await expectStatus(.invalidArgument) {
                _ = try await mlmd.getArtifacts(.with { $0.options.filterQuery = "uri LIKE" })
            }
            await expectStatus(.invalidArgument) {
                _ = try await mlmd.putEvents(.with { $0.events = [.with { $0.artifactID = 1; $0.executionID = 999_999; $0.type = .input }] })
            }
            await expectStatus(.notFound, containing: "Cannot find type") {
                _ = try await mlmd.putArtifacts(.with { $0.artifacts = [.with { $0.typeID = 999_999 }] })
            }
            await expectStatus(.invalidArgument, containing: "starting nodes") {
                _ = try await mlmd.getLineageSubgraph(.with { $0.lineageSubgraphQueryOptions.maxNumHops = 2 })
            }
            // An oversized request is refused with a status that says which limit it broke.
            await expectStatus(.resourceExhausted, containing: "--max-request-bytes") {
                _ = try await mlmd.putContexts(.with { r in
                    r.contexts = (0..<2000).map { i in .with { $0.typeID = 1; $0.name = String(repeating: "x", count: 64) + "\(i)" } }
                })
            }
            // An oversized answer fails and says to page; a page of it is fine.
            await expectStatus(.resourceExhausted, containing: "max_result_size") { _ = try await mlmd.getArtifacts(.init()) }
            let page = try await mlmd.getArtifacts(.with { $0.options.maxResultSize = 5 })
            #expect(page.artifacts.count == 5 && !page.nextPageToken.isEmpty)
            // And the server goes on serving.
            #expect(try await mlmd.getArtifactTypes(.init()).artifactTypes.count > 3)
        }
    }

    @Test func lineageSubgraphHasNoCapsUnlessAsked() async throws {
        try await withServer(demo: false) { client, store in
            // Deep enough that the closure is more than 100 hops long.
            try store.insert(SyntheticStore.chain(executions: 1500, seed: 1))
            let mlmd = MlMetadata_MetadataStoreService.Client(wrapping: client)
            var request = MlMetadata_GetLineageSubgraphRequest()
            request.lineageSubgraphQueryOptions.startingArtifacts.filterQuery = "name = 'dataset-0'"
            request.lineageSubgraphQueryOptions.direction = .downstream
            request.lineageSubgraphQueryOptions.maxNumHops = 1000
            let deep = try await mlmd.getLineageSubgraph(request)
            let pedigree = Pedigree_V1_PedigreeService.Client(wrapping: client)
            let closure = try await pedigree.query(query("artifact(name = 'dataset-0') downstream* return subgraph"))
            #expect(Set(deep.lineageSubgraph.artifacts.map(\.id)) == Set(closure.subgraph.artifacts.map(\.id)))
            #expect(Set(deep.lineageSubgraph.executions.map(\.id)) == Set(closure.subgraph.executions.map(\.id)))
            #expect(deep.lineageSubgraph.artifacts.count > 2000)
            // Only ids, as ml-metadata's service answers.
            #expect(deep.lineageSubgraph.artifacts.allSatisfy { !$0.hasTypeID })
            request.lineageSubgraphQueryOptions.maxNumHops = 100
            let capped = try await mlmd.getLineageSubgraph(request)
            #expect(capped.lineageSubgraph.artifacts.count < deep.lineageSubgraph.artifacts.count)
        }
    }

    @Test func longQueriesEndAtTheirDeadline() async throws {
        var options = ServerOptions()
        options.queryLimits = QueryLimits(timeout: .microseconds(1))
        try await withServer(options, demo: false) { client, store in
            try store.insert(SyntheticStore.chain(executions: 3000, seed: 2))
            let pedigree = Pedigree_V1_PedigreeService.Client(wrapping: client)
            // The server's query deadline (--query-timeout) ends a whole-store walk.
            await expectStatus(.deadlineExceeded, containing: "deadline") {
                _ = try await pedigree.query(query("artifact(name = 'dataset-0') both* return count"))
            }
            // A client's own deadline ends the call too; the server goes on serving.
            var quick = CallOptions.defaults
            quick.timeout = .microseconds(1)
            await expectStatus(.deadlineExceeded) {
                _ = try await pedigree.query(query("artifact(name = 'dataset-0') both* return count"), options: quick)
            }
            let mlmd = MlMetadata_MetadataStoreService.Client(wrapping: client)
            #expect(try await mlmd.getArtifactTypes(.init()).artifactTypes.count == 3)
        }
    }

    @Test func serveRefusesBadOptionsAndBadFiles() throws {
        let dir = temporaryDirectory()
        let db = dir.appendingPathComponent("s.sqlite").path
        for bad in [["--port", "70000"], ["--max-request-bytes", "0"], ["--query-timeout", "-1"], ["--tls-cert", "c.pem"],
                    ["--log-level", "loud"]] {
            let (code, _, err) = try runPedigree(["serve", "--db", db] + bad)
            #expect(code == 64, "\(bad): \(err)")
        }
        // A file that is not an MLMD store is refused before serving, and left as it was.
        let text = dir.appendingPathComponent("notes.txt").path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: text))
        let (code, _, err) = try runPedigree(["serve", "--db", text, "--port", "0"])
        #expect(code == 65 && err.contains("not an SQLite database"), "\(err)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: text)) == Data("hello".utf8))
        // So is a missing token file.
        let (tokenCode, _, tokenErr) = try runPedigree(["serve", "--db", db, "--port", "0", "--auth-token-file", dir.appendingPathComponent("none").path])
        #expect(tokenCode == 65 && tokenErr.contains("token file"), "\(tokenErr)")
    }

    @Test func bearerTokenIsRequiredWhenConfigured() async throws {
        var options = ServerOptions()
        options.authToken = "s3cret"
        try await withServer(options) { client, _ in
            let pedigree = Pedigree_V1_PedigreeService.Client(wrapping: client)
            await expectStatus(.unauthenticated) { _ = try await pedigree.query(query("artifact(type = 'Model') return count")) }
            await expectStatus(.unauthenticated) {
                _ = try await pedigree.query(query("artifact(type = 'Model') return count"), metadata: ["authorization": "Bearer wrong"])
            }
            let ok = try await pedigree.query(query("artifact(type = 'Model') return count"), metadata: ["authorization": "Bearer s3cret"])
            #expect(ok.count > 0)
        }
    }

    /// ml-metadata answers NotFound for the contexts of a node that is in none, and of a missing id.
    @Test func contextsOfANodeInNoContextAreNotFound() async throws {
        try await withServer { client, _ in
            let mlmd = MlMetadata_MetadataStoreService.Client(wrapping: client)
            let executionType = try await mlmd.putExecutionType(.with { $0.executionType.name = "Alone" }).typeID
            let artifactType = try await mlmd.putArtifactType(.with { $0.artifactType.name = "AloneArtifact" }).typeID
            let execution = try await mlmd.putExecutions(.with { $0.executions = [.with { $0.typeID = executionType }] }).executionIds[0]
            let artifact = try await mlmd.putArtifacts(.with { $0.artifacts = [.with { $0.typeID = artifactType }] }).artifactIds[0]
            for id in [execution, 987_654] {
                await expectStatus(.notFound, containing: "No contexts found for execution_id: \(id)") {
                    _ = try await mlmd.getContextsByExecution(.with { $0.executionID = id })
                }
            }
            for id in [artifact, 987_654] {
                await expectStatus(.notFound, containing: "No contexts found for artifact_id: \(id)") {
                    _ = try await mlmd.getContextsByArtifact(.with { $0.artifactID = id })
                }
            }
            // A node in a context still gets it.
            let contexts = try await mlmd.getContextsByArtifact(.with { $0.artifactID = 1 }).contexts
            #expect(!contexts.isEmpty)
        }
    }

    /// A read is not queued behind a write. Timing cannot prove it on a loaded machine (the reads
    /// need a cooperative thread that other tests may keep busy), so the write is held open instead:
    /// a real write transaction, under the store's writer lock and on its writer queue, that ends
    /// only once the reads have answered, with a server write queued behind it. A read queued
    /// behind either would never answer, and fails on its deadline.
    @Test func readsDoNotWaitBehindALongWrite() async throws {
        try await withServer { client, store in
            let mlmd = MlMetadata_MetadataStoreService.Client(wrapping: client)
            let pedigree = Pedigree_V1_PedigreeService.Client(wrapping: client)
            let typeID = try await mlmd.putArtifactType(.with { $0.artifactType.name = "Held" }).typeID
            let release = DispatchSemaphore(value: 0)
            let (entered, inside) = AsyncStream.makeStream(of: Void.self)
            let held = Task {
                try await store.perform { s in
                    try s.write { _ in
                        inside.yield()
                        release.wait()
                    }
                }
            }
            defer { release.signal() }  // never leave the writer blocked, whatever fails below
            var iterator = entered.makeAsyncIterator()
            await iterator.next()  // the held write is in its transaction
            // A server write, queued behind it.
            let queuedDone = ManagedFlag()
            let queued = Task {
                let ids = try await mlmd.putArtifacts(.with { r in r.artifacts = [.with { $0.typeID = typeID; $0.uri = "/queued" }] })
                queuedDone.set()
                return ids.artifactIds
            }
            var options = CallOptions.defaults
            options.timeout = .seconds(60)
            for _ in 0..<10 {
                _ = try await mlmd.getArtifactTypes(.init(), options: options)
                _ = try await mlmd.getArtifactsByID(.with { $0.artifactIds = [1, 2, 3] }, options: options)
                let count = try await pedigree.query(query("artifact(type = 'Model') return count"), options: options)
                #expect(count.count > 0)
            }
            #expect(!queuedDone.isSet, "the server write finished while another write held the writer")
            release.signal()
            try await held.value
            let ids = try await queued.value
            #expect(ids.count == 1)
            #expect(store.snapshot.artifact(ArtifactID(ids[0]))?.uri == "/queued")
        }
    }

    @Test func servesTLSWithTheGivenCertificate() async throws {
        let dir = temporaryDirectory()
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0, "openssl could not make a certificate")
        var options = ServerOptions()
        options.tlsCertificatePath = cert
        options.tlsKeyPath = key
        let trusting = HTTP2ClientTransport.Posix.TransportSecurity.tls(.defaults {
            $0.trustRoots = .certificates([.file(path: cert, format: .pem)])
            $0.serverCertificateVerification = .noHostnameVerification
        })
        try await withServer(options, clientSecurity: trusting) { client, _ in
            let pedigree = Pedigree_V1_PedigreeService.Client(wrapping: client)
            let answer = try await pedigree.query(query("artifact(type = 'Model') return count"))
            #expect(answer.count > 0)
        }
        // A plaintext client gets nowhere.
        try await withServer(options) { client, _ in
            let pedigree = Pedigree_V1_PedigreeService.Client(wrapping: client)
            var quick = CallOptions.defaults
            quick.timeout = .seconds(5)
            await expectStatus(.unavailable) {
                _ = try await pedigree.query(query("artifact(type = 'Model') return count"), options: quick)
            }
        }
    }
}

/// A flag one task sets and another reads.
final class ManagedFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
