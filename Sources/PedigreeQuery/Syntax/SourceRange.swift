/// A span of the query text in UTF-8 byte offsets, `start..<end`.
///
/// Ranges are where a node came from, not what it is: two ranges always compare equal (and hash
/// alike), so that syntax trees compare by content (`parse(print(q)) == q`).
public struct SourceRange: Hashable, Sendable, CustomStringConvertible {
    public var start: Int
    public var end: Int

    public init(_ start: Int, _ end: Int) {
        self.start = start
        self.end = end
    }

    public static func == (lhs: SourceRange, rhs: SourceRange) -> Bool { true }
    public func hash(into hasher: inout Hasher) {}

    /// The smallest range covering both.
    public func union(_ other: SourceRange) -> SourceRange { SourceRange(min(start, other.start), max(end, other.end)) }

    public var description: String { "\(start)..<\(end)" }
}
