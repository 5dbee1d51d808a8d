import ArgumentParser
import Foundation
import Pedigree

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query", abstract: "Run a lineage query (see Grammar/pedigree.ebnf and the README).")

    @OptionGroup var store: StoreOptions
    @Argument(help: "The query, e.g. \"artifact(type = 'Dataset') downstream* artifact(type = 'Model')\"; '-' reads it from standard input.")
    var text: String
    @Option(help: "table, json, csv or ids") var format: ResultFormat = .table
    @OptionGroup var options: QueryOptions
    @Flag(help: "Print the open time and the query time (median of --repeat runs) on standard error.") var timing = false
    @Option(help: "Run the query this many times on the open store (with --timing: the median).") var `repeat`: Int = 1

    func validate() throws {
        if `repeat` < 1 { throw ValidationError("--repeat must be at least 1") }
    }

    func run() throws {
        try PedigreeCommand.run {
            let clock = ContinuousClock()
            let openStart = clock.now
            let snapshot = try store.open(.readOnly).snapshot
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
}
