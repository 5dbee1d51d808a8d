/// What a connection keeps per statement (a prepared statement, a parsed template), found by the
/// statement's text or, on the write paths, by its slot's index (no hashing of the text).
struct StatementCache<Value> {
    private var byText: [String: Value] = [:]
    private var bySlot: [Value?] = []

    /// The value for `sql`, made on first use.
    mutating func value(for sql: String, make: (String) throws(DatabaseError) -> Value) throws(DatabaseError) -> Value {
        if let cached = byText[sql] { return cached }
        let made = try make(sql)
        byText[sql] = made
        return made
    }

    /// The value for `slot`, made from its text on first use.
    mutating func value(for slot: StatementSlot, make: (String) throws(DatabaseError) -> Value) throws(DatabaseError) -> Value {
        if slot.index < bySlot.count, let cached = bySlot[slot.index] { return cached }
        let made = try make(slot.sql)
        if slot.index >= bySlot.count { bySlot.append(contentsOf: repeatElement(nil, count: slot.index + 1 - bySlot.count)) }
        bySlot[slot.index] = made
        return made
    }

    /// Forgets every value, after handing each to `release`.
    mutating func removeAll(_ release: (Value) -> Void = { _ in }) {
        for value in byText.values { release(value) }
        for case let value? in bySlot { release(value) }
        byText.removeAll()
        bySlot.removeAll()
    }
}
