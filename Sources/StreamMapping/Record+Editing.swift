/// Changing fields after parsing: what field operations do to a record. None of it allocates
/// once the record's buffers have grown to fit a line.
extension Record {
    /// The entry of field `index`, or nil when the field is not set.
    @inline(__always)
    func entry(ofField index: Int) -> Entry? {
        guard index < slots.count else { return nil }
        let slot = Int(slots[index])
        return slot >= 0 ? entries[slot] : nil
    }

    /// Gives field `from`'s value, in its place, the name `to`; a value `to` held is dropped.
    /// Does nothing when `from` is not set.
    mutating func rename(field from: Int, to: Int) {
        guard from != to, entry(ofField: from) != nil else { return }
        remove(FieldID(index: to))
        if to >= slots.count { growSlots(to: to + 1) }
        let slot = Int(slots[from])
        entries[slot].field = to
        slots[to] = Int32(slot)
        slots[from] = -1
    }

    /// Sets field `to` to the value of field `from` (the same bytes: nothing is copied).
    /// Does nothing when `from` is not set.
    mutating func copy(field from: Int, to: Int) {
        guard from != to, let source = entry(ofField: from) else { return }
        store(to, source.start, source.count, isText: source.isText, inLine: source.inLine)
    }

    /// Forgets every field but keeps the scratch bytes and the JSON object's members (to turn
    /// those members into fields of their own).
    mutating func clearFields() {
        for index in 0..<entryCount { slots[entries[index].field] = -1 }
        entryCount = 0
    }
}
