/// A hash map split into shards, so that a write to a copy copies one shard, not the map.
package struct ShardedMap<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private static var shardCount: Int { 256 }
    private var shards: [[Key: Value]] = Array(repeating: [:], count: 256)
    package private(set) var count = 0

    package init() {}

    @inline(__always)
    private func shard(_ key: Key) -> Int { key.hashValue & (Self.shardCount - 1) }

    package subscript(key: Key) -> Value? {
        get { shards[shard(key)][key] }
        set {
            let s = shard(key)
            let old = shards[s].updateValue_(newValue, forKey: key)
            count += (newValue == nil ? 0 : 1) - (old == nil ? 0 : 1)
        }
    }
}

extension Dictionary {
    /// Sets or removes the value for `key`; returns the old value.
    fileprivate mutating func updateValue_(_ value: Value?, forKey key: Key) -> Value? {
        if let value { return updateValue(value, forKey: key) }
        return removeValue(forKey: key)
    }
}
