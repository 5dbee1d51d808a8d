/// A map from dense indices to lists of `Int32`, stored as compressed rows per chunk of keys.
/// Appending to one key's list copies one chunk (about a thousand keys' lists), never the whole map.
@_spi(Engine) public struct MultiMap: Sendable {
    @usableFromInline static var keyShift: Int { 10 }
    @usableFromInline static var keysPerChunk: Int { 1 << keyShift }

    @usableFromInline struct Chunk: Sendable {
        /// offsets[k]..<offsets[k + 1] are key k's items.
        @usableFromInline var offsets: [Int32]
        @usableFromInline var items: [Int32]

        @usableFromInline init(offsets: [Int32], items: [Int32]) {
            self.offsets = offsets
            self.items = items
        }
    }

    @usableFromInline var chunks: [Chunk] = []
    @_spi(Engine) public private(set) var keyCount = 0
    @_spi(Engine) public private(set) var itemCount = 0

    @_spi(Engine) public init() {}

    /// Builds the map for `keyCount` keys from `itemCount` (key, item) pairs given by position,
    /// keeping their order within a key.
    @_spi(Engine) public init(keyCount: Int, itemCount: Int, key: (Int) -> Int32, item: (Int) -> Int32) {
        self.keyCount = keyCount
        let chunkCount = (keyCount + Self.keysPerChunk - 1) / Self.keysPerChunk
        var counts = [Int32](repeating: 0, count: keyCount)
        for i in 0..<itemCount { counts[Int(key(i))] += 1 }
        chunks.reserveCapacity(chunkCount)
        for c in 0..<chunkCount {
            let first = c * Self.keysPerChunk
            let last = min(first + Self.keysPerChunk, keyCount)
            var offsets = [Int32](repeating: 0, count: Self.keysPerChunk + 1)
            var running: Int32 = 0
            for k in first..<last {
                offsets[k - first] = running
                running += counts[k]
                // counts[k] now holds where key k's next item goes within its chunk.
                counts[k] = offsets[k - first]
            }
            for k in (last - first)...Self.keysPerChunk { offsets[k] = running }
            chunks.append(Chunk(offsets: offsets, items: [Int32](repeating: 0, count: Int(running))))
        }
        for i in 0..<itemCount {
            let k = Int(key(i))
            chunks[k >> Self.keyShift].items[Int(counts[k])] = item(i)
            counts[k] += 1
        }
        self.itemCount = itemCount
    }

    /// Adds keys up to `count` (with empty lists).
    @_spi(Engine) public mutating func grow(to count: Int) {
        while keyCount < count {
            if keyCount & (Self.keysPerChunk - 1) == 0 {
                chunks.append(Chunk(offsets: [Int32](repeating: 0, count: Self.keysPerChunk + 1), items: []))
            }
            keyCount += 1
        }
    }

    @_spi(Engine) public mutating func append(_ item: Int32, to key: Int32) {
        let k = Int(key)
        precondition(k < keyCount, "MultiMap key out of range")
        let c = k >> Self.keyShift
        let local = k & (Self.keysPerChunk - 1)
        let at = Int(chunks[c].offsets[local + 1])
        chunks[c].items.insert(item, at: at)
        for j in (local + 1)...Self.keysPerChunk { chunks[c].offsets[j] += 1 }
        itemCount += 1
    }

    /// Appends many (key, item) pairs, rebuilding each touched chunk once: O(touched chunks'
    /// items + pairs), where one `append` per pair would be O(chunk) each.
    @_spi(Engine) public mutating func append(contentsOf pairs: [(Int32, Int32)]) {
        guard !pairs.isEmpty else { return }
        var byChunk: [Int: [(Int, Int32)]] = [:]
        for (key, item) in pairs {
            let k = Int(key)
            precondition(k < keyCount, "MultiMap key out of range")
            byChunk[k >> Self.keyShift, default: []].append((k & (Self.keysPerChunk - 1), item))
        }
        for (c, additions) in byChunk {
            let old = chunks[c]
            var extra = [Int32](repeating: 0, count: Self.keysPerChunk)
            for (local, _) in additions { extra[local] += 1 }
            var offsets = [Int32](repeating: 0, count: Self.keysPerChunk + 1)
            for k in 0..<Self.keysPerChunk {
                offsets[k + 1] = offsets[k] + (old.offsets[k + 1] - old.offsets[k]) + extra[k]
            }
            var items = [Int32](repeating: 0, count: Int(offsets[Self.keysPerChunk]))
            var fill = [Int32](repeating: 0, count: Self.keysPerChunk)
            for k in 0..<Self.keysPerChunk {
                let from = Int(old.offsets[k]), to = Int(old.offsets[k + 1])
                let at = Int(offsets[k])
                for j in from..<to { items[at + j - from] = old.items[j] }
                fill[k] = Int32(to - from)
            }
            for (local, item) in additions {
                items[Int(offsets[local] + fill[local])] = item
                fill[local] += 1
            }
            chunks[c] = Chunk(offsets: offsets, items: items)
        }
        itemCount += pairs.count
    }

    /// The items of `key` in place: no copy, no reference counting, for the traversal's inner
    /// loop. The pointer is valid while this map (the value the caller holds) is alive and not
    /// mutated: a snapshot's maps never are.
    @inlinable
    @_spi(Engine) public func unsafeItems(_ key: Int32) -> UnsafeBufferPointer<Int32> {
        let k = Int(key)
        let c = k >> Self.keyShift
        let local = k & (Self.keysPerChunk - 1)
        let from = Int(chunks[c].offsets[local]), to = Int(chunks[c].offsets[local + 1])
        return chunks[c].items.withUnsafeBufferPointer { UnsafeBufferPointer(rebasing: $0[from..<to]) }
    }

    /// The items of `key`, in insertion order.
    @inlinable
    @_spi(Engine) public func items(_ key: Int32) -> ArraySlice<Int32> {
        let k = Int(key)
        let chunk = chunks[k >> Self.keyShift]
        let local = k & (Self.keysPerChunk - 1)
        return chunk.items[Int(chunk.offsets[local])..<Int(chunk.offsets[local + 1])]
    }

    @inlinable
    @_spi(Engine) public func count(_ key: Int32) -> Int {
        let k = Int(key)
        let chunk = chunks[k >> Self.keyShift]
        let local = k & (Self.keysPerChunk - 1)
        return Int(chunk.offsets[local + 1] - chunk.offsets[local])
    }
}
