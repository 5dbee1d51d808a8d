import ArgumentParser
import Foundation
import GRPCCore
import Pedigree
import PedigreeWire

struct QueryCommand: TargetedCommand {
    static let configuration = CommandConfiguration(
        commandName: "query", abstract: "Run a lineage query (see Grammar/pedigree.ebnf and the README).",
        discussion: """
            With --server HOST:PORT (or PEDIGREE_SERVER), a running `pedigree serve` answers from the \
            store it has open, and the output is what --db prints.
            """)

    @OptionGroup var target: TargetOptions
    @Argument(help: "The query, e.g. \"artifact(type = 'Dataset') downstream* artifact(type = 'Model')\"; '-' reads it from standard input.")
    var text: String
    @Option(help: "table, json, csv or ids") var format: ResultFormat = .table
    @OptionGroup var options: QueryOptions
    @Flag(help: "Print the open time and the query time (median of --repeat runs; with --server, of round trips) on standard error.")
    var timing = false
    @Option(help: "Run the query this many times on the open store or the server (with --timing: the median).") var `repeat`: Int = 1

    func validate() throws {
        if `repeat` < 1 { throw ValidationError("--repeat must be at least 1") }
    }

    func runLocal(_ path: String) throws {
        try PedigreeCommand.run {
            let clock = ContinuousClock()
            let openStart = clock.now
            let snapshot = try MetadataStore(path: path, mode: .readOnly).snapshot
            let openTime = clock.now - openStart
            let parameters = try options.parameters()
            let text = readQuery(self.text)
            let plan: Plan
            do {
                plan = try snapshot.plan(text, parameters: parameters)
            } catch let error as QueryError {
                try reportQueryError(error, json: format == .json)
            }
            var result: QueryResult?
            var times: [Duration] = []
            for _ in 0..<`repeat` {
                let t0 = clock.now
                let answer = try snapshot.run(plan, limits: options.limits)
                times.append(clock.now - t0)
                // The previous run's result is freed here, outside the time of this one.
                result = answer
            }
            var out = Output()
            if plan.query.mode == .explain {
                out.line(ExplainRenderer.render(plan))
            } else if plan.query.mode == .profile {
                out.line(ExplainRenderer.render(plan, profile: result!.profile))
            } else {
                ResultPrinter(snapshot: snapshot, format: format).print(result!, to: &out)
            }
            out.flush()
            if timing {
                let median = times.sorted()[times.count / 2]
                printError("open: \(describe(openTime)); query: \(describe(median)) (median of \(times.count))")
            }
        }
    }

    /// The query over Pedigree's gRPC service, printed as a local run prints it.
    func runRemote(_ address: ServerAddress) async throws {
        try await PedigreeCommand.run {
            var request = Pedigree_V1_QueryRequest()
            request.query = readQuery(self.text)
            (request.parameters, request.options) = try ServerCall.wire(options)
            let callOptions = ServerCall.options(timeout: options.timeout)
            let runs = `repeat`
            let (response, times) = try await ServerCall.run(address, json: format == .json) { client in
                let clock = ContinuousClock()
                var response = Pedigree_V1_QueryResponse()
                var times: [Duration] = []
                for _ in 0..<runs {
                    let t0 = clock.now
                    response = try await Self.fetch(request, from: client, options: callOptions)
                    times.append(clock.now - t0)
                }
                return (response, times)
            }
            var out = Output()
            try WireResultPrinter(format: format).print(response, to: &out)
            out.flush()
            if timing {
                let median = times.sorted()[times.count / 2]
                printError("server: \(address); query: \(describe(median)) (median of \(times.count) round trips)")
            }
        }
    }

    /// Rows per page when an answer is larger than the server sends in one response (halved
    /// while a page is still too large).
    static let pageSize: Int32 = 100_000

    /// The whole answer: in one response, or, when it is larger than the server sends at once
    /// (RESOURCE_EXHAUSTED, its --max-response-bytes), in pages put back together. Each page is
    /// a read of its own, of the snapshot current when it is asked for.
    static func fetch(
        _ request: Pedigree_V1_QueryRequest, from client: PedigreeClient, options: CallOptions
    ) async throws -> Pedigree_V1_QueryResponse {
        var paged = request
        var whole: Pedigree_V1_QueryResponse?
        var tooLarge: RPCError?
        while true {
            let page: Pedigree_V1_QueryResponse
            do {
                page = try await client.query(paged, options: options)
            } catch let error as RPCError where error.code == .resourceExhausted && error.message.contains("--max-response-bytes") {
                guard paged.pageSize != 1 else { throw error }
                tooLarge = tooLarge ?? error
                paged.pageSize = paged.pageSize == 0 ? pageSize : paged.pageSize / 2
                continue
            } catch let error as RPCError where error.code == .invalidArgument && whole == nil && tooLarge != nil {
                // A subgraph comes whole, never in pages: the answer is simply too large.
                throw tooLarge!
            }
            guard var all = whole else {
                whole = page
                if page.nextPageToken.isEmpty { return page }
                paged.pageToken = page.nextPageToken
                continue
            }
            switch (all.result, page.result) {
            case (.nodes(var nodes)?, .nodes(let more)?):
                nodes.nodes += more.nodes
                all.nodes = nodes
            case (.paths(var paths)?, .paths(let more)?):
                paths.paths += more.paths
                all.paths = paths
            default:
                throw MetadataError.internal("the pages of one answer differ in kind")
            }
            all.nextPageToken = page.nextPageToken
            whole = all
            if page.nextPageToken.isEmpty { return all }
            paged.pageToken = page.nextPageToken
        }
    }
}
