/// A problem found in a query: data, not text. `DiagnosticRenderer` draws it for people; JSON and
/// gRPC carry the fields.
public struct Diagnostic: Hashable, Sendable, Error {
    public enum Severity: String, Hashable, Sendable { case error, warning }

    /// A stable identifier, such as `syntax.expected` or `bind.unknown-type`.
    public var id: String
    public var severity: Severity
    public var message: String
    public var range: SourceRange
    /// Extra lines, such as "did you mean 'Model'?".
    public var notes: [String]

    public init(_ id: String, _ message: String, at range: SourceRange, notes: [String] = [], severity: Severity = .error) {
        self.id = id
        self.message = message
        self.range = range
        self.notes = notes
        self.severity = severity
    }
}

/// The diagnostics of a failed query, as one error.
public struct QueryError: Error, Sendable, CustomStringConvertible {
    public var source: String
    public var diagnostics: [Diagnostic]

    public init(source: String, diagnostics: [Diagnostic]) {
        self.source = source
        self.diagnostics = diagnostics
    }

    public var description: String { DiagnosticRenderer.render(diagnostics, in: source) }
}

/// Draws diagnostics with the line, column, source line and carets under the whole token.
public enum DiagnosticRenderer {
    /// Line (1-based), column (1-based, in characters) of a byte offset.
    public static func location(of offset: Int, in source: String) -> (line: Int, column: Int, lineText: Substring, lineStart: Int) {
        let bytes = Array(source.utf8)
        let clamped = max(0, min(offset, bytes.count))
        var line = 1
        var lineStart = 0
        for i in 0..<clamped where bytes[i] == 0x0a {
            line += 1
            lineStart = i + 1
        }
        var lineEnd = lineStart
        while lineEnd < bytes.count, bytes[lineEnd] != 0x0a { lineEnd += 1 }
        let column = String(decoding: bytes[lineStart..<clamped], as: UTF8.self).count + 1
        let text = Substring(String(decoding: bytes[lineStart..<lineEnd], as: UTF8.self))
        return (line, column, text, lineStart)
    }

    public static func render(_ diagnostics: [Diagnostic], in source: String) -> String {
        diagnostics.map { render($0, in: source) }.joined(separator: "\n")
    }

    /// Source lines longer than this are shown as a window around the caret.
    static let maxShown = 100

    public static func render(_ d: Diagnostic, in source: String) -> String {
        let bytes = Array(source.utf8)
        let (line, column, lineText, lineStart) = location(of: d.range.start, in: source)
        // Carets under the whole token, counted in characters, clipped to the line.
        let lineEnd = lineStart + lineText.utf8.count
        let end = max(d.range.start, min(d.range.end, lineEnd))
        var width = max(1, String(decoding: bytes[min(d.range.start, bytes.count)..<min(end, bytes.count)], as: UTF8.self).count)
        var shown = Array(lineText)
        var caretColumn = column - 1
        var prefix = "", suffix = ""
        if shown.count > maxShown {
            // A window of the line around the caret, with ellipses for what is cut.
            let from = max(0, min(caretColumn - maxShown / 2, shown.count - maxShown))
            let to = min(shown.count, from + maxShown)
            if from > 0 { prefix = "…" }
            if to < shown.count { suffix = "…" }
            shown = Array(shown[from..<to])
            caretColumn = caretColumn - from + prefix.count
            width = min(width, max(1, to - from - (caretColumn - prefix.count)))
        }
        let gutter = String(repeating: " ", count: String(line).count)
        var out = "\(d.severity.rawValue): \(d.message)\n"
        out += "\(gutter)--> line \(line), column \(column)\n"
        out += "\(gutter) |\n"
        out += "\(line) | \(prefix)\(String(shown))\(suffix)\n"
        out += "\(gutter) | \(String(repeating: " ", count: caretColumn))\(String(repeating: "^", count: width))"
        for note in d.notes { out += "\n\(gutter) = note: \(note)" }
        return out
    }
}
