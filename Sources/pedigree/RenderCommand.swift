import ArgumentParser
import Foundation
import Pedigree
import PedigreeWire

enum DiagramFormatArgument: String, ExpressibleByArgument, CaseIterable {
    case svg, png, pdf, dot, mermaid
}

enum RankDirectionArgument: String, ExpressibleByArgument, CaseIterable {
    case LR, TB
}

enum CollapseArgument: String, ExpressibleByArgument, CaseIterable {
    case executions
}

struct RenderCommand: TargetedCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Draw a query's result as a lineage diagram (SVG, PNG, PDF, DOT or Mermaid).",
        discussion: """
            The format comes from --format, or else from the output file's extension (.svg .png \
            .pdf .dot .mmd). Without -o, text formats (svg, dot, mermaid) go to standard output.
            With --server HOST:PORT (or PEDIGREE_SERVER), a running `pedigree serve` draws it.
            Example: pedigree render "artifact(id = 29) upstream* return subgraph" -o lineage.svg
            """)

    @OptionGroup var target: TargetOptions
    @Argument(help: "The query, e.g. \"artifact(id = 29) upstream* return subgraph\"; '-' reads it from standard input.")
    var text: String?
    @Option(name: [.customShort("o"), .long], help: "The file to write ('-': standard output).") var output: String?
    @Option(help: "svg, png, pdf, dot or mermaid (default: from the output file's extension).") var format: String?
    @Option(help: "LR (left to right) or TB (top to bottom).") var rankdir: RankDirectionArgument = .LR
    @Option(
        name: .customLong("cluster-by"), parsing: .upToNextOption,
        help: ArgumentHelp("Draw the contexts of a type as clusters: --cluster-by context-type NAME.", valueName: "context-type NAME"))
    var clusterBy: [String] = []
    @Option(help: "executions: draw artifact -> artifact edges labelled with the execution's type.") var collapse: CollapseArgument?
    @Option(help: "Above this many nodes, group nodes of one type that share their neighbours.") var maxNodes: Int = DiagramOptions().maxNodes
    @Flag(help: "Leave the legend out.") var noLegend = false
    @OptionGroup var options: QueryOptions

    mutating func validate() throws {
        // `--cluster-by context-type NAME 'Q'`: the option takes its two values, the rest is the query.
        if clusterBy.count == 3, text == nil { text = clusterBy.removeLast() }
        if !clusterBy.isEmpty, clusterBy.count != 2 || clusterBy[0] != "context-type" {
            throw ValidationError("--cluster-by takes 'context-type NAME', got '\(clusterBy.joined(separator: " "))'")
        }
        guard text != nil else { throw ValidationError("Missing expected argument '<text>' (the query)") }
        if maxNodes < 1 { throw ValidationError("--max-nodes must be at least 1") }
        if format == nil, output == nil || output == "-" {
            throw ValidationError("say which format: --format svg|png|pdf|dot|mermaid, or -o FILE with one of the extensions .svg .png .pdf .dot .mmd")
        }
        // An unknown format is bad input (65), reported by run(); a binary one to a terminal is usage.
        if let format = try? resolvedFormat(), output == nil || output == "-", !format.isText {
            throw ValidationError("\(format.rawValue) is binary: write it to a file with -o FILE")
        }
    }

    func resolvedFormat() throws -> DiagramOptions.Format {
        if let format {
            guard let known = DiagramFormatArgument(rawValue: format.lowercased()) else {
                throw MetadataError.invalidArgument("unknown format '\(format)': use svg, png, pdf, dot or mermaid")
            }
            return DiagramOptions.Format(rawValue: known.rawValue)!
        }
        let output = output ?? "-"
        let ext = URL(fileURLWithPath: output).pathExtension
        guard let format = DiagramOptions.Format(fileExtension: ext) else {
            throw MetadataError.invalidArgument(
                "cannot tell the format from \(ext.isEmpty ? "a file name without an extension" : "the extension '.\(ext)'") of '\(output)': "
                    + "use .svg .png .pdf .dot or .mmd, or --format svg|png|pdf|dot|mermaid")
        }
        return format
    }

    var diagramOptions: DiagramOptions {
        get throws {
            DiagramOptions(
                format: try resolvedFormat(), rankDirection: rankdir == .TB ? .topToBottom : .leftToRight,
                clusterContextType: clusterBy.count == 2 ? clusterBy[1] : nil, collapseExecutions: collapse == .executions,
                maxNodes: maxNodes, legend: !noLegend)
        }
    }

    func runLocal(_ path: String) throws {
        try PedigreeCommand.run {
            let diagramOptions = try self.diagramOptions
            let snapshot = try MetadataStore(path: path, mode: .readOnly).snapshot
            let text = readQuery(self.text ?? "-")
            let plan: Plan
            do {
                plan = try snapshot.plan(text, parameters: try options.parameters())
            } catch let error as QueryError {
                try reportQueryError(error, json: false)
            }
            let result = try snapshot.run(plan, limits: options.limits)
            let diagram = try snapshot.diagram(result, options: diagramOptions)
            if let t = result.truncated { printError("truncated: \(t)") }
            for note in diagram.notes { printError("note: \(note)") }
            try write(try diagram.render(), format: diagramOptions.format, nodes: diagram.nodes.count, edges: diagram.edges.count)
        }
    }

    /// The drawing from a running server, written as a local run writes it.
    func runRemote(_ address: ServerAddress) async throws {
        try await PedigreeCommand.run {
            let diagramOptions = try self.diagramOptions
            var request = Pedigree_V1_RenderRequest()
            request.query = readQuery(self.text ?? "-")
            (request.parameters, request.options) = try ServerCall.wire(options)
            request.format =
                switch diagramOptions.format {
                case .svg: .svg
                case .png: .png
                case .pdf: .pdf
                case .dot: .dot
                case .mermaid: .mermaid
                }
            request.rankdir = diagramOptions.rankDirection.rawValue
            request.maxNodes = Int32(clamping: diagramOptions.maxNodes)
            request.clusterByContextType = diagramOptions.clusterContextType ?? ""
            request.collapseExecutions = diagramOptions.collapseExecutions
            request.noLegend = !diagramOptions.legend
            let callOptions = ServerCall.options(timeout: options.timeout)
            let response = try await ServerCall.run(address, json: false) { client in
                try await client.render(request, options: callOptions)
            }
            if response.hasTruncated {
                let t = response.truncated
                printError("truncated: \(Truncation(returned: Int(t.returned), omitted: t.omitted < 0 ? nil : Int(t.omitted), reason: t.reason))")
            }
            for note in response.notes { printError("note: \(note)") }
            try write(Array(response.data), format: diagramOptions.format, nodes: Int(response.nodeCount), edges: Int(response.edgeCount))
        }
    }

    /// Writes the drawing to standard output or to the file, and says what it wrote.
    func write(_ bytes: [UInt8], format: DiagramOptions.Format, nodes: Int, edges: Int) throws {
        guard let path = output, path != "-" else {
            FileHandle.standardOutput.write(Data(bytes))
            return
        }
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw MetadataError.invalidArgument("cannot write \(path): \(Self.reason(error))")
        }
        print("wrote \(path) (\(format.rawValue), \(nodes) node\(nodes == 1 ? "" : "s"), \(edges) edge\(edges == 1 ? "" : "s"), \(bytes.count) bytes)")
    }

    /// The operating system's reason, without Foundation's wrapping.
    static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
            let code = POSIXErrorCode(rawValue: Int32(underlying.code))
        {
            return String(cString: strerror(code.rawValue))
        }
        return ns.localizedDescription
    }
}
