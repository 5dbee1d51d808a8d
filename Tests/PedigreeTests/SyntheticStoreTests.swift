import Foundation
import Pedigree
import PedigreeFixtures
import Testing

/// The `tfx` workload of `pedigree generate --shape tfx`: its shape, its determinism, that it is
/// a valid store, and that the platform questions asked of it get the answers a plain walk of
/// its events gives.
@Suite struct SyntheticStoreTests {
    /// Two pipelines: pipeline-0 trains continuously (warm starts), pipeline-1 from scratch.
    static let executions = 12_000
    static let contents = SyntheticStore.tfx(executions: executions, seed: 5)
    static let store: MetadataStore = {
        let store = try! MetadataStore(path: temporaryStorePath())
        try! store.insert(contents)
        return store
    }()

    /// The contents indexed for the checks below.
    struct Index {
        var typeName: [Int64: String] = [:]
        var artifacts: [Int64: Artifact] = [:]
        var executions: [Int64: Execution] = [:]
        var contexts: [Int64: Context] = [:]
        var inputs: [Int64: [Event]] = [:]     // by execution
        var outputs: [Int64: [Event]] = [:]    // by execution
        var readers: [Int64: [Int64]] = [:]    // artifact -> executions with an INPUT event from it
        var producers: [Int64: [Int64]] = [:]  // artifact -> executions with an OUTPUT event to it
        var associations: [Int64: [Int64]] = [:]  // execution -> contexts

        init(_ c: StoreContents) {
            for t in c.types { typeName[t.id!.rawValue] = t.name }
            for a in c.artifacts { artifacts[a.id!.rawValue] = a }
            for e in c.executions { executions[e.id!.rawValue] = e }
            for x in c.contexts { contexts[x.id!.rawValue] = x }
            for (_, e) in c.events {
                let a = e.artifactID!.rawValue, x = e.executionID!.rawValue
                if e.type == .input {
                    inputs[x, default: []].append(e)
                    readers[a, default: []].append(x)
                } else {
                    outputs[x, default: []].append(e)
                    producers[a, default: []].append(x)
                }
            }
            for (_, a) in c.associations { associations[a.executionID.rawValue, default: []].append(a.contextID.rawValue) }
        }

        func type(of e: Execution) -> String { typeName[e.typeID.rawValue]! }
        func type(of a: Artifact) -> String { typeName[a.typeID.rawValue]! }

        /// The run context of an execution.
        func run(of x: Int64) -> Context {
            associations[x]!.map { contexts[$0]! }.first { typeName[$0.typeID.rawValue] == "pipeline_run" }!
        }

        /// Everything downstream of an artifact (one or more hops), by a plain breadth-first walk.
        func downstream(of start: Int64) -> (artifacts: Set<Int64>, executions: Set<Int64>) {
            var artifacts: Set<Int64> = [], executions: Set<Int64> = []
            var frontier = [start]
            while !frontier.isEmpty {
                var next: [Int64] = []
                for a in frontier {
                    for x in readers[a] ?? [] where executions.insert(x).inserted {
                        for e in outputs[x] ?? [] where artifacts.insert(e.artifactID!.rawValue).inserted {
                            next.append(e.artifactID!.rawValue)
                        }
                    }
                }
                frontier = next
            }
            artifacts.remove(start)
            return (artifacts, executions)
        }

        func artifact(named name: String) -> Artifact? { artifacts.values.first { $0.name == name } }
    }

    static let index = Index(contents)

    @Test func tfxIsDeterministicForASeed() {
        let a = SyntheticStore.tfx(executions: 3_000, seed: 11)
        let b = SyntheticStore.tfx(executions: 3_000, seed: 11)
        let c = SyntheticStore.tfx(executions: 3_000, seed: 12)
        #expect(a.types == b.types)
        #expect(a.artifacts == b.artifacts)
        #expect(a.executions == b.executions)
        #expect(a.contexts == b.contexts)
        #expect(a.events.map(\.rowID) == b.events.map(\.rowID) && a.events.map(\.event) == b.events.map(\.event))
        #expect(a.attributions.map(\.attribution) == b.attributions.map(\.attribution))
        #expect(a.associations.map(\.association) == b.associations.map(\.association))
        #expect(a.parentContexts == b.parentContexts)
        // Another seed caches and fails other runs.
        #expect(a.executions.map(\.lastKnownState) != c.executions.map(\.lastKnownState))
    }

    @Test func tfxHasExactlyTheExecutionsAskedForWithDenseIDs() {
        let c = Self.contents
        #expect(c.executions.count == Self.executions)
        #expect(c.artifacts.map(\.id!.rawValue) == Array(1...Int64(c.artifacts.count)))
        #expect(c.executions.map(\.id!.rawValue) == Array(1...Int64(c.executions.count)))
        #expect(c.contexts.map(\.id!.rawValue) == Array(1...Int64(c.contexts.count)))
        #expect(c.events.map(\.rowID) == Array(1...Int64(c.events.count)))
        #expect(c.attributions.map(\.rowID) == Array(1...Int64(c.attributions.count)))
        #expect(c.associations.map(\.rowID) == Array(1...Int64(c.associations.count)))
        for n in [1, 7, 8, 9, 100] {
            #expect(SyntheticStore.tfx(executions: n, seed: 1).executions.count == n)
        }
    }

    @Test func generateWritesTheTFXShape() throws {
        let path = temporaryStorePath()
        let (code, out, err) = try runPedigree(["generate", "--db", path, "--shape", "tfx", "--executions", "500", "--seed", "2"])
        #expect(code == 0, "\(err)")
        #expect(out.contains("500 executions"))
        let c = SyntheticStore.tfx(executions: 500, seed: 2)
        let g = try MetadataStore(path: path, mode: .readOnly).snapshot
        #expect(g.artifacts.count == c.artifacts.count && g.executions.count == 500 && g.contexts.count == c.contexts.count)
        #expect(g.events.count == c.events.count)
        let (bad, _, message) = try runPedigree(["generate", "--db", temporaryStorePath(), "--shape", "star", "--executions", "5"])
        #expect(bad == 64 && message.contains("tfx"), "\(message)")
    }

    @Test func tfxIsAValidStore() throws {
        let report = try Self.store.check()
        #expect(report.isHealthy, "\(report.problems)")
        #expect(report.warnings.isEmpty, "\(report.warnings)")
        let g = Self.store.snapshot
        #expect(g.artifacts.count == Self.contents.artifacts.count)
        #expect(g.executions.count == Self.executions)
        #expect(g.events.count == Self.contents.events.count)
    }

    @Test func pipelinesAndRuns() {
        let x = Self.index, c = Self.contents
        let pipelines = c.contexts.filter { x.typeName[$0.typeID.rawValue] == "pipeline" }
        let runs = c.contexts.filter { x.typeName[$0.typeID.rawValue] == "pipeline_run" }
        #expect(pipelines.map(\.name) == (0..<SyntheticStore.tfxPipelineCount(executions: Self.executions)).map { "pipeline-\($0)" })
        #expect(pipelines.count == 2)
        #expect(runs.count > 1_400 && runs.count < 1_600)  // 12,000 executions at 8 or fewer per run
        // Every run is a child of its pipeline, and nothing else has a parent.
        #expect(c.parentContexts.count == runs.count)
        let parent = Dictionary(uniqueKeysWithValues: c.parentContexts.map { ($0.childID.rawValue, $0.parentID.rawValue) })
        for run in runs {
            let p = x.contexts[parent[run.id!.rawValue]!]!
            #expect(run.name.hasPrefix(p.name + "-run-"), "\(run.name) in \(p.name)")
        }
        // Every execution is in its pipeline and its run, and every run starts with ExampleGen.
        var perRun: [String: [String]] = [:]
        for e in c.executions {
            let contexts = x.associations[e.id!.rawValue]!.map { x.contexts[$0]!.name }
            let run = x.run(of: e.id!.rawValue).name
            #expect(contexts.count == 2 && contexts.contains(run) && run.hasPrefix(contexts.first { $0 != run }! + "-run-"))
            #expect(e.name == "\(run).\(x.type(of: e))")
            perRun[run, default: []].append(x.type(of: e))
        }
        let components = ["ExampleGen", "StatisticsGen", "SchemaGen", "ExampleValidator", "Transform", "Trainer", "Evaluator", "Pusher"]
        #expect(perRun.count == runs.count)
        for (run, types) in perRun {
            #expect(types == Array(components.prefix(types.count)), "\(run): \(types)")
        }
        // A handful of datasets per pipeline, each read by many ExampleGens.
        let datasets = c.artifacts.filter { x.type(of: $0) == "Dataset" }
        #expect(datasets.count == 2 * SyntheticStore.tfxDatasetsPerPipeline)
        for d in datasets {
            let readers = x.readers[d.id!.rawValue] ?? []
            #expect(readers.count > 50, "\(d.name!)")
            #expect(readers.allSatisfy { x.type(of: x.executions[$0]!) == "ExampleGen" })
            #expect(x.producers[d.id!.rawValue] == nil)
        }
    }

    @Test func cachedExecutionsReuseEarlierOutputs() {
        let x = Self.index, c = Self.contents
        let cached = c.executions.filter { $0.lastKnownState == .cached }
        #expect(cached.count > Self.executions / 20)
        #expect(Set(cached.map { x.type(of: $0) }) == ["ExampleGen", "StatisticsGen", "SchemaGen", "ExampleValidator", "Transform", "Trainer", "Evaluator", "Pusher"])
        // Every artifact but the datasets has one producer that is not cached, created before it.
        for a in c.artifacts where x.type(of: a) != "Dataset" {
            let producers = x.producers[a.id!.rawValue]!.map { x.executions[$0]! }
            let fresh = producers.filter { $0.lastKnownState != .cached }
            #expect(fresh.count == 1 && fresh[0].lastKnownState == .complete, "\(a.name!)")
        }
        // A cached execution repeats an earlier one of its type in its pipeline: the same inputs,
        // and as its outputs the artifacts that one wrote; it writes none of its own.
        for e in cached {
            let outputs = x.outputs[e.id!.rawValue] ?? []
            #expect(!outputs.isEmpty)
            let producer = x.executions[x.producers[outputs[0].artifactID!.rawValue]!.min()!]!
            #expect(producer.id! < e.id! && producer.lastKnownState == .complete && producer.typeID == e.typeID)
            #expect(x.run(of: producer.id!.rawValue).name != x.run(of: e.id!.rawValue).name)
            let pipeline = { (e: Execution) in e.name!.prefix { $0 != "." }.split(separator: "-").prefix(2) }
            #expect(pipeline(producer) == pipeline(e))
            #expect(Set(outputs.map(\.artifactID)) == Set(x.outputs[producer.id!.rawValue]!.map(\.artifactID)))
            #expect(Set(x.inputs[e.id!.rawValue]!.map(\.artifactID)) == Set(x.inputs[producer.id!.rawValue]!.map(\.artifactID)))
        }
    }

    @Test func aFewRunsFailAtTrainer() {
        let x = Self.index, c = Self.contents
        let failed = c.executions.filter { $0.lastKnownState == .failed }
        let trainers = c.executions.filter { x.type(of: $0) == "Trainer" && $0.lastKnownState != .cached }
        #expect(failed.count * 100 > trainers.count && failed.count * 100 < trainers.count * 6)  // about 3%
        let lastRun = x.run(of: Int64(c.executions.count)).name
        for e in failed {
            #expect(x.type(of: e) == "Trainer")
            #expect(x.outputs[e.id!.rawValue] == nil)
            #expect(x.inputs[e.id!.rawValue]!.count >= 3)
            // Nothing after the Trainer in its run.
            let run = x.run(of: e.id!.rawValue).name
            #expect(run == lastRun || x.executions[e.id!.rawValue + 1].map { x.run(of: $0.id!.rawValue).name } != run)
        }
        #expect(c.executions.allSatisfy { [.complete, .cached, .failed].contains($0.lastKnownState) })
    }

    @Test func continuousPipelinesWarmStartTheirTrainers() {
        let x = Self.index, c = Self.contents
        var warm: [String: Int] = [:], cold: [String: Int] = [:]
        for e in c.executions where x.type(of: e) == "Trainer" && e.lastKnownState != .cached {
            let pipeline = String(e.name!.split(separator: "-").prefix(2).joined(separator: "-"))
            let base = x.inputs[e.id!.rawValue]!.filter { $0.path.first == .key("base_model") }
            if let b = base.first {
                #expect(base.count == 1)
                let model = x.artifacts[b.artifactID!.rawValue]!
                // The pipeline's latest model: no model of the pipeline between it and this Trainer.
                #expect(x.type(of: model) == "Model" && model.name!.hasPrefix(pipeline + "-run-"))
                let later = c.artifacts[Int(model.id!.rawValue)...].filter { $0.name!.hasPrefix(pipeline + "-run-") && x.type(of: $0) == "Model" }
                #expect(later.allSatisfy { x.producers[$0.id!.rawValue]!.min()! >= e.id!.rawValue })
                warm[pipeline, default: 0] += 1
            } else {
                cold[pipeline, default: 0] += 1
            }
        }
        #expect(warm["pipeline-0", default: 0] > 500 && cold["pipeline-0"] == 1)  // all but the first
        #expect(warm["pipeline-1"] == nil && cold["pipeline-1", default: 0] > 500)
    }

    @Test func attributionsAndAssociationsAsPutExecutionRecordsThem() {
        let x = Self.index, c = Self.contents
        let attributions = c.attributions.map { [$0.attribution.contextID.rawValue, $0.attribution.artifactID.rawValue] }
        #expect(Set(attributions).count == attributions.count)
        var expected = Set<[Int64]>()
        for (_, e) in c.events {
            for context in x.associations[e.executionID!.rawValue]! { expected.insert([context, e.artifactID!.rawValue]) }
        }
        #expect(Set(attributions) == expected)
        #expect(c.associations.count == 2 * c.executions.count)
    }

    /// The models trained from a dataset, through caching and warm starts.
    @Test(arguments: ["dataset-0-0", "dataset-0-3", "dataset-1-0", "dataset-1-4"])
    func modelsTrainedFromADataset(_ dataset: String) throws {
        let x = Self.index
        let start = try #require(x.artifact(named: dataset))
        let want = x.downstream(of: start.id!.rawValue).artifacts.filter { x.type(of: x.artifacts[$0]!) == "Model" }
        let result = try Self.store.snapshot.query("artifact(type = 'Dataset' and name = '\(dataset)') downstream* artifact(type = 'Model')")
        guard case .nodes(let nodes) = result.rows else {
            Issue.record("expected nodes, got \(result.rows)")
            return
        }
        #expect(Set(nodes.map(\.id)) == want)
        #expect(nodes.allSatisfy { $0.node.kind == .artifact })
        #expect(want.count > 50)
        if dataset.hasPrefix("dataset-0-") {
            // Continuous training: every model since the dataset's first run descends from it.
            let firstReader = x.readers[start.id!.rawValue]!.min()!
            let since = x.artifacts.values.filter {
                x.type(of: $0) == "Model" && $0.name!.hasPrefix("pipeline-0-") && x.producers[$0.id!.rawValue]!.min()! > firstReader
            }
            #expect(want == Set(since.map(\.id!.rawValue)))
        }
    }

    /// Everything a deletion of one run's data would affect, counted by type.
    @Test(arguments: ["pipeline-0-run-20", "pipeline-0-run-400", "pipeline-1-run-20", "pipeline-1-run-400"])
    func deletionOfARunsDataCountedByType(_ run: String) throws {
        let x = Self.index
        // The run's own examples, or, when its ExampleGen was cached, the ones it reused.
        let exampleGen = try #require(x.executions.values.first { $0.name == "\(run).ExampleGen" })
        let examples = x.artifacts[x.outputs[exampleGen.id!.rawValue]![0].artifactID!.rawValue]!
        let reached = x.downstream(of: examples.id!.rawValue)
        var want: [String: Int] = [:]
        for a in reached.artifacts { want[x.type(of: x.artifacts[a]!), default: 0] += 1 }
        for e in reached.executions { want[x.type(of: x.executions[e]!), default: 0] += 1 }
        let result = try Self.store.snapshot.query("artifact(name = '\(examples.name!)') downstream* return count group by type")
        guard case .groups(let rows) = result.rows else {
            Issue.record("expected groups, got \(result.rows)")
            return
        }
        #expect(Dictionary(uniqueKeysWithValues: rows.map { ($0.keys[0], $0.count) }) == want)
        // Continuous training carries a run's data into every later model of the pipeline.
        if run.hasPrefix("pipeline-0-") {
            #expect(want["Model", default: 0] > 100)
        } else {
            #expect(want["Model", default: 0] < 20)
        }
    }
}
