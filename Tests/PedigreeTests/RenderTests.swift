import Foundation
import Pedigree
import PedigreeRender
import PedigreeFixtures
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Lineage diagrams: golden DOT and Mermaid text, Graphviz output, errors.
@Suite struct RenderTests {
    /// One trainer reading 10 dataset shards and writing a model (grouping has something to group).
    static let fanout: GraphSnapshot = {
        let f = try! Fixture()
        let shards = (0..<10).map { i in
            MetadataStore.ArtifactAndEvent(
                artifact: Artifact(typeID: f.dataset, name: "shard-\(i)", uri: "gs://data/shard-\(i)", state: .live,
                                   properties: ["rows": .int(Int64(1000 + i))]),
                event: Event(type: .input))
        }
        let model = MetadataStore.ArtifactAndEvent(
            artifact: Artifact(typeID: f.model, name: "model", state: .live, properties: ["accuracy": .double(0.91)]), event: Event(type: .output))
        _ = try! f.store.putExecution(Execution(typeID: f.trainer, name: "train", lastKnownState: .complete),
                                      artifactsAndEvents: shards + [model], contexts: [Context(typeID: f.run, name: "run-1")])
        return f.store.snapshot
    }()

    /// The directive's words after the format: `collapse`, `tb`, `no-legend`, `cluster=TYPE`,
    /// `max-nodes=N`, `fixture=fanout`.
    static func options(_ directive: String) -> (DiagramOptions, GraphSnapshot) {
        var options = DiagramOptions()
        var snapshot = ExamplesTests.demo
        for word in directive.split(separator: " ").dropFirst() {
            let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
            switch parts[0] {
            case "collapse": options.collapseExecutions = true
            case "tb": options.rankDirection = .topToBottom
            case "no-legend": options.legend = false
            case "cluster": options.clusterContextType = parts[1]
            case "max-nodes": options.maxNodes = Int(parts[1])!
            case "fixture": snapshot = parts[1] == "fanout" ? fanout : snapshot
            default: Issue.record("unknown directive word \(word)")
            }
        }
        return (options, snapshot)
    }

    static func text(_ c: GoldenCase) -> String {
        let (options, g) = Self.options(c.directive)
        do {
            let diagram = try g.diagram(try g.query(c.input), options: options)
            return c.directive.hasPrefix("mermaid") ? diagram.mermaid() : diagram.dot()
        } catch {
            return "error: \(error)"
        }
    }

    @Test(arguments: try Golden.cases("render-dot.txt"))
    func dot(_ c: GoldenCase) {
        Golden.check(c, actual: Self.text(c).trimmingCharacters(in: .newlines))
    }

    @Test(arguments: try Golden.cases("render-mermaid.txt"))
    func mermaid(_ c: GoldenCase) {
        Golden.check(c, actual: Self.text(c).trimmingCharacters(in: .newlines))
    }

    @Test func goldenFilesHaveCases() throws {
        #expect(try Golden.cases("render-dot.txt").count >= 6)
        #expect(try Golden.cases("render-mermaid.txt").count >= 4)
    }

    /// The same result gives the same text, byte for byte.
    @Test func deterministic() throws {
        let g = ExamplesTests.demo
        let q = "execution(type = 'ExampleGen') downstream* return subgraph"
        let texts = try (0..<5).map { _ in try g.diagram(try g.query(q), options: DiagramOptions(clusterContextType: "pipeline_run")).dot() }
        #expect(Set(texts).count == 1)
    }

    // MARK: Graphviz output

    static let provenance = "artifact(id = 29) upstream* return subgraph"

    @Test func svgParsesAndHoldsEveryNode() throws {
        let g = ExamplesTests.demo
        for q in [Self.provenance, "execution(type = 'ExampleGen') downstream* return subgraph"] {
            let diagram = try g.diagram(try g.query(q))
            let svg = try diagram.render(.svg)
            let collector = SVGIDs()
            let parser = XMLParser(data: Data(svg))
            parser.delegate = collector
            #expect(parser.parse(), "SVG does not parse: \(parser.parserError.map { "\($0)" } ?? "")")
            #expect(!diagram.nodes.isEmpty)
            for n in diagram.nodes { #expect(collector.ids.contains(n.elementID), "no element \(n.elementID)") }
        }
    }

    @Test func pngHasSignatureAndPlausibleSize() throws {
        let g = ExamplesTests.demo
        let png = try g.render(try g.query(Self.provenance), options: DiagramOptions(format: .png))
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
        let (width, height) = Self.pngSize(png)
        #expect((400...11_520).contains(width), "width \(width)")
        #expect((100...11_520).contains(height), "height \(height)")
        #expect(png.count > 10_000 && png.count < 5_000_000)
    }

    @Test func pngSizeIsBounded() throws {
        // 300 nodes in one long row would be far wider than the bound at natural size.
        var dot = "digraph { rankdir=LR\n"
        for i in 0..<300 { dot += "n\(i) -> n\(i + 1)\n" }
        dot += "}"
        let diagramDOT = dot.replacingOccurrences(of: "rankdir=LR", with: "rankdir=LR dpi=96 size=\"120,120\"")
        let png = try Graphviz.render(dot: diagramDOT, format: .png)
        let (width, _) = Self.pngSize(png)
        #expect(width <= 120 * 96)
    }

    @Test func pdfStartsWithMagic() throws {
        let g = ExamplesTests.demo
        let pdf = try g.render(try g.query(Self.provenance), options: DiagramOptions(format: .pdf))
        #expect(String(decoding: pdf.prefix(5), as: UTF8.self) == "%PDF-")
    }

    @Test func textFormatsNeedNoGraphviz() throws {
        let g = ExamplesTests.demo
        let result = try g.query(Self.provenance)
        let dot = try g.render(result, options: DiagramOptions(format: .dot))
        #expect(String(decoding: dot, as: UTF8.self).hasPrefix("digraph lineage {"))
        let mermaid = try g.render(result, options: DiagramOptions(format: .mermaid))
        #expect(String(decoding: mermaid, as: UTF8.self).hasPrefix("flowchart LR"))
    }

    @Test func concurrentRendersDoNotCrash() async throws {
        let g = ExamplesTests.demo
        let queries = [Self.provenance, "execution(type = 'ExampleGen') downstream* return subgraph", "artifact(type = 'Model') upstream{1,2}"]
        let sizes = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<32 {
                group.addTask {
                    let format: DiagramOptions.Format = [.svg, .png, .pdf, .svg][i % 4]
                    let bytes = try g.render(try g.query(queries[i % queries.count]), options: DiagramOptions(format: format))
                    return bytes.count
                }
            }
            var sizes: [Int] = []
            for try await n in group { sizes.append(n) }
            return sizes
        }
        #expect(sizes.count == 32)
        #expect(sizes.allSatisfy { $0 > 1000 })
    }

    @Test func badDOTIsInvalidArgumentWithGraphvizMessage() {
        let message = expectError(.invalidArgument) { _ = try Graphviz.render(dot: "digraph { a -> }", format: .svg) }
        #expect(message.contains("syntax error"), "\(message)")
        // Graphviz is usable after an error.
        #expect((try? Graphviz.render(dot: "digraph { a -> b }", format: .svg))?.isEmpty == false)
    }

    // MARK: What cannot be drawn

    @Test func countsAndEmptyResultsAreRefused() throws {
        let g = ExamplesTests.demo
        let count = expectError(.invalidArgument) { _ = try g.diagram(try g.query("artifact(type = 'Model') return count")) }
        #expect(count.contains("count has no diagram"))
        let empty = expectError(.invalidArgument) { _ = try g.diagram(try g.query("artifact(id = 999) upstream*")) }
        #expect(empty.contains("no nodes"))
        let onlyExecutions = expectError(.invalidArgument) {
            _ = try g.diagram(try g.query("execution(type = 'Trainer')"), options: DiagramOptions(collapseExecutions: true))
        }
        #expect(onlyExecutions.contains("only executions"))
        let cluster = expectError(.invalidArgument) {
            _ = try g.diagram(try g.query(Self.provenance), options: DiagramOptions(clusterContextType: "run"))
        }
        #expect(cluster.contains("no context type named 'run'") && cluster.contains("'pipeline_run'"), "\(cluster)")
    }

    @Test func groupingSaysWhatItGrouped() throws {
        let g = Self.fanout
        let diagram = try g.diagram(try g.query("artifact(name = 'model') upstream* return subgraph"), options: DiagramOptions(maxNodes: 5))
        #expect(diagram.nodes.count == 3)
        let groups = diagram.nodes.filter(\.isGroup)
        #expect(groups.count == 1)
        let group = try #require(groups.first)
        #expect(group.ids.count == 10 && group.typeName == "Dataset")
        #expect(diagram.notes.first?.contains("10 Dataset artifacts into 1 node") == true, "\(diagram.notes)")
        #expect(diagram.dot().contains("note: 12 nodes, more than 5"))
        // Under the threshold nothing is grouped.
        let full = try g.diagram(try g.query("artifact(name = 'model') upstream* return subgraph"))
        #expect(full.nodes.count == 12 && full.notes.isEmpty)
    }

    @Test func chainsAreSummarisedByType() throws {
        let store = try MetadataStore.inMemory()
        try store.insert(SyntheticStore.chain(executions: 200, seed: 7))
        let g = store.snapshot
        let result = try g.query("artifact(type = 'Dataset') downstream* return subgraph")
        let diagram = try g.diagram(result)
        #expect(diagram.nodes.count <= 300)
        // The ten datasets (the start) stay; everything else is one node per type.
        #expect(diagram.nodes.filter(\.isStart).count == 10 && diagram.nodes.allSatisfy { $0.isStart || $0.isGroup })
        #expect(diagram.notes.first?.contains("then the rest by type") == true, "\(diagram.notes)")
        let clustered = try g.diagram(result, options: DiagramOptions(clusterContextType: "PipelineRun"))
        #expect(clustered.clusters.count == 2 && clustered.nodes.count > diagram.nodes.count)
        let svg = try clustered.render(.svg)
        #expect(String(decoding: svg, as: UTF8.self).contains("note: "))
    }

    /// A TFX platform's history: one pipeline, about 400 runs of eight components, thousands of
    /// nodes; its Datasets' downstream subgraph holds nearly all of them.
    static let tfx: GraphSnapshot = {
        let store = try! MetadataStore.inMemory()
        try! store.insert(SyntheticStore.tfx(executions: 3_000, seed: 5))
        return store.snapshot
    }()

    /// Each node of the full diagram is drawn once: alone, in a group, or hidden in a summary.
    static func drawnMembers(_ d: LineageDiagram) -> Int {
        d.nodes.reduce(0) { $0 + ($1.isSummary ? $1.hidden.reduce(0) { $0 + $1.count } : $1.ids.count) }
    }

    /// Clustered by run, a run's components have no equal neighbours and one node per type: only
    /// collapsing whole runs brings the diagram under max-nodes. The runs that fit stay clusters.
    @Test func largeClusteredDiagramsAreSummarisedUnderMaxNodes() throws {
        let g = Self.tfx
        let result = try g.query("artifact(type = 'Dataset') downstream* return subgraph")
        let full = try g.diagram(result, options: DiagramOptions(maxNodes: 1_000_000))
        #expect(full.nodes.count > 4_000, "\(full.nodes.count)")
        let d = try g.diagram(result, options: DiagramOptions(clusterContextType: "pipeline_run"))
        #expect(d.nodes.count <= 300, "\(d.nodes.count) nodes drawn")
        // Some runs are still drawn as clusters, each holding nodes; the others are summaries.
        #expect(d.clusters.count >= 5, "\(d.clusters.count) clusters")
        for i in d.clusters.indices { #expect(d.nodes.contains { $0.cluster == i }, "cluster \(i) is empty") }
        #expect(d.nodes.allSatisfy { $0.cluster.map { d.clusters.indices.contains($0) } ?? true })
        let summaries = d.nodes.filter(\.isSummary)
        #expect(!summaries.isEmpty)
        #expect(summaries.allSatisfy { $0.cluster == nil && !$0.hidden.isEmpty && $0.typeName == "pipeline_run" })
        // No drawn context is also a summary's, and nothing is lost.
        let summarised = Set(summaries.flatMap(\.ids))
        #expect(d.clusters.allSatisfy { !summarised.contains($0.contextID) })
        #expect(Self.drawnMembers(d) == full.nodes.count)
        // The notes say what was collapsed, with counts, and what is drawn.
        let collapsed = try #require(d.notes.first { $0.contains("collapsed") }, "\(d.notes)")
        #expect(collapsed.contains("pipeline_run clusters") && collapsed.contains("hiding"), "\(collapsed)")
        #expect(d.notes.last == "\(d.nodes.count) nodes drawn", "\(d.notes)")
        // A summary's label counts what it hides; the DOT draws it as a folder, outside clusters.
        let dot = d.dot()
        let one = try #require(summaries.first)
        let line = try #require(dot.components(separatedBy: "\n").first { $0.hasPrefix("  \(one.key) [id=\"\(one.elementID)\"") })
        let total = one.hidden.reduce(0) { $0 + $1.count }
        #expect(line.contains("\\n\(total) nodes: ") && line.contains("shape=\"folder\""), "\(line)")
        #expect(line.contains("\\n\(one.hidden[0].count) \(one.hidden[0].typeName)"), "\(line)")
        #expect(dot.contains("subgraph cluster_\(d.clusters.count) {") && !dot.contains("subgraph cluster_\(d.clusters.count + 1) {"))
        #expect(d.mermaid().contains("\(one.key){{"))
        // Graphviz lays it out; every drawn node is in the SVG.
        let collector = SVGIDs()
        let parser = XMLParser(data: Data(try d.render(.svg)))
        parser.delegate = collector
        #expect(parser.parse())
        for n in d.nodes { #expect(collector.ids.contains(n.elementID), "no element \(n.elementID)") }
    }

    /// When even one node per run is too many, the collapsed runs are merged as well.
    @Test func collapsedClustersAreMergedWhenTheyDoNotFit() throws {
        let g = Self.tfx
        let result = try g.query("artifact(type = 'Dataset') downstream* return subgraph")
        let full = try g.diagram(result, options: DiagramOptions(clusterContextType: "pipeline_run", maxNodes: 1_000_000))
        #expect(full.clusters.count > 300)
        for maxNodes in [40, 12] {
            let d = try g.diagram(result, options: DiagramOptions(clusterContextType: "pipeline_run", maxNodes: maxNodes))
            #expect(d.nodes.count <= maxNodes, "max \(maxNodes): \(d.nodes.count) nodes drawn: \(d.notes)")
            #expect(d.nodes.contains { $0.isSummary && $0.ids.count > 1 }, "\(d.notes)")
            #expect(d.notes.contains { $0.contains("pipeline_run clusters into") }, "\(d.notes)")
            #expect(Self.drawnMembers(d) == full.nodes.count)
            #expect(d.notes.last == "\(d.nodes.count) nodes drawn", "\(d.notes)")
        }
    }

    @Test func startAndResultsAreHighlighted() throws {
        let g = ExamplesTests.demo
        // Results are the models; the start dataset and the executions between are not.
        let diagram = try g.diagram(try g.query("artifact(id = 1) downstream* artifact(type = 'Model') return subgraph"))
        #expect(diagram.nodes.filter(\.isStart).map(\.key) == ["a1"])
        let results = diagram.nodes.filter(\.isResult)
        #expect(!results.isEmpty && results.allSatisfy { $0.typeName == "Model" })
        // When every node but the start is a result, results are not marked.
        let provenance = try g.diagram(try g.query(Self.provenance))
        #expect(provenance.nodes.filter(\.isResult).isEmpty && provenance.nodes.filter(\.isStart).map(\.key) == ["a29"])
    }

    static func pngSize(_ png: [UInt8]) -> (Int, Int) {
        guard png.count >= 24 else { return (0, 0) }
        func be32(_ at: Int) -> Int { png[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }
}

/// Collects the `id` attributes of an SVG document.
private final class SVGIDs: NSObject, XMLParserDelegate {
    var ids: Set<String> = []
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if let id = attributes["id"] { ids.insert(id) }
    }
}
