public import Pedigree

/// A small, realistic TFX-shaped store: ExampleGen -> StatisticsGen -> SchemaGen -> Transform ->
/// Trainer -> Evaluator -> Pusher over several runs of one pipeline, with a context per run and
/// per pipeline, a model warm-started from an earlier run's, and a failed run.
public enum DemoPipeline {
    public struct Summary: Sendable {
        public var runs: Int
        public var latestModel: ArtifactID
    }

    @discardableResult
    public static func write(into store: MetadataStore, runs: Int = 4) throws -> Summary {
        func artifactType(_ name: String, _ base: BaseType?, _ props: [String: PropertyType] = [:]) throws -> TypeID {
            try store.putType(NodeType(kind: .artifact, name: name, baseType: base, properties: props))
        }
        func executionType(_ name: String, _ base: BaseType?, _ props: [String: PropertyType] = [:]) throws -> TypeID {
            try store.putType(NodeType(kind: .execution, name: name, baseType: base, properties: props))
        }
        let examples = try artifactType("Examples", .dataset, ["span": .int, "split_names": .string])
        let statistics = try artifactType("ExampleStatistics", .statistics, ["span": .int])
        let schema = try artifactType("Schema", nil)
        let transformGraph = try artifactType("TransformGraph", nil)
        let model = try artifactType("Model", .model, ["framework": .string])
        let evaluation = try artifactType("ModelEvaluation", .metrics, ["accuracy": .double, "auc": .double])
        let blessing = try artifactType("ModelBlessing", nil, ["blessed": .boolean])
        let pushed = try artifactType("PushedModel", nil, ["pushed_destination": .string])

        let exampleGen = try executionType("ExampleGen", nil, ["input_base": .string])
        let statisticsGen = try executionType("StatisticsGen", nil)
        let schemaGen = try executionType("SchemaGen", nil)
        let transform = try executionType("Transform", .transform)
        let trainer = try executionType("Trainer", .train, ["train_steps": .int, "learning_rate": .double])
        let evaluator = try executionType("Evaluator", .evaluate)
        let pusher = try executionType("Pusher", .deploy)

        let pipelineType = try store.putType(
            NodeType(kind: .context, name: "pipeline", description: "A TFX pipeline", properties: ["owner": .string]))
        let runType = try store.putType(
            NodeType(kind: .context, name: "pipeline_run", properties: ["run_number": .int]))
        let pipelineName = "chicago-taxi"
        let pipeline = try store.putContexts([
            Context(typeID: pipelineType, name: pipelineName, properties: ["owner": .string("ml-platform")])
        ])[0]

        var previousModel: Artifact?
        var latestModel: ArtifactID?
        for run in 1...runs {
            let runName = "\(pipelineName)-run-\(run)"
            let runContext = try store.putContexts([
                Context(typeID: runType, name: runName, properties: ["run_number": .int(Int64(run))])
            ])[0]
            try store.putParentContexts([ParentContext(childID: runContext, parentID: pipeline)])
            let contexts = [
                Context(id: pipeline, typeID: pipelineType, name: pipelineName, properties: ["owner": .string("ml-platform")]),
                Context(id: runContext, typeID: runType, name: runName, properties: ["run_number": .int(Int64(run))]),
            ]
            let failed = run == 3

            /// Runs one component: inputs by artifact, outputs created; returns the outputs.
            func component(
                _ type: TypeID, _ name: String, inputs: [(Artifact, String)], outputs: [Artifact],
                state: ExecutionState = .complete, properties: Properties = [:]
            ) throws -> [Artifact] {
                var pairs: [MetadataStore.ArtifactAndEvent] = []
                for (artifact, key) in inputs {
                    pairs.append(.init(artifact: artifact, event: Event(type: .input, path: [.key(key), .index(0)])))
                }
                for (i, artifact) in outputs.enumerated() {
                    pairs.append(.init(artifact: artifact, event: Event(type: .output, path: [.key("output"), .index(Int64(i))])))
                }
                let execution = Execution(
                    typeID: type, name: "\(runName).\(name)", lastKnownState: state, properties: properties)
                let result = try store.putExecution(execution, artifactsAndEvents: pairs, contexts: contexts)
                return zip(outputs, result.artifactIDs.suffix(outputs.count)).map { artifact, id in
                    var a = artifact
                    a.id = id
                    return store.snapshot.artifact(id!) ?? a
                }
            }

            let base = "gs://taxi/\(runName)"
            let span = Int64(run)
            let ex = try component(
                exampleGen, "ExampleGen", inputs: [],
                outputs: [Artifact(typeID: examples, name: "\(runName)/examples", uri: "\(base)/examples", state: .live,
                                   properties: ["span": .int(span), "split_names": .string("[\"train\", \"eval\"]")])],
                properties: ["input_base": .string("gs://taxi/raw/2026-\(String(format2: run))")])[0]
            let stats = try component(
                statisticsGen, "StatisticsGen", inputs: [(ex, "examples")],
                outputs: [Artifact(typeID: statistics, name: "\(runName)/statistics", uri: "\(base)/statistics", state: .live,
                                   properties: ["span": .int(span)])])[0]
            let sch = try component(
                schemaGen, "SchemaGen", inputs: [(stats, "statistics")],
                outputs: [Artifact(typeID: schema, name: "\(runName)/schema", uri: "\(base)/schema", state: .live)])[0]
            let tf = try component(
                transform, "Transform", inputs: [(ex, "examples"), (sch, "schema")],
                outputs: [Artifact(typeID: transformGraph, name: "\(runName)/transform_graph", uri: "\(base)/transform_graph", state: .live),
                          Artifact(typeID: examples, name: "\(runName)/transformed_examples", uri: "\(base)/transformed_examples",
                                   state: .live, properties: ["span": .int(span), "split_names": .string("[\"train\", \"eval\"]")])])
            var trainerInputs = [(tf[1], "examples"), (tf[0], "transform_graph"), (sch, "schema")]
            if run == 2, let warm = previousModel { trainerInputs.append((warm, "base_model")) }
            if failed {
                _ = try component(
                    trainer, "Trainer", inputs: trainerInputs,
                    outputs: [Artifact(typeID: model, name: "\(runName)/model", uri: "\(base)/model", state: .abandoned,
                                       properties: ["framework": .string("tensorflow")],
                                       customProperties: ["error": .string("OOM: resource exhausted on worker 3")])],
                    state: .failed, properties: ["train_steps": .int(10_000), "learning_rate": .double(0.002)])
                continue
            }
            let m = try component(
                trainer, "Trainer", inputs: trainerInputs,
                outputs: [Artifact(typeID: model, name: "\(runName)/model", uri: "\(base)/model", state: .live,
                                   properties: ["framework": .string("tensorflow")],
                                   customProperties: ["warm_started": .bool(run == 2)])],
                properties: ["train_steps": .int(10_000 * Int64(run)), "learning_rate": .double(0.001)])[0]
            // Metrics with two decimals, as evaluators report them (ml-metadata reads doubles back
            // with 15 significant digits, so 0.81 + 0.03 * 3 would not survive its reads).
            let accuracy = Double(81 + 3 * run) / 100
            let ev = try component(
                evaluator, "Evaluator", inputs: [(m, "model"), (tf[1], "examples")],
                outputs: [Artifact(typeID: evaluation, name: "\(runName)/evaluation", uri: "\(base)/evaluation", state: .live,
                                   properties: ["accuracy": .double(accuracy), "auc": .double(Double(86 + 3 * run) / 100)]),
                          Artifact(typeID: blessing, name: "\(runName)/blessing", uri: "\(base)/blessing", state: .live,
                                   properties: ["blessed": .bool(accuracy > 0.85)])])
            if accuracy > 0.85 {
                _ = try component(
                    pusher, "Pusher", inputs: [(m, "model"), (ev[1], "model_blessing")],
                    outputs: [Artifact(typeID: pushed, name: "\(runName)/pushed_model", uri: "gs://serving/taxi/\(run)", state: .live,
                                       properties: ["pushed_destination": .string("gs://serving/taxi")])])
            }
            previousModel = m
            latestModel = m.id
        }
        // The first run's raw examples were later deleted from storage.
        if var first = store.snapshot.node(typeName: "Examples", name: "\(pipelineName)-run-1/examples", as: Artifact.self) {
            first.state = .deleted
            try store.putArtifacts([first])
        }
        return Summary(runs: runs, latestModel: latestModel!)
    }
}

extension String {
    /// Two-digit zero-padded number.
    fileprivate init(format2 n: Int) { self = n < 10 ? "0\(n)" : "\(n)" }
}
