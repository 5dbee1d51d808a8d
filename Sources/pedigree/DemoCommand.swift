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
            if FileManager.default.fileExists(atPath: store.db) {
                throw MetadataError.alreadyExists("\(store.db) exists; the demo writes a new store (remove the file first)")
            }
            let s = try store.open(.create)
            let summary = try DemoPipeline.write(into: s, runs: runs)
            s.close()
            print("wrote a \(summary.runs)-run TFX-like pipeline to \(store.db); latest model: artifact \(summary.latestModel)")
        }
    }
}
