/// A span of the query text in UTF-8 byte offsets, `start..<end`.
///
/// Ranges compare and hash by their offsets, like any value. Syntax trees carry them, so two
/// trees are `==` only when they were also written at the same places; to compare what two
/// queries say, whatever their spelling and spacing, use `hasSameContent(as:)` (AST+Content.swift).
public struct SourceRange: Hashable, Sendable, CustomStringConvertible {
    public var start: Int
    public var end: Int

    public init(_ start: Int, _ end: Int) {
        self.start = start
        self.end = end
    }

    /// The smallest range covering both.
    public func union(_ other: SourceRange) -> SourceRange { SourceRange(min(start, other.start), max(end, other.end)) }

    /// Whether `other` lies inside this range (or is equal to it).
    public func contains(_ other: SourceRange) -> Bool { start <= other.start && other.end <= end }

    public var description: String { "\(start)..<\(end)" }
}
