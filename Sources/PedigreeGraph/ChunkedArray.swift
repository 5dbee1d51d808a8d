/// An array stored as fixed-size chunks. Copying it is O(1); mutating a copy copies the outer
/// table of chunks and the one chunk touched, never the whole array. Snapshots of the graph share
/// all untouched chunks.
package struct ChunkedArray<Element: Sendable>: Sendable, RandomAccessCollection {
    @inlinable package static var chunkShift: Int { 12 }
    @inlinable package static var chunkSize: Int { 1 << chunkShift }

    @usableFromInline var chunks: [[Element]] = []
    package private(set) var count: Int = 0

    package init() {}

    package init(_ elements: some Sequence<Element>) {
        for element in elements { append(element) }
    }

    package init(repeating element: Element, count: Int) {
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

    package var startIndex: Int { 0 }
    package var endIndex: Int { count }

    @inlinable
    package subscript(position: Int) -> Element {
        get { chunks[position >> Self.chunkShift][position & (Self.chunkSize - 1)] }
        set { chunks[position >> Self.chunkShift][position & (Self.chunkSize - 1)] = newValue }
    }

    package mutating func append(_ element: Element) {
        if count & (Self.chunkSize - 1) == 0 {
            var chunk: [Element] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(element)
        count += 1
    }

    package mutating func append(contentsOf elements: some Sequence<Element>) {
        for element in elements { append(element) }
    }
}
