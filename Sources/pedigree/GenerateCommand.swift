import ArgumentParser
import Foundation
import Pedigree
import PedigreeFixtures

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Write a synthetic MLMD-shaped store (for tests and benchmarks).")

    enum Shape: String, ExpressibleByArgument, CaseIterable { case chain, tfx }

    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp(
        "The store's shape: chain or tfx.",
        discussion: "chain: the benchmark workload, a long chain of Transform, Trainer and Evaluator executions. tfx: many pipelines of TFX components, many runs each, with cached executions, warm-started models and failed runs."))
    var shape: Shape = .chain
    @Option(help: "Number of executions.") var executions: Int
    @Option(help: "Random seed.") var seed: UInt64 = 1

    func validate() throws {
        if executions < 1 { throw ValidationError("--executions must be at least 1") }
    }

    func run() throws {
        try PedigreeCommand.run {
            try store.requireNew("generate")
            let start = Date()
            let contents = switch shape {
            case .chain: SyntheticStore.chain(executions: executions, seed: seed)
            case .tfx: SyntheticStore.tfx(executions: executions, seed: seed)
            }
            let s = try store.open(.create)
            try store.requireNew("generate", opened: s)
            try s.insert(contents)
            s.close()
            let seconds = Date().timeIntervalSince(start)
            print("wrote \(s.path): \(contents.artifacts.count) artifacts, \(contents.executions.count) executions, \(contents.events.count) events in \(String(format: "%.2f", seconds)) s")
        }
    }
}
