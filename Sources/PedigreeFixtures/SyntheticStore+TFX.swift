public import Pedigree

extension SyntheticStore {
    /// Datasets per pipeline in the `tfx` workload: each run's ExampleGen reads one, and a
    /// pipeline moves on to its next dataset every few runs.
    public static let tfxDatasetsPerPipeline = 5

    /// Pipelines in a `tfx` store of `n` executions: one per 5,000 executions, at least 1, at
    /// most 1,000.
    public static func tfxPipelineCount(executions n: Int) -> Int { min(1_000, max(1, n / 5_000)) }

    /// The `tfx` workload: what a platform that runs TFX pipelines accumulates. Pipelines
    /// `pipeline-<p>` (``tfxPipelineCount(executions:)``) run in turn, many runs each; a run
    /// executes ExampleGen -> StatisticsGen -> SchemaGen -> ExampleValidator -> Transform ->
    /// Trainer -> Evaluator -> Pusher, each reading its inputs and writing new artifacts, in a
    /// `pipeline` context and a `pipeline_run` context (`pipeline-<p>-run-<j>`, a child of the
    /// pipeline's). ExampleGen reads an external `Dataset` artifact (`dataset-<p>-<k>`, a handful
    /// per pipeline, each read by many runs). About 30% of the runs whose data is unchanged
    /// reuse the previous run's outputs up to Transform (those executions are CACHED: the same
    /// inputs, OUTPUT events to the existing artifacts, no new artifacts), a fifth of those
    /// reuse everything. The even-numbered pipelines train continuously: each Trainer
    /// warm-starts from the pipeline's latest Model (an INPUT event `base_model`), so a model
    /// descends from every earlier run's data; the others train from scratch. About 3% of the
    /// runs fail at Trainer (FAILED, no output, no later component). Stops after `n`
    /// executions, possibly within a run.
    ///
    /// Recorded as put_execution records them: each execution is associated with both
    /// contexts and each of its input and output artifacts attributed to both (once per
    /// context); ids are dense, in creation order. Deterministic for a seed.
    public static func tfx(executions n: Int, seed: UInt64, baseTime: Int64 = 1_700_000_000_000) -> StoreContents {
        var builder = TFXStoreBuilder(executions: n, seed: seed, baseTime: baseTime)
        builder.build()
        return builder.contents
    }
}

/// Writes the `tfx` workload into a StoreContents, one run at a time.
private struct TFXStoreBuilder {
    enum Component: Int, CaseIterable {
        case exampleGen, statisticsGen, schemaGen, exampleValidator, transform, trainer, evaluator, pusher

        var name: String {
            switch self {
            case .exampleGen: "ExampleGen"
            case .statisticsGen: "StatisticsGen"
            case .schemaGen: "SchemaGen"
            case .exampleValidator: "ExampleValidator"
            case .transform: "Transform"
            case .trainer: "Trainer"
            case .evaluator: "Evaluator"
            case .pusher: "Pusher"
            }
        }

        var baseType: BaseType {
            switch self {
            case .exampleGen, .statisticsGen, .schemaGen, .exampleValidator: .process
            case .transform: .transform
            case .trainer: .train
            case .evaluator: .evaluate
            case .pusher: .deploy
            }
        }
    }

    /// One input or output of an execution: the artifact and the event path's key.
    typealias Port = (artifact: ArtifactID, key: String)

    /// The last successful execution of a component in a pipeline, which a cached one repeats.
    struct Step {
        var inputs: [Port]
        var outputs: [Port]
    }

    struct Pipeline {
        let index: Int
        let context: ContextID
        var runs = 0
        var datasets: [ArtifactID] = []
        var last: [Step?] = Array(repeating: nil, count: Component.allCases.count)
        var lastRunComplete = false
        var latestModel: ArtifactID?
        /// The artifacts attributed to the pipeline's context.
        var attributed = Set<ArtifactID>()
    }

    /// The run being written.
    struct Run {
        let name: String
        let context: ContextID
        let span: Int64
        var attributed = Set<ArtifactID>()
        /// This run's inputs and outputs by output key (`examples`, `model`, ...).
        var artifacts: [String: ArtifactID] = [:]
        var blessed = false
    }

    // Type ids: after MLMD's nine built-in types.
    static let dataset = TypeID(10), examples = TypeID(11), statistics = TypeID(12), schema = TypeID(13)
    static let anomalies = TypeID(14), transformGraph = TypeID(15), model = TypeID(16), evaluation = TypeID(17)
    static let blessing = TypeID(18), pushedModel = TypeID(19)
    static let firstExecutionType: Int64 = 20  // one per component, in order: 20 to 27
    static let pipelineType = TypeID(28), runType = TypeID(29)

    let n: Int
    var rng: SplitMix64
    var time: Int64
    var contents = StoreContents()
    let pipelineCount: Int
    let runsPerDataset: Int
    var eventID: Int64 = 0
    var attributionID: Int64 = 0
    var associationID: Int64 = 0

    init(executions n: Int, seed: UInt64, baseTime: Int64) {
        self.n = n
        rng = SplitMix64(seed: seed)
        time = baseTime
        pipelineCount = SyntheticStore.tfxPipelineCount(executions: n)
        // A full run is 8 executions; spread each pipeline's runs over its datasets.
        let runsPerPipeline = max(1, n / (8 * pipelineCount))
        runsPerDataset = max(1, (runsPerPipeline + SyntheticStore.tfxDatasetsPerPipeline - 1) / SyntheticStore.tfxDatasetsPerPipeline)
    }

    mutating func build() {
        contents.types = Self.types
        contents.artifacts.reserveCapacity(n + n / 4)
        contents.executions.reserveCapacity(n)
        contents.events.reserveCapacity(5 * n / 2)
        contents.attributions.reserveCapacity(3 * n)
        contents.associations.reserveCapacity(2 * n)
        var pipelines: [Pipeline] = []
        var next = 0
        while contents.executions.count < n {
            if pipelines.count <= next {
                let context = newContext(type: Self.pipelineType, name: "pipeline-\(next)")
                pipelines.append(Pipeline(index: next, context: context))
            }
            run(&pipelines[next])
            next = (next + 1) % pipelineCount
        }
    }

    static var types: [NodeType] {
        var types = [
            NodeType(id: dataset, kind: .artifact, name: "Dataset", baseType: .dataset),
            NodeType(id: examples, kind: .artifact, name: "Examples", baseType: .dataset,
                     properties: ["span": .int, "split_names": .string]),
            NodeType(id: statistics, kind: .artifact, name: "ExampleStatistics", baseType: .statistics,
                     properties: ["span": .int, "split_names": .string]),
            NodeType(id: schema, kind: .artifact, name: "Schema"),
            NodeType(id: anomalies, kind: .artifact, name: "ExampleAnomalies", properties: ["span": .int]),
            NodeType(id: transformGraph, kind: .artifact, name: "TransformGraph"),
            NodeType(id: model, kind: .artifact, name: "Model", baseType: .model),
            NodeType(id: evaluation, kind: .artifact, name: "ModelEvaluation", baseType: .metrics,
                     properties: ["accuracy": .double]),
            NodeType(id: blessing, kind: .artifact, name: "ModelBlessing"),
            NodeType(id: pushedModel, kind: .artifact, name: "PushedModel"),
        ]
        for c in Component.allCases {
            types.append(NodeType(
                id: executionType(c), kind: .execution, name: c.name, baseType: c.baseType,
                properties: c == .trainer ? ["train_steps": .int] : [:]))
        }
        types.append(NodeType(id: pipelineType, kind: .context, name: "pipeline"))
        types.append(NodeType(id: runType, kind: .context, name: "pipeline_run"))
        return types
    }

    static func executionType(_ c: Component) -> TypeID { TypeID(firstExecutionType + Int64(c.rawValue)) }

    mutating func tick() -> Int64 {
        time += 1
        return time
    }

    /// True with a probability of `percent` in 100.
    mutating func chance(_ percent: UInt64) -> Bool { rng.next() % 100 < percent }

    mutating func newContext(type: TypeID, name: String) -> ContextID {
        let t = tick()
        let id = ContextID(Int64(contents.contexts.count + 1))
        contents.contexts.append(Context(id: id, typeID: type, name: name, createTime: t, updateTime: t))
        return id
    }

    mutating func newArtifact(
        _ type: TypeID, name: String, uri: String, properties: Properties = [:], customProperties: Properties = [:]
    ) -> ArtifactID {
        let t = tick()
        let id = ArtifactID(Int64(contents.artifacts.count + 1))
        contents.artifacts.append(Artifact(
            id: id, typeID: type, name: name, uri: uri, state: .live, properties: properties,
            customProperties: customProperties, createTime: t, updateTime: t))
        return id
    }

    mutating func run(_ p: inout Pipeline) {
        let j = p.runs
        p.runs += 1
        let name = "pipeline-\(p.index)-run-\(j)"
        var run = Run(name: name, context: newContext(type: Self.runType, name: name), span: Int64(j))
        contents.parentContexts.append(ParentContext(childID: run.context, parentID: p.context))

        let k = min(SyntheticStore.tfxDatasetsPerPipeline - 1, j / runsPerDataset)
        while p.datasets.count <= k {
            let d = p.datasets.count
            p.datasets.append(newArtifact(Self.dataset, name: "dataset-\(p.index)-\(d)", uri: "gs://raw/pipeline-\(p.index)/dataset-\(d)"))
        }
        let dataset = p.datasets[k]
        let sameData = p.last[Component.exampleGen.rawValue]?.inputs.first?.artifact == dataset
        let cachePrefix = sameData && p.last[Component.transform.rawValue] != nil && chance(30)
        let cacheAll = cachePrefix && p.lastRunComplete && chance(20)
        let warmStart = p.index % 2 == 0
        let fails = !cacheAll && chance(3)
        run.artifacts["dataset"] = dataset
        if let model = p.latestModel { run.artifacts["base_model"] = model }

        p.lastRunComplete = false
        for c in Component.allCases {
            guard contents.executions.count < n else { return }
            let cached = c.rawValue <= Component.transform.rawValue ? cachePrefix : cacheAll
            if cached, let step = p.last[c.rawValue] {
                record(c, state: .cached, inputs: step.inputs, outputs: step.outputs, in: &run, of: &p)
                for port in step.outputs { run.artifacts[port.key] = port.artifact }
                continue
            }
            var inputKeys = Self.inputs(c)
            if c == .trainer, warmStart, run.artifacts["base_model"] != nil { inputKeys.append(("base_model", "base_model")) }
            let inputs = inputKeys.map { (artifact: run.artifacts[$0.output]!, key: $0.key) }
            if c == .trainer && fails {
                record(c, state: .failed, inputs: inputs, outputs: [], in: &run, of: &p)
                return
            }
            let outputs = newOutputs(c, &run, pipeline: p.index)
            record(c, state: .complete, inputs: inputs, outputs: outputs, in: &run, of: &p)
            p.last[c.rawValue] = Step(inputs: inputs, outputs: outputs)
            if c == .trainer { p.latestModel = outputs[0].artifact }
        }
        p.lastRunComplete = true
    }

    /// A component's inputs: the output key of the artifact it reads and its event path's key.
    static func inputs(_ c: Component) -> [(output: String, key: String)] {
        switch c {
        case .exampleGen: [("dataset", "input_base")]
        case .statisticsGen: [("examples", "examples")]
        case .schemaGen: [("statistics", "statistics")]
        case .exampleValidator: [("statistics", "statistics"), ("schema", "schema")]
        case .transform: [("examples", "examples"), ("schema", "schema")]
        case .trainer: [("transformed_examples", "examples"), ("transform_graph", "transform_graph"), ("schema", "schema")]
        case .evaluator: [("examples", "examples"), ("model", "model")]
        case .pusher: [("model", "model"), ("blessing", "model_blessing")]
        }
    }

    /// Creates a component's output artifacts, named after the run and the output key, with
    /// TFX's uri layout (pipeline root, component, output key, execution id).
    mutating func newOutputs(_ c: Component, _ run: inout Run, pipeline p: Int) -> [Port] {
        let executionID = contents.executions.count + 1
        let splits = Value.string("[\"train\", \"eval\"]")
        var specs: [(key: String, type: TypeID, properties: Properties, custom: Properties)]
        switch c {
        case .exampleGen:
            specs = [("examples", Self.examples, ["span": .int(run.span), "split_names": splits], [:])]
        case .statisticsGen:
            specs = [("statistics", Self.statistics, ["span": .int(run.span), "split_names": splits], [:])]
        case .schemaGen:
            specs = [("schema", Self.schema, [:], [:])]
        case .exampleValidator:
            specs = [("anomalies", Self.anomalies, ["span": .int(run.span)], [:])]
        case .transform:
            specs = [("transform_graph", Self.transformGraph, [:], [:]),
                     ("transformed_examples", Self.examples, ["span": .int(run.span), "split_names": splits], [:])]
        case .trainer:
            specs = [("model", Self.model, [:], [:])]
        case .evaluator:
            // Two decimals, as evaluators report them.
            let accuracy = Double(70 + Int(rng.next() % 25)) / 100
            run.blessed = accuracy >= 0.78
            specs = [("evaluation", Self.evaluation, ["accuracy": .double(accuracy)], [:]),
                     ("blessing", Self.blessing, [:], ["blessed": .int(run.blessed ? 1 : 0)])]
        case .pusher:
            specs = [("pushed_model", Self.pushedModel, [:], ["pushed": .int(run.blessed ? 1 : 0)])]
        }
        return specs.map { spec in
            let id = newArtifact(
                spec.type, name: "\(run.name)/\(spec.key)", uri: "gs://tfx/pipeline-\(p)/\(c.name)/\(spec.key)/\(executionID)",
                properties: spec.properties, customProperties: spec.custom)
            run.artifacts[spec.key] = id
            return (artifact: id, key: spec.key)
        }
    }

    /// One put_execution: the execution, its events, its associations and attributions.
    mutating func record(_ c: Component, state: ExecutionState, inputs: [Port], outputs: [Port], in run: inout Run, of p: inout Pipeline) {
        let t = tick()
        let id = ExecutionID(Int64(contents.executions.count + 1))
        let properties: Properties = c == .trainer ? ["train_steps": .int(10_000)] : [:]
        contents.executions.append(Execution(
            id: id, typeID: Self.executionType(c), name: "\(run.name).\(c.name)", lastKnownState: state,
            properties: properties, createTime: t, updateTime: t))
        for (ports, type) in [(inputs, EventType.input), (outputs, .output)] {
            for port in ports {
                eventID += 1
                contents.events.append((eventID, Event(
                    artifactID: port.artifact, executionID: id, type: type, path: [.key(port.key), .index(0)], time: t)))
            }
        }
        for context in [p.context, run.context] {
            associationID += 1
            contents.associations.append((associationID, Association(contextID: context, executionID: id)))
        }
        for port in inputs + outputs {
            if p.attributed.insert(port.artifact).inserted {
                attributionID += 1
                contents.attributions.append((attributionID, Attribution(contextID: p.context, artifactID: port.artifact)))
            }
            if run.attributed.insert(port.artifact).inserted {
                attributionID += 1
                contents.attributions.append((attributionID, Attribution(contextID: run.context, artifactID: port.artifact)))
            }
        }
    }
}
