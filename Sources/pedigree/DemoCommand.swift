import ArgumentParser
import Foundation
import Pedigree
import PedigreeFixtures

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Write a TFX-like example pipeline into a new store.")
    @OptionGroup var store: StoreOptions
    @Option(help: "Number of pipeline runs.") var runs: Int = 4

    func validate() throws {
        if runs < 3 { throw ValidationError("--runs must be at least 3 (the demo has a warm start and a failed run)") }
    }

    func run() throws {
        try PedigreeCommand.run {
            try store.requireNew("the demo")
            let s = try store.open(.create)
            try store.requireNew("the demo", opened: s)
            let summary = try DemoPipeline.write(into: s, runs: runs)
            s.close()
            print("wrote a \(summary.runs)-run TFX-like pipeline to \(s.path); latest model: artifact \(summary.latestModel)")
        }
    }
}
