/// Maps MLMD ids to dense node indices. MLMD ids come from AUTOINCREMENT and are nearly dense,
/// so most live in a direct table (no hashing); ids far beyond it go to a hash map.
package struct IDSlots: Sendable {
    /// slot of id `i + 1`, or -1.
    private var dense = ChunkedArray<Int32>()
    private var sparse = ShardedMap<Int64, Int32>()
    /// How far past the dense table an id may be and still extend it.
    private static var maxGap: Int64 { 1 << 16 }

    package init() {}

    @inline(__always)
    package subscript(id: Int64) -> Int32? {
        if id >= 1 && id <= Int64(dense.count) {
            let slot = dense[Int(id - 1)]
            return slot >= 0 ? slot : nil
        }
        return sparse.count == 0 ? nil : sparse[id]
    }

    package mutating func set(_ id: Int64, _ slot: Int32?) {
        if id >= 1 && id <= Int64(dense.count) {
            dense[Int(id - 1)] = slot ?? -1
        } else if let slot, id >= 1, id - Int64(dense.count) <= Self.maxGap, sparse[id] == nil {
            while Int64(dense.count) < id - 1 { dense.append(-1) }
            dense.append(slot)
        } else {
            sparse[id] = slot
        }
    }
}
