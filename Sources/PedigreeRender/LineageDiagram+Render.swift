public import PedigreeGraph
public import PedigreeModel
public import PedigreeQuery

extension LineageDiagram {
    /// PNG pixels per inch, and the largest PNG side in inches (at that density, 11,520 pixels):
    /// a diagram larger than that is scaled down, never past what Cairo can draw.
    public static let pngDPI = 96
    public static let pngMaxInches = 120

    /// The diagram in `format` (by default the options' format): DOT or Mermaid text as UTF-8,
    /// or SVG, PNG or PDF drawn by Graphviz.
    public func render(_ format: DiagramOptions.Format? = nil) throws(MetadataError) -> [UInt8] {
        switch format ?? options.format {
        case .dot: Array(dot().utf8)
        case .mermaid: Array(mermaid().utf8)
        case .svg: try Graphviz.render(dot: dot(), format: .svg)
        case .pdf: try Graphviz.render(dot: dot(), format: .pdf)
        case .png:
            try Graphviz.render(
                dot: dot(graphAttributes: [("dpi", String(Self.pngDPI)), ("size", "\(Self.pngMaxInches),\(Self.pngMaxInches)")]),
                format: .png)
        }
    }
}

extension GraphSnapshot {
    /// Draws a query result (see `LineageDiagram`) in `options.format`.
    public func render(_ result: QueryResult, options: DiagramOptions = DiagramOptions()) throws(MetadataError) -> [UInt8] {
        try LineageDiagram(snapshot: self, result: result, options: options).render()
    }

    /// The diagram of a query result, to inspect or to write in several formats.
    public func diagram(_ result: QueryResult, options: DiagramOptions = DiagramOptions()) throws(MetadataError) -> LineageDiagram {
        try LineageDiagram(snapshot: self, result: result, options: options)
    }
}
