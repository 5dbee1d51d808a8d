import Foundation
import Pedigree
import PedigreeFixtures

/// Lineage diagrams: a ~2,000-node subgraph (the whole `chain` store of 664 executions, reached
/// downstream from its datasets) drawn to SVG, every node drawn (no grouping); the target is under
/// 2 s. Also the DOT text alone, and a PNG bounded in size.
func renderBenchmarks(executions n: Int = 664) throws {
    let store = try MetadataStore.inMemory()
    try store.insert(SyntheticStore.chain(executions: n, seed: 42))
    let g = store.snapshot
    let result = try g.query("artifact(type = 'Dataset') downstream* return subgraph")
    let options = DiagramOptions(maxNodes: Int.max)
    let diagram = try g.diagram(result, options: options)
    let nodes = diagram.nodes.count, edges = diagram.edges.count
    let size = "\(nodes) nodes, \(edges) edges"
    let dot = medianTime(runs: 5) { _ = try? g.diagram(result, options: options).dot() }
    print("| render.dot.n\(nodes - nodes % 1000) | \(format(dot)) median (query result to DOT text; \(size)) |")
    var svgBytes = 0
    let svg = try medianTime(runs: 3) { svgBytes = try g.render(result, options: options).count }
    print("| render.svg.n\(nodes - nodes % 1000) | \(format(svg)) median (layout and SVG through Graphviz, \(size), \(svgBytes / 1024) KiB); target < 2 s |")
    var png: [UInt8] = []
    var pngOptions = options
    pngOptions.format = .png
    let pngTime = try medianTime(runs: 3) { png = try g.render(result, options: pngOptions) }
    let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
    print("| render.png.n\(nodes - nodes % 1000) | \(format(pngTime)) median (\(width) x \(height) px, \(png.count / 1024) KiB) |")
}
