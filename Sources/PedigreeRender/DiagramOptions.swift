/// What to draw and how; the CLI's `render` options map one to one onto these.
public struct DiagramOptions: Sendable, Hashable {
    /// The output formats: Graphviz's three, the DOT text itself, and Mermaid flowchart text.
    public enum Format: String, Sendable, CaseIterable {
        case svg, png, pdf, dot, mermaid

        /// The format a file name's extension asks for (`.svg .png .pdf .dot .gv .mmd .mermaid`).
        public init?(fileExtension: String) {
            switch fileExtension.lowercased() {
            case "svg": self = .svg
            case "png": self = .png
            case "pdf": self = .pdf
            case "dot", "gv": self = .dot
            case "mmd", "mermaid": self = .mermaid
            default: return nil
            }
        }

        /// Whether the output is text (DOT, Mermaid, SVG) rather than binary.
        public var isText: Bool { self == .dot || self == .mermaid || self == .svg }
    }

    /// Graphviz's `rankdir`: left to right (the default) or top to bottom.
    public enum RankDirection: String, Sendable, CaseIterable {
        case leftToRight = "LR", topToBottom = "TB"
    }

    public var format: Format
    public var rankDirection: RankDirection
    /// Draw the contexts of this context type as clusters (a node in several goes into the one
    /// with the smallest id).
    public var clusterContextType: String?
    /// Leave executions out and join each input artifact to each output artifact of an execution
    /// with an edge labelled by the execution's type.
    public var collapseExecutions: Bool
    /// Above this many nodes the diagram is summarised until it fits: nodes of one type that share
    /// their neighbours are drawn as one, then nodes of one type, then (with clusters) whole
    /// clusters are collapsed to one node each (LineageDiagram+Grouping.swift).
    public var maxNodes: Int
    public var legend: Bool

    public init(
        format: Format = .svg, rankDirection: RankDirection = .leftToRight, clusterContextType: String? = nil,
        collapseExecutions: Bool = false, maxNodes: Int = 300, legend: Bool = true
    ) {
        self.format = format
        self.rankDirection = rankDirection
        self.clusterContextType = clusterContextType
        self.collapseExecutions = collapseExecutions
        self.maxNodes = maxNodes
        self.legend = legend
    }
}
