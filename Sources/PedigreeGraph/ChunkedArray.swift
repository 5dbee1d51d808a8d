/// An array stored as fixed-size chunks. Copying it is O(1); mutating a copy copies the outer
/// table of chunks and the one chunk touched, never the whole array. Snapshots of the graph share
/// all untouched chunks.
public struct ChunkedArray<Element: Sendable>: Sendable, RandomAccessCollection {
    @inlinable public static var chunkShift: Int { 12 }
    @inlinable public static var chunkSize: Int { 1 << chunkShift }

    @usableFromInline var chunks: [[Element]] = []
    public private(set) var count: Int = 0

    public init() {}

    public init(_ elements: some Sequence<Element>) {
        for element in elements { append(element) }
    }

    public init(repeating element: Element, count: Int) {
        var left = count
        while left > 0 {
            let n = Swift.min(left, Self.chunkSize)
            var chunk = [Element](repeating: element, count: n)
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
            left -= n
        }
        self.count = count
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    @inlinable
    public subscript(position: Int) -> Element {
        get { chunks[position >> Self.chunkShift][position & (Self.chunkSize - 1)] }
        set { chunks[position >> Self.chunkShift][position & (Self.chunkSize - 1)] = newValue }
    }

    public mutating func append(_ element: Element) {
        if count & (Self.chunkSize - 1) == 0 {
            var chunk: [Element] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(element)
        count += 1
    }

    public mutating func append(contentsOf elements: some Sequence<Element>) {
        for element in elements { append(element) }
    }
}
