/// An array stored as fixed-size chunks. Copying it is O(1); mutating a copy copies the outer
/// table of chunks and the one chunk touched, never the whole array. Snapshots of the graph share
/// all untouched chunks.
///
/// Public under `@_spi(Engine)`, like `MultiMap` and `NodeRef`'s index, rather than `package`: the
/// executor's loops need these members inlined across modules, and `@inlinable package` ones were
/// not (a walk counted by type took 4.3x its plain count instead of 1.4x). SPI keeps them out of
/// `import Pedigree` and out of API/Pedigree.txt.
@_spi(Engine) public struct ChunkedArray<Element: Sendable>: Sendable, RandomAccessCollection {
    @_spi(Engine) @inlinable public static var chunkShift: Int { 12 }
    @_spi(Engine) @inlinable public static var chunkSize: Int { 1 << chunkShift }

    @usableFromInline var chunks: [[Element]] = []
    @_spi(Engine) public private(set) var count: Int = 0

    @_spi(Engine) public init() {}

    @_spi(Engine) public init(_ elements: some Sequence<Element>) {
        for element in elements { append(element) }
    }

    @_spi(Engine) public init(repeating element: Element, count: Int) {
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

    @_spi(Engine) public var startIndex: Int { 0 }
    @_spi(Engine) public var endIndex: Int { count }

    @inlinable
    @_spi(Engine) public subscript(position: Int) -> Element {
        get { chunks[position >> Self.chunkShift][position & (Self.chunkSize - 1)] }
        set { chunks[position >> Self.chunkShift][position & (Self.chunkSize - 1)] = newValue }
    }

    @_spi(Engine) public mutating func append(_ element: Element) {
        if count & (Self.chunkSize - 1) == 0 {
            var chunk: [Element] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(element)
        count += 1
    }

    @_spi(Engine) public mutating func append(contentsOf elements: some Sequence<Element>) {
        for element in elements { append(element) }
    }
}
