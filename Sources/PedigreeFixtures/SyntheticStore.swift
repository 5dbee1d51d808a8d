public import Pedigree

/// Deterministic MLMD-shaped stores for tests and benchmarks (`pedigree generate`).
public enum SyntheticStore {
    /// The `chain` stress workload: 10 datasets, then N executions (Transform, Trainer,
    /// Evaluator in turn), each reading 2 of the 50 newest artifacts and writing 2 new ones, in a
    /// `PipelineRun` context per 100 executions, recorded as put_execution records them.
    public static func chain(executions n: Int, seed: UInt64, baseTime: Int64 = 1_700_000_000_000) -> StoreContents {
        var rng = SplitMix64(seed: seed)
        var c = StoreContents()
        let datasetType = TypeID(10), examplesType = TypeID(11), modelType = TypeID(12)
        let executionTypes = [TypeID(13), TypeID(14), TypeID(15)]
        let runType = TypeID(16)
        c.types = [
            NodeType(id: datasetType, kind: .artifact, name: "Dataset", baseType: .dataset),
            NodeType(id: examplesType, kind: .artifact, name: "Examples", baseType: .dataset),
            NodeType(id: modelType, kind: .artifact, name: "Model", baseType: .model),
            NodeType(id: executionTypes[0], kind: .execution, name: "Transform", baseType: .transform),
            NodeType(id: executionTypes[1], kind: .execution, name: "Trainer", baseType: .train),
            NodeType(id: executionTypes[2], kind: .execution, name: "Evaluator", baseType: .evaluate),
            NodeType(id: runType, kind: .context, name: "PipelineRun"),
        ]
        var time = baseTime
        func tick() -> Int64 {
            time += 1
            return time
        }
        c.artifacts.reserveCapacity(10 + 2 * n)
        c.executions.reserveCapacity(n)
        c.events.reserveCapacity(4 * n)
        c.attributions.reserveCapacity(4 * n)
        c.associations.reserveCapacity(n)
        for d in 0..<10 {
            let t = tick()
            c.artifacts.append(
                Artifact(id: ArtifactID(Int64(d + 1)), typeID: datasetType, name: "dataset-\(d)", uri: "/data/dataset-\(d)",
                         state: .live, createTime: t, updateTime: t))
        }
        var eventID: Int64 = 0
        var attributionID: Int64 = 0
        for i in 0..<n {
            let run = i / 100
            if i % 100 == 0 {
                let t = tick()
                c.contexts.append(Context(id: ContextID(Int64(run + 1)), typeID: runType, name: "run-\(run)", createTime: t, updateTime: t))
            }
            let contextID = ContextID(Int64(run + 1))
            let window = min(50, c.artifacts.count)
            var inputs: [ArtifactID] = []
            for _ in 0..<2 {
                // Artifact ids run from 1 in the order they are appended.
                let pick = ArtifactID(Int64(c.artifacts.count - Int(rng.next() % UInt64(window))))
                if !inputs.contains(pick) { inputs.append(pick) }
            }
            let kind = i % 3
            let outputType = kind == 1 ? modelType : examplesType
            var outputs: [ArtifactID] = []
            for j in 0..<2 {
                let t = tick()
                let id = ArtifactID(Int64(c.artifacts.count + 1))
                let name = "a-\(i)-\(j)"
                c.artifacts.append(Artifact(id: id, typeID: outputType, name: name, uri: "/data/\(name)", state: .live, createTime: t, updateTime: t))
                outputs.append(id)
            }
            let t = tick()
            let executionID = ExecutionID(Int64(i + 1))
            c.executions.append(
                Execution(id: executionID, typeID: executionTypes[kind], name: "e-\(i)", lastKnownState: .complete, createTime: t, updateTime: t))
            for a in inputs {
                eventID += 1
                c.events.append((eventID, Event(artifactID: a, executionID: executionID, type: .input, time: t)))
            }
            for a in outputs {
                eventID += 1
                c.events.append((eventID, Event(artifactID: a, executionID: executionID, type: .output, time: t)))
            }
            c.associations.append((Int64(i + 1), Association(contextID: contextID, executionID: executionID)))
            for a in (inputs + outputs).sorted() {
                attributionID += 1
                c.attributions.append((attributionID, Attribution(contextID: contextID, artifactID: a)))
            }
        }
        // The same artifact attributed twice to one run (an input created earlier in the run)
        // is one attribution, as put_execution records it.
        var seen = Set<[Int64]>()
        c.attributions = c.attributions.filter { seen.insert([$0.1.contextID.rawValue, $0.1.artifactID.rawValue]).inserted }
        return c
    }
}

/// A small, fast, seedable generator (SplitMix64), so generated stores are the same everywhere.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
