// Benchmarks on generated chain stores, release build (`make bench`):
// - storage: bulk import rate, open time (file to ready graph), resident memory per node and edge;
// - queries: parse + plan, provenance and impact questions with small answers, and full
//   downstream closures (edges per second), each the median of many runs on an open store.
// - tfx stores of the same sizes (`pedigree generate --shape tfx`): bulk insert, open, and two
//   questions a platform asks: the models trained from a dataset, and what a deletion of one
//   run's data would affect, counted by type.
//
// - durable writes: single-execution put_execution latency on a file (each call its own
//   transaction, WAL with synchronous = FULL), median of --write-calls calls.
//
// - import against SQLite's own rate: with --cimport (Benchmarks/cbfs/cimport.c), the records that
//   the bulk insert wrote are written again by plain SQL (prepared statements, one transaction, the
//   same durability) into a fresh MLMD schema, and each Pedigree import rate is given as a share of it.
//
//   PedigreeBenchmarks [--sizes 20000,200000] [--dir DIR] [--repeat N] [--write-calls N] [--cimport PATH]
//   PedigreeBenchmarks put-execution [--write-calls N] [--dir DIR] [--db URL]   (only the write latency;
//       with --db, on a new database of a MySQL or PostgreSQL server)
//   PedigreeBenchmarks open-time --db LOCATION [--repeat N]   (median open seconds, nodes, events)
//   PedigreeBenchmarks open-rss FILE     (internal: prints the resident bytes an open adds)

import Foundation
import Pedigree
import PedigreeFixtures

func residentBytes() -> Int {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = statm.split(separator: " ")
    return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

func label(_ n: Int) -> String { n % 1000 == 0 ? "\(n / 1000)k" : "\(n)" }

let arguments = CommandLine.arguments

if arguments.count == 3, arguments[1] == "open-rss" {
    // A fresh process, so the figure is the open's alone.
    let before = residentBytes()
    let store = try MetadataStore(path: arguments[2], mode: .readOnly)
    let counts = StoreCounts(store.snapshot)
    let after = residentBytes()
    print(after - before, counts.artifacts + counts.executions + counts.contexts, counts.events)
    exit(0)
}

func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}
let writeCalls = Int(option("--write-calls") ?? "300") ?? 300

/// Durable single-execution writes: each call is MLMD's PutExecution of one execution with 2
/// input artifacts (the previous call's outputs, passed with their ids, as TFX passes inputs),
/// 2 new output artifacts and 1 context (reused by name), in its own transaction on a file.
/// The same workload as the ml-metadata figure of Benchmarks/peers/run_peers.py. With `server`
/// (a database URL naming a new database), on that database server instead of a file.
func putExecutionLatency(dir: String, calls: Int, server: String? = nil) throws -> (median: Double, p90: Double) {
    let path = server ?? "\(dir)/put-execution.sqlite"
    for suffix in ["", "-wal", "-shm"] where server == nil { try? FileManager.default.removeItem(atPath: path + suffix) }
    let store = try MetadataStore(path: path)
    defer {
        store.close()
        for suffix in ["", "-wal", "-shm"] where server == nil { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
    let dataset = try store.putType(NodeType(kind: .artifact, name: "Dataset"))
    let model = try store.putType(NodeType(kind: .artifact, name: "Model"))
    let trainer = try store.putType(NodeType(kind: .execution, name: "Trainer"))
    let run = try store.putType(NodeType(kind: .context, name: "PipelineRun"))
    var inputs = try store.putArtifacts([
        Artifact(typeID: dataset, name: "input-0", uri: "/data/input-0", state: .live),
        Artifact(typeID: dataset, name: "input-1", uri: "/data/input-1", state: .live),
    ]).enumerated().map { i, id in
        Artifact(id: id, typeID: dataset, name: "input-\(i)", uri: "/data/input-\(i)", state: .live)
    }
    var times: [Double] = []
    for c in 0..<calls {
        let outputs = (0..<2).map { j in Artifact(typeID: model, name: "m-\(c)-\(j)", uri: "/data/m-\(c)-\(j)", state: .live) }
        let pairs =
            inputs.map { MetadataStore.ArtifactAndEvent(artifact: $0, event: Event(type: .input)) }
            + outputs.map { MetadataStore.ArtifactAndEvent(artifact: $0, event: Event(type: .output)) }
        let execution = Execution(typeID: trainer, name: "e-\(c)", lastKnownState: .complete)
        let context = Context(typeID: run, name: "bench-run")
        var result: MetadataStore.PutExecutionResult?
        times.append(try seconds {
            result = try store.putExecution(execution, artifactsAndEvents: pairs, contexts: [context], reuseContextIfAlreadyExist: true)
        })
        let ids = result!.artifactIDs
        inputs = outputs.enumerated().map { j, a in
            var a = a
            a.id = ids[2 + j]
            return a
        }
    }
    let sorted = times.sorted()
    return (sorted[sorted.count / 2], sorted[sorted.count * 9 / 10])
}

let sizes = (option("--sizes") ?? "20000,200000").split(separator: ",").compactMap { Int($0) }
let repeats = Int(option("--repeat") ?? "3") ?? 3
let dir = option("--dir") ?? NSTemporaryDirectory() + "pedigree-bench-\(getpid())"
try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)

func printPutExecution() throws {
    let server = option("--db")
    let w = try putExecutionLatency(dir: dir, calls: writeCalls, server: server)
    let target = server.map { $0.hasPrefix("mysql") ? "mysql" : "postgresql" } ?? "file"
    print("| put_execution.durable.\(target) | \(format(w.median)) median, \(format(w.p90)) p90 of \(writeCalls) calls (1 execution, 2 input + 2 output artifacts, 1 context; own transaction each) |")
}

if arguments.count > 1, arguments[1] == "open-time", let location = option("--db") {
    // File or server to ready graph, read-only, the median of --repeat opens.
    var times: [Double] = []
    var counts = StoreCounts()
    for _ in 0..<(Int(option("--repeat") ?? "3") ?? 3) {
        times.append(try seconds { counts = StoreCounts(try MetadataStore(path: location, mode: .readOnly).snapshot) })
    }
    print(String(format: "%.3f", median(times)), counts.artifacts + counts.executions + counts.contexts, counts.events)
    exit(0)
}

if arguments.count > 1, arguments[1] == "put-execution" {
    print("| benchmark | value |")
    print("| --- | --- |")
    try printPutExecution()
    try? FileManager.default.removeItem(atPath: dir)
    exit(0)
}

/// The median time of Benchmarks/cbfs/cimport.c writing every row of `source` into a new file.
func sqlImportTime(_ binary: String, from source: String, to target: String, repeats: Int) throws -> Double {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.arguments = ["--from", source, "--to", target, "--repeat", "\(repeats)"]
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: target + suffix) }
    guard p.terminationStatus == 0, let field = out.split(separator: " ").dropFirst().first, let t = Double(field) else {
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "cimport failed: \(out)"])
    }
    return t
}

func openRSS(_ path: String) throws -> (bytes: Int, nodes: Int, edges: Int) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    p.arguments = ["open-rss", path]
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    let f = out.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
    return (f[0], f[1], f[2])
}

print("| benchmark | value |")
print("| --- | --- |")
for n in sizes {
    let name = "chain.n\(label(n))"
    let contents = SyntheticStore.chain(executions: n, seed: 42)
    let nodes = contents.artifacts.count + contents.executions.count + contents.contexts.count
    let rows = nodes + contents.events.count + contents.attributions.count + contents.associations.count

    // Bulk insert of typed records (what `generate` does), into a new file.
    var insertTimes: [Double] = []
    let path = "\(dir)/\(name).sqlite"
    for _ in 0..<repeats {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let store = try MetadataStore(path: path)
        insertTimes.append(try seconds { try store.insert(contents) })
        store.close()
    }
    let insert = median(insertTimes)
    print("| insert.\(name) | \(String(format: "%.2f", insert)) s: \(Int(Double(contents.events.count) / insert)) events/s, \(Int(Double(rows) / insert)) records/s |")

    // The JSON-lines import path (`pedigree import`), from an export of the same store.
    var lines: [String] = []
    Interchange.export(try MetadataStore(path: path, mode: .readOnly).snapshot) { lines.append($0) }
    let text = lines.joined(separator: "\n")
    var importTimes: [Double] = []
    let importPath = "\(dir)/\(name).import.sqlite"
    for _ in 0..<repeats {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: importPath + suffix) }
        let store = try MetadataStore(path: importPath)
        importTimes.append(try seconds { try store.importRecords(text: text) })
        store.close()
    }
    let imp = median(importTimes)
    print("| import.jsonl.\(name) | \(String(format: "%.2f", imp)) s: \(Int(Double(contents.events.count) / imp)) events/s, \(Int(Double(lines.count) / imp)) lines/s |")

    // SQLite's own rate for the same rows, in one run with Pedigree's.
    if let cimport = option("--cimport") {
        let sqlTime = try sqlImportTime(cimport, from: path, to: "\(dir)/\(name).cimport.sqlite", repeats: repeats)
        print("| import.sql.\(name) | \(String(format: "%.2f", sqlTime)) s: \(Int(Double(rows) / sqlTime)) records/s (plain SQL, prepared statements, the same rows and durability); Pedigree's bulk insert at \(Int((sqlTime / insert * 100).rounded()))% of this rate, JSON-lines import at \(Int((sqlTime / imp * 100).rounded()))% |")
    }

    // Open: file to ready graph.
    var openTimes: [Double] = []
    for _ in 0..<repeats {
        openTimes.append(try seconds { _ = try MetadataStore(path: path, mode: .readOnly).snapshot })
    }
    print("| open.\(name) | \(String(format: "%.3f", median(openTimes))) s (\(nodes) nodes, \(contents.events.count) events) |")

    // Memory: the same nodes with and without their events, each opened in a fresh process.
    var nodesOnly = contents
    nodesOnly.events = []
    let nodesPath = "\(dir)/\(name).nodes.sqlite"
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: nodesPath + suffix) }
    let s2 = try MetadataStore(path: nodesPath)
    try s2.insert(nodesOnly)
    s2.close()
    let full = try openRSS(path)
    let bare = try openRSS(nodesPath)
    let perNode = Double(bare.bytes) / Double(bare.nodes)
    let perEdge = Double(full.bytes - bare.bytes) / Double(max(full.edges, 1))
    print("| memory.\(name) | \(full.bytes / 1_048_576) MiB resident for the open store: \(Int(perNode)) B per node (with its attributions and associations), \(Int(perEdge)) B per event |")

    try queryBenchmarks(name: name, snapshot: try MetadataStore(path: path, mode: .readOnly).snapshot, executions: n)
}

/// The median time of `runs` calls, in seconds.
func medianTime(runs: Int, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<runs { times.append(try seconds(body)) }
    return median(times)
}

func format(_ s: Double) -> String {
    if s < 1e-3 { return String(format: "%.1f µs", s * 1e6) }
    if s < 1 { return String(format: "%.2f ms", s * 1e3) }
    return String(format: "%.2f s", s)
}

/// The nodes a result counts or holds.
func answerSize(_ r: QueryResult) -> Int {
    switch r.rows {
    case .nodes(let nodes): nodes.count
    case .count(let c): c
    case .groups(let rows): rows.reduce(0) { $0 + $1.count }
    case .subgraph(let s): s.artifacts.count + s.executions.count
    case .paths(let p): p.count
    }
}

func queryBenchmarks(name: String, snapshot g: GraphSnapshot, executions n: Int) throws {
    let small = "artifact(name = 'a-\(n / 2)-0') upstream{1,6}"
    let cases: [(String, String)] = [
        ("provenance.depth6", small),
        ("impact.depth6", "artifact(name = 'a-\(n / 2)-1') downstream{1,6}"),
        ("provenance.depth20", "artifact(name = 'a-\(n - 1)-0') upstream{1,20} return count"),
        ("impact.count.depth4", "artifact(name = 'a-\(n / 3)-0') both{1,4} return count group by type"),
        ("shortest-path", "shortest path artifact(name = 'a-\(n / 2)-0') upstream* artifact(type = 'Dataset')"),
    ]
    let plan = medianTime(runs: 2000) { _ = try? g.plan(small) }
    print("| parse+bind+plan.\(name) | \(format(plan)) |")
    for (label, q) in cases {
        let p = try g.plan(q)
        let r = try g.run(p)
        let t = try medianTime(runs: 200) { _ = try g.run(p) }
        print("| \(label).\(name) | \(format(t)) median, \(answerSize(r)) nodes in the answer |")
    }
    // Full downstream closure from every dataset: each event is followed at most once.
    let closure = try g.plan("artifact(type = 'Dataset') downstream* return count")
    let reached = try g.run(closure)
    let t = try medianTime(runs: 9) { _ = try g.run(closure) }
    let edgesPerSecond = Double(StoreCounts(g).events) / t
    print("| closure.downstream.\(name) | \(format(t)) median, \(answerSize(reached)) nodes, \(String(format: "%.1f", edgesPerSecond / 1e6))M edges/s |")
}

/// The tfx workload: pipelines of TFX components, many runs each, with cached executions, warm
/// starts and failed runs. Its pipeline-0 trains continuously (each Trainer warm-starts from the
/// previous model), so its closures run through every later run: the questions below ask it.
func tfxBenchmarks(executions n: Int) throws {
    let name = "tfx.n\(label(n))"
    let contents = SyntheticStore.tfx(executions: n, seed: 42)
    let path = "\(dir)/\(name).sqlite"
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    let store = try MetadataStore(path: path)
    let insert = try seconds { try store.insert(contents) }
    store.close()
    let nodes = contents.artifacts.count + contents.executions.count + contents.contexts.count
    let pipelines = SyntheticStore.tfxPipelineCount(executions: n)
    let rows = nodes + contents.events.count + contents.attributions.count + contents.associations.count + contents.parentContexts.count
    print("| insert.\(name) | \(String(format: "%.2f", insert)) s: \(Int(Double(contents.events.count) / insert)) events/s, \(Int(Double(rows) / insert)) records/s (\(pipelines) pipeline\(pipelines == 1 ? "" : "s"), \(contents.parentContexts.count) runs) |")
    var openTimes: [Double] = []
    for _ in 0..<repeats {
        openTimes.append(try seconds { _ = try MetadataStore(path: path, mode: .readOnly).snapshot })
    }
    print("| open.\(name) | \(String(format: "%.3f", median(openTimes))) s (\(nodes) nodes, \(contents.events.count) events) |")

    let g = try MetadataStore(path: path, mode: .readOnly).snapshot
    // One run's data: the Examples of the first run from the middle of pipeline-0 on that made
    // its own (a run whose ExampleGen was cached has none).
    let runs = contents.contexts.filter { $0.name.hasPrefix("pipeline-0-run-") }.count
    let own = Set(contents.artifacts.lazy.compactMap(\.name).filter { $0.hasPrefix("pipeline-0-run-") && $0.hasSuffix("/examples") })
    guard let examples = (runs / 2..<runs).lazy.map({ "pipeline-0-run-\($0)/examples" }).first(where: own.contains) else {
        print("| deletion-impact.by-type.\(name) | no run of pipeline-0 has examples of its own |")
        return
    }
    let cases = [
        ("models-from-dataset", "artifact(type = 'Dataset' and name = 'dataset-0-2') downstream* artifact(type = 'Model')"),
        ("deletion-impact.by-type", "artifact(name = '\(examples)') downstream* return count group by type"),
    ]
    for (label, q) in cases {
        let p = try g.plan(q)
        let r = try g.run(p)
        let t = try medianTime(runs: 50) { _ = try g.run(p) }
        print("| \(label).\(name) | \(format(t)) median, \(answerSize(r)) nodes in the answer |")
    }

    // The same walk counted, and counted by type: grouping should cost little beyond the count.
    let walk = "artifact(type = 'Dataset') downstream*"
    let count = try g.plan("\(walk) return count"), byType = try g.plan("\(walk) return count group by type")
    let counted = try g.run(count), grouped = try g.run(byType)
    let tCount = try medianTime(runs: 21) { _ = try g.run(count) }
    let tByType = try medianTime(runs: 21) { _ = try g.run(byType) }
    print("| closure.count.\(name) | \(format(tCount)) median, \(answerSize(counted)) nodes (`\(walk) return count`) |")
    print("| closure.count-by-type.\(name) | \(format(tByType)) median, \(answerSize(grouped)) nodes (`... return count group by type`): \(String(format: "%.1f", tByType / tCount))× the count |")

    // A large diagram with clusters: one run's data and everything downstream of it, as
    // `pedigree render --cluster-by context-type pipeline_run` draws it (the CLI's options).
    let runContextType = "pipeline_run"  // the tfx generator's context type of one pipeline run
    let subgraph = try g.query("artifact(name = '\(examples)') downstream* return subgraph")
    let options = DiagramOptions(clusterContextType: runContextType)
    var diagram = try g.diagram(subgraph, options: options)
    let tBuild = try medianTime(runs: 3) { diagram = try g.diagram(subgraph, options: options) }
    var svgBytes = 0
    let tLayout = try medianTime(runs: 3) { svgBytes = try diagram.render().count }
    print("| render.clustered.\(name) | \(format(tBuild + tLayout)) median: diagram \(format(tBuild)), layout and SVG \(format(tLayout)) (\(answerSize(subgraph)) nodes in the subgraph, drawn as \(diagram.nodes.count) nodes and \(diagram.edges.count) edges, clusters by \(runContextType), \(svgBytes / 1024) KiB) |")

    try deleteBenchmarks(name: name, path: path, contents: contents)
}

/// Safe delete on the tfx workload: the dry run and the purge of one run, and of the oldest tenth
/// of every pipeline's runs, beside the same impact and purge in plain SQL (Benchmarks/cbfs/cpurge.c,
/// with --cpurge): the counts and a recursive CTE for what lies downstream, then the DELETEs.
/// Pedigree's purge time includes reading the graph again after the commit.
func deleteBenchmarks(name: String, path: String, contents: StoreContents) throws {
    let runs = contents.contexts.filter { $0.name.hasPrefix("pipeline-0-run-") }.count
    let pipelines = SyntheticStore.tfxPipelineCount(executions: contents.executions.count)
    let keep = max(1, Int((Double(contents.parentContexts.count) / Double(pipelines) * 0.9).rounded()))
    let cases: [(String, DeleteSelection)] = [
        ("one-run", .query("node() in context(name = 'pipeline-0-run-\(runs / 2)')")),
        ("oldest-tenth", .policy(try RetentionPolicy(
            "rule oldest-tenth\n  select node() in context(type = 'pipeline_run')\n  keep last \(keep) runs of pipeline_run per pipeline\n"))),
    ]
    let nodes = contents.artifacts.count + contents.executions.count + contents.contexts.count
    for (label, selection) in cases {
        let reader = try MetadataStore(path: path, mode: .readOnly)
        let options = DeleteOptions(mode: .purge, force: true)
        let impact = try reader.deletionImpact(of: selection, options: options)
        let dry = try medianTime(runs: 5) { _ = try reader.deletionImpact(of: selection, options: options) }
        var all = options
        all.sampleSize = Int.max
        let listed = try reader.deletionImpact(of: selection, options: all).deleted.sample
        reader.close()

        var purgeTimes: [Double] = []
        let copy = "\(dir)/\(name).delete.sqlite"
        for _ in 0..<3 {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: copy + suffix) }
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            let store = try MetadataStore(path: copy, mode: .readWrite)
            let token = try store.deletionImpact(of: selection, options: options).token
            purgeTimes.append(try seconds { try store.delete(selection, options: options, token: token) })
            store.close()
        }
        let purge = median(purgeTimes)
        let share = Double(impact.deleted.count) / Double(nodes) * 100
        var dryLine = "| delete.dry-run.\(label).\(name) | \(format(dry)) median: \(impact.deleted.count) nodes (\(String(format: "%.1f", share))% of the store), \(impact.events) events, \(impact.losingProvenance.count) nodes downstream losing provenance"
        var purgeLine = "| delete.purge.\(label).\(name) | \(format(purge)) median (the transaction, then the graph read again)"
        if let cpurge = option("--cpurge") {
            let ids = "\(dir)/\(name).delete.ids"
            try listed.map { "\($0.kind) \($0.id)" }.joined(separator: "\n").write(toFile: ids, atomically: true, encoding: .utf8)
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: copy + suffix) }
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: cpurge)
            p.arguments = ["--db", copy, "--ids", ids]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            let f = out.split(whereSeparator: { $0.isWhitespace || $0 == "(" }).compactMap { Double($0) }
            if f.count >= 7 {
                let (sqlImpact, reached, sqlEvents, sqlPurge) = (f[0], Int(f[1]), Int(f[2]), f[5])
                let agree = reached == impact.losingProvenance.count && sqlEvents == impact.events ? "" : " (plain SQL counted \(reached) downstream and \(sqlEvents) events: they differ)"
                dryLine += "; plain SQL (counts and a recursive CTE): \(format(sqlImpact)), \(String(format: "%.1f", sqlImpact / dry))× Pedigree's time\(agree)"
                purgeLine += "; plain SQL DELETEs alone: \(format(sqlPurge)) (\(String(format: "%.1f", purge / sqlPurge))× Pedigree's)"
            } else {
                dryLine += "; cpurge failed: \(out)"
            }
        }
        print(dryLine + " |")
        print(purgeLine + " |")
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: copy + suffix) }
    }
}

for n in sizes { try tfxBenchmarks(executions: n) }
try renderBenchmarks()
try printPutExecution()
try? FileManager.default.removeItem(atPath: dir)
