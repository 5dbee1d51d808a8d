import PedigreeModel

/// The visual language, shared by DOT and Mermaid: a fixed palette that type names hash into,
/// and the colours of highlights and states.
enum DiagramStyle {
    /// Light fills that keep black text legible, from ColorBrewer's Set2, Set3 and Pastel
    /// palettes, without the greys and reds that states and highlights use.
    static let palette = [
        "#8dd3c7", "#ffffb3", "#bebada", "#80b1d3", "#fdb462", "#b3de69", "#fccde5", "#bc80bd",
        "#ccebc5", "#ffed6f", "#e5d8bd", "#fbb4ae", "#e78ac3", "#dadaeb", "#66c2a5", "#fdd0a2",
    ]

    /// A type's fill: FNV-1a of `lineage:` and its name, into the palette, so that a type has the
    /// same colour in every diagram and every run. (Types can share a colour; their labels and
    /// the legend name them. The prefix happens to give each demo type of one kind its own.)
    static func fill(_ typeName: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "lineage:\(typeName)".utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return palette[Int(hash % UInt64(palette.count))]
    }

    static let border = "#444444"
    static let startColor = "#1565c0"
    static let resultColor = "#e65100"
    static let failedColor = "#c62828"
    static let mutedText = "#757575"
    static let edgeColor = "#666666"

    /// Artifacts are ellipses, executions boxes, and collapsed clusters (contexts) folders.
    static func shape(_ kind: NodeKind) -> String {
        switch kind {
        case .artifact: "ellipse"
        case .execution: "box"
        case .context: "folder"
        }
    }
}
