/// A hash index from a string key (with an optional numeric qualifier, such as a type id) to
/// nodes. The table maps a 64-bit hash to the newest node with it; nodes with the same hash
/// (duplicates or collisions) are chained through `next`. Lookups compare the real key, which the
/// caller reads from the node, so the index stores no strings.
package struct StringIndex: Sendable {
    private var table = HashTable()
    /// next[slot]: the previous node with the same hash, or -1.
    private var next = ChunkedArray<Int32>()

    package init() {}

    @inline(__always)
    package static func hash(_ key: String, qualifier: Int64 = 0) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(bitPattern: qualifier) &* 0x9E37_79B9_7F4A_7C15
        var key = key
        key.withUTF8 { bytes in
            for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        }
        // Final avalanche (murmur3 fmix64); 0 is reserved for empty table cells.
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h = h &* 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h == 0 ? 1 : h
    }

    /// Indexes slots `0..<count` at once (a bulk load): `hash(slot)` is the slot's key hash, or
    /// nil for a slot without a key. Same result as inserting the slots in order, but the table is
    /// sized once and filled one shard at a time, so that the writes stay in cache.
    package init(count: Int, hash: (Int) -> UInt64?) {
        var hashes = [UInt64](repeating: 0, count: count)
        var keyed = 0
        for slot in 0..<count {
            if let h = hash(slot) {
                hashes[slot] = h
                keyed += 1
            }
        }
        // Only slots in the table are ever read in `next` (`insert` extends it): an index without
        // keys needs none.
        if keyed > 0 { next = ChunkedArray(repeating: -1, count: count) }
        var replaced: [(slot: Int32, previous: Int32)] = []
        table = HashTable(hashes: hashes, keyed: keyed) { replaced.append(($0, $1)) }
        for (slot, previous) in replaced { next[Int(slot)] = previous }
    }

    private mutating func ensureSlot(_ slot: Int32) {
        while next.count <= Int(slot) { next.append(-1) }
    }

    /// Adds `slot` under `hash`.
    package mutating func insert(_ hash: UInt64, _ slot: Int32) {
        ensureSlot(slot)
        next[Int(slot)] = table.exchange(hash, slot) ?? -1
    }

    /// Removes `slot` from under `hash`.
    package mutating func remove(_ hash: UInt64, _ slot: Int32) {
        guard let head = table[hash] else { return }
        if head == slot {
            let after = next[Int(slot)]
            table[hash] = after >= 0 ? after : nil
            return
        }
        var at = head
        while true {
            let n = next[Int(at)]
            if n < 0 { return }
            if n == slot {
                next[Int(at)] = next[Int(slot)]
                return
            }
            at = n
        }
    }

    /// Calls `body` with each node under `hash`, newest first, until it returns false.
    @inline(__always)
    package func forEach(_ hash: UInt64, _ body: (Int32) -> Bool) {
        var at = table[hash] ?? -1
        while at >= 0 {
            if !body(at) { return }
            at = next[Int(at)]
        }
    }

    /// The first node under `hash` for which `matches` holds.
    @inline(__always)
    package func first(_ hash: UInt64, where matches: (Int32) -> Bool) -> Int32? {
        var found: Int32?
        forEach(hash) { slot in
            if matches(slot) {
                found = slot
                return false
            }
            return true
        }
        return found
    }
}

/// Open addressing from non-zero 64-bit keys to Int32, in shards so that a write to a copy
/// copies one shard.
struct HashTable: Sendable {
    private struct Shard: Sendable {
        var keys: [UInt64] = []
        var values: [Int32] = []
        var count = 0
    }

    private static var shardBits: Int { 8 }
    private var shards = [Shard](repeating: Shard(), count: 1 << 8)

    init() {}

    @inline(__always)
    private static func shard(_ key: UInt64) -> Int { Int(key >> (64 - UInt64(shardBits))) }

    subscript(key: UInt64) -> Int32? {
        get {
            let s = Self.shard(key)
            return shards[s].keys.withUnsafeBufferPointer { keys -> Int32? in
                guard !keys.isEmpty else { return nil }
                let mask = keys.count - 1
                var i = Int(truncatingIfNeeded: key) & mask
                while true {
                    let k = keys[i]
                    if k == key { return shards[s].values[i] }
                    if k == 0 { return nil }
                    i = (i + 1) & mask
                }
            }
        }
        set {
            let s = Self.shard(key)
            if let value = newValue {
                Self.insert(&shards[s], key, value)
            } else {
                Self.remove(&shards[s], key)
            }
        }
    }

    /// Sets `key` to `value`; returns the value it replaced.
    mutating func exchange(_ key: UInt64, _ value: Int32) -> Int32? {
        Self.insert(&shards[Self.shard(key)], key, value)
    }

    @discardableResult
    private static func insert(_ shard: inout Shard, _ key: UInt64, _ value: Int32) -> Int32? {
        if (shard.count + 1) * 2 > shard.keys.count { grow(&shard) }
        let mask = shard.keys.count - 1
        var i = Int(truncatingIfNeeded: key) & mask
        while true {
            let k = shard.keys[i]
            if k == key {
                let old = shard.values[i]
                shard.values[i] = value
                return old
            }
            if k == 0 {
                shard.keys[i] = key
                shard.values[i] = value
                shard.count += 1
                return nil
            }
            i = (i + 1) & mask
        }
    }

    /// A table of `hashes[slot] -> slot` for every non-zero hash, later slots replacing earlier
    /// ones with the same hash (`replaced(slot, previous)` reports each). The pairs are grouped by
    /// shard first (a stable counting sort), then each shard is filled while it is in cache.
    init(hashes: [UInt64], keyed: Int, replaced: (Int32, Int32) -> Void) {
        reserve(keyed)
        var start = [Int](repeating: 0, count: (1 << Self.shardBits) + 1)
        for h in hashes where h != 0 { start[Self.shard(h) + 1] += 1 }
        for s in 0..<(1 << Self.shardBits) { start[s + 1] += start[s] }
        var grouped = [(key: UInt64, slot: Int32)](repeating: (0, 0), count: keyed)
        var fill = start
        for (slot, h) in hashes.enumerated() where h != 0 {
            let s = Self.shard(h)
            grouped[fill[s]] = (h, Int32(slot))
            fill[s] += 1
        }
        for s in 0..<(1 << Self.shardBits) {
            for j in start[s]..<start[s + 1] {
                let (key, slot) = grouped[j]
                if let previous = Self.insert(&shards[s], key, slot) { replaced(slot, previous) }
            }
        }
    }

    /// Sizes every shard for an even share of `count` keys at most half full.
    mutating func reserve(_ count: Int) {
        let perShard = 2 * count / (1 << Self.shardBits) + 16
        var capacity = 16
        while capacity < perShard { capacity *= 2 }
        for s in shards.indices where shards[s].keys.count < capacity { Self.rehash(&shards[s], capacity: capacity) }
    }

    private static func grow(_ shard: inout Shard) { rehash(&shard, capacity: max(16, shard.keys.count * 2)) }

    private static func rehash(_ shard: inout Shard, capacity: Int) {
        let old = shard
        shard = Shard(keys: [UInt64](repeating: 0, count: capacity), values: [Int32](repeating: 0, count: capacity), count: 0)
        for (i, k) in old.keys.enumerated() where k != 0 { insert(&shard, k, old.values[i]) }
    }

    /// Backward-shift deletion keeps probe sequences intact without tombstones.
    private static func remove(_ shard: inout Shard, _ key: UInt64) {
        guard shard.count > 0 else { return }
        let mask = shard.keys.count - 1
        var i = Int(truncatingIfNeeded: key) & mask
        while shard.keys[i] != key {
            if shard.keys[i] == 0 { return }
            i = (i + 1) & mask
        }
        var hole = i
        var j = i
        while true {
            j = (j + 1) & mask
            let k = shard.keys[j]
            if k == 0 { break }
            let home = Int(truncatingIfNeeded: k) & mask
            // Move k into the hole if its home is not in (hole, j].
            let inRange = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j)
            if !inRange {
                shard.keys[hole] = k
                shard.values[hole] = shard.values[j]
                hole = j
            }
        }
        shard.keys[hole] = 0
        shard.count -= 1
    }
}
