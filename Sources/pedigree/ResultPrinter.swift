import ArgumentParser
import Foundation
import Pedigree

/// Prints query results in each format.
struct ResultPrinter {
    let snapshot: GraphSnapshot
    let format: ResultFormat

    func print(_ result: QueryResult, to out: inout Output) {
        if format == .json {
            out.line(ResultEncoder(snapshot: snapshot).encode(result).text)
            return
        }
        for line in ResultLayout(format: format.layout).lines(result, snapshot: snapshot) { out.line(line) }
        if let t = result.truncated { printError("truncated: \(t)") }
    }
}

extension ResultFormat {
    var layout: ResultLayout.Format { ResultLayout.Format(rawValue: rawValue)! }
}
