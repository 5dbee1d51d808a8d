import Foundation
import Pedigree
import Testing

/// `pedigree render`: formats from extensions, options, and every kind of bad input.
@Suite struct RenderCLITests {
    static let provenance = "artifact(id = 29) upstream* return subgraph"

    /// A directory holding the demo store.
    static func demoStore() throws -> (URL, String) {
        let dir = temporaryDirectory()
        let db = dir.appendingPathComponent("demo.sqlite").path
        #expect(try runPedigree(["demo", "--db", db]).0 == 0)
        return (dir, db)
    }

    @Test func formatComesFromTheExtension() throws {
        let (dir, db) = try Self.demoStore()
        let expectations: [(String, (Data) -> Bool)] = [
            ("svg", { String(decoding: $0, as: UTF8.self).contains("<svg") }),
            ("png", { $0.starts(with: [0x89, 0x50, 0x4e, 0x47]) }),
            ("pdf", { $0.starts(with: Array("%PDF".utf8)) }),
            ("dot", { $0.starts(with: Array("digraph lineage {".utf8)) }),
            ("mmd", { $0.starts(with: Array("flowchart LR".utf8)) }),
        ]
        for (ext, check) in expectations {
            let path = dir.appendingPathComponent("lineage.\(ext)").path
            let (code, out, err) = try runPedigree(["render", "--db", db, Self.provenance, "-o", path])
            #expect(code == 0, "\(ext): \(err)")
            #expect(out.hasPrefix("wrote \(path) ("), "\(out)")
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(check(data), "\(ext) output is not what the extension asks for")
        }
    }

    @Test func textFormatsGoToStandardOutput() throws {
        let (_, db) = try Self.demoStore()
        let (code, out, _) = try runPedigree(["render", "--db", db, "--format", "dot", Self.provenance])
        #expect(code == 0)
        #expect(out.hasPrefix("digraph lineage {") && out.contains("a29 [id=\"artifact-29\""))
        // The query from standard input, Mermaid, top to bottom, collapsed.
        let (code2, mermaid, _) = try runPedigree(
            ["render", "--db", db, "--format", "mermaid", "--rankdir", "TB", "--collapse", "executions", "-"], stdin: Self.provenance)
        #expect(code2 == 0)
        #expect(mermaid.hasPrefix("flowchart TB") && mermaid.contains("a28 -->|\"Trainer\"| a29"), "\(mermaid)")
        // --format wins over the extension.
        let (code3, binary, err) = try runPedigree(["render", "--db", db, "--format", "png", Self.provenance])
        #expect(code3 == 64 && binary.isEmpty && err.contains("binary"), "\(err)")
    }

    @Test func clusterByContextType() throws {
        let (_, db) = try Self.demoStore()
        // The query may come after the option's two values, or before them.
        for arguments in [
            ["--cluster-by", "context-type", "pipeline_run", Self.provenance],
            [Self.provenance, "--cluster-by", "context-type", "pipeline_run"],
        ] {
            let (code, out, err) = try runPedigree(["render", "--db", db, "--format", "dot"] + arguments)
            #expect(code == 0, "\(err)")
            #expect(out.contains("subgraph cluster_1 {") && out.contains("pipeline_run chicago-taxi-run-4 (context 5)"), "\(out)")
        }
        let (code, _, err) = try runPedigree(["render", "--db", db, "--format", "dot", "--cluster-by", "pipeline_run", Self.provenance])
        #expect(code == 64 && err.contains("context-type NAME"), "\(err)")
        let (code2, _, err2) = try runPedigree(["render", "--db", db, "--format", "dot", "--cluster-by", "context-type", "run", Self.provenance])
        #expect(code2 == 65 && err2.contains("no context type named 'run'"), "\(err2)")
    }

    @Test func largeResultsAreGroupedAndSaySo() throws {
        let (_, db) = try Self.demoStore()
        // The whole demo (57 nodes): few share their neighbours, so the rest is grouped by type.
        let (code, out, err) = try runPedigree(
            ["render", "--db", db, "--format", "dot", "--max-nodes", "5", "execution(type = 'ExampleGen') downstream* return subgraph"])
        #expect(code == 0)
        #expect(err.contains("note: ") && err.contains("57 nodes, more than 5: grouped"), "\(err)")
        #expect(out.contains("label=\"note: "))
    }

    /// A TFX store's run history clustered by run: summarised under --max-nodes (runs collapsed
    /// to one node each where needed), with notes on standard error, into a PNG.
    @Test func largeClusteredRenderFitsMaxNodes() throws {
        let dir = temporaryDirectory()
        let db = dir.appendingPathComponent("tfx.sqlite").path
        let (generated, _, generateErr) = try runPedigree(["generate", "--shape", "tfx", "--executions", "3000", "--db", db])
        #expect(generated == 0, "\(generateErr)")
        let png = dir.appendingPathComponent("runs.png").path
        let (code, out, err) = try runPedigree([
            "render", "--db", db, "--cluster-by", "context-type", "pipeline_run", "--max-nodes", "150",
            "artifact(type = 'Dataset') downstream* return subgraph", "-o", png,
        ])
        #expect(code == 0, "\(err)")
        let drawn = try #require(out.firstMatch(of: /png, (\d+) nodes/).map { Int($0.1)! }, "\(out)")
        #expect(drawn <= 150, "\(out)")
        #expect(err.contains("note: ") && err.contains("pipeline_run clusters (the smallest first) to one node each, hiding"), "\(err)")
        #expect(err.contains("note: \(drawn) nodes drawn"), "\(err)")
        let data = try Data(contentsOf: URL(fileURLWithPath: png))
        #expect(data.starts(with: [0x89, 0x50, 0x4e, 0x47]))
    }

    @Test func unknownFormat() throws {
        let (dir, db) = try Self.demoStore()
        let (code, _, err) = try runPedigree(["render", "--db", db, "--format", "gif", Self.provenance])
        #expect(code == 65 && err.contains("unknown format 'gif'"), "\(err)")
        let path = dir.appendingPathComponent("lineage.gif").path
        let (code2, _, err2) = try runPedigree(["render", "--db", db, Self.provenance, "-o", path])
        #expect(code2 == 65 && err2.contains("cannot tell the format from the extension '.gif'"), "\(err2)")
        #expect(!FileManager.default.fileExists(atPath: path))
        let (code3, _, err3) = try runPedigree(["render", "--db", db, Self.provenance])
        #expect(code3 == 64 && err3.contains("say which format"), "\(err3)")
    }

    @Test func unwritablePath() throws {
        let (dir, db) = try Self.demoStore()
        let path = dir.appendingPathComponent("no-such-directory/lineage.svg").path
        let (code, out, err) = try runPedigree(["render", "--db", db, Self.provenance, "-o", path])
        #expect(code == 65, "\(err)")
        #expect(out.isEmpty && err.contains("cannot write \(path)"), "\(err)")
    }

    @Test func emptyResultExits65() throws {
        let (dir, db) = try Self.demoStore()
        let path = dir.appendingPathComponent("empty.svg").path
        let (code, _, err) = try runPedigree(["render", "--db", db, "artifact(id = 999) upstream* return subgraph", "-o", path])
        #expect(code == 65 && err.contains("the query returned no nodes: there is nothing to draw"), "\(err)")
        #expect(!FileManager.default.fileExists(atPath: path))
        let (code2, _, err2) = try runPedigree(["render", "--db", db, "artifact(type = 'Model') return count", "-o", path])
        #expect(code2 == 65 && err2.contains("a count has no diagram"), "\(err2)")
    }

    @Test func queryErrorShowsItsDiagnostics() throws {
        let (dir, db) = try Self.demoStore()
        let (code, _, err) = try runPedigree(["render", "--db", db, "artifact(type = 'Modell') upstream*", "-o", dir.appendingPathComponent("x.svg").path])
        #expect(code == 65)
        #expect(err.contains("error: the store has no artifact type named 'Modell'") && err.contains("^^^^^^^^") && err.contains("did you mean 'Model'?"), "\(err)")
    }
}
