import ArgumentParser
import Foundation
import Pedigree

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Verify the file's integrity and that the in-memory graph equals the database.")
    @OptionGroup var store: StoreOptions

    func run() throws {
        try PedigreeCommand.run {
            let s = try store.open(.readOnly)
            let report = try s.check()
            for w in report.warnings { print("warning: \(w)") }
            if report.isHealthy {
                let c = report.counts
                print("ok: \(c.artifacts) artifacts, \(c.executions) executions, \(c.contexts) contexts, \(c.events) events; graph == database")
            } else {
                for p in report.problems { printError("problem: \(p)") }
                throw MetadataError(.dataLoss, "\(report.problems.count) problem(s) found in \(s.path)")
            }
        }
    }
}
