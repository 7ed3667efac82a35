/// The field ids of keys read from lines (logfmt keys), found by the key's bytes, so that a key
/// seen before costs a hash and a comparison rather than a `String` and a dictionary lookup.
///
/// Open addressing over a power-of-two table, kept at most half full; the keys' bytes sit back
/// to back in one buffer. Memory of its own, freed by `deallocate()`: the owner keeps the cache
/// behind a pointer, so that the hot path pays no exclusivity checks and retains no array.
struct FieldKeyCache {
    private struct Slot {
        /// -1 for an empty slot.
        var length: Int
        var offset: Int
        var hash: UInt32
        var field: Int
    }

    /// The most keys one cache takes; past it `field(for:_:_:record:)` returns nil.
    let limit: Int
    private var slots: UnsafeMutableBufferPointer<Slot>
    private var bytes: UnsafeMutablePointer<UInt8>
    private var bytesCapacity: Int
    private var bytesCount = 0
    /// The number of keys held.
    private(set) var count = 0

    /// Creates an empty cache that takes at most `limit` keys.
    init(limit: Int) {
        self.limit = limit
        slots = .allocate(capacity: 64)
        slots.initialize(repeating: Slot(length: -1, offset: 0, hash: 0, field: 0))
        bytesCapacity = 1024
        bytes = .allocate(capacity: bytesCapacity + 8)
        bytes.initialize(repeating: 0, count: bytesCapacity + 8)
    }

    /// Frees the cache's memory; the cache must not be used after.
    func deallocate() {
        slots.deallocate()
        bytes.deallocate()
    }

    /// The field index for the key at `start..<end` of `line`, registering it in `record` (and
    /// here) the first time; nil when the key is new and the cache already holds `limit` keys.
    @inline(__always)
    mutating func field(
        for line: UnsafePointer<UInt8>, _ start: Int, _ end: Int, record: inout Record
    ) -> Int? {
        let length = end - start
        let hash = Self.hash(line + start, length)
        let mask = slots.count - 1
        var index = Int(hash) & mask
        while true {
            let slot = slots[index]
            if slot.length < 0 { break }
            if slot.hash == hash && slot.length == length
                && Self.equal(bytes + slot.offset, line + start, length) {
                return slot.field
            }
            index = (index + 1) & mask
        }
        guard count < limit else { return nil }
        return insert(line + start, length, hash: hash, at: index, record: &record)
    }

    /// Registers a new key at empty slot `index`.
    private mutating func insert(
        _ key: UnsafePointer<UInt8>, _ length: Int, hash: UInt32, at index: Int,
        record: inout Record
    ) -> Int {
        let name = String(decoding: UnsafeBufferPointer(start: key, count: length), as: UTF8.self)
        let field = record.field(name).index
        if bytesCount + length > bytesCapacity {
            let capacity = max(bytesCapacity * 2, bytesCount + length)
            // Eight bytes past the end, so that a short key's word load stays inside the buffer.
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity + 8)
            grown.initialize(repeating: 0, count: capacity + 8)
            grown.update(from: bytes, count: bytesCount)
            bytes.deallocate()
            bytes = grown
            bytesCapacity = capacity
        }
        (bytes + bytesCount).update(from: key, count: length)
        slots[index] = Slot(length: length, offset: bytesCount, hash: hash, field: field)
        bytesCount += length
        count += 1
        if count * 2 > slots.count { grow() }
        return field
    }

    /// Doubles the table and places every key again.
    private mutating func grow() {
        let old = slots
        slots = .allocate(capacity: old.count * 2)
        slots.initialize(repeating: Slot(length: -1, offset: 0, hash: 0, field: 0))
        let mask = slots.count - 1
        for slot in old where slot.length >= 0 {
            var index = Int(slot.hash) & mask
            while slots[index].length >= 0 { index = (index + 1) & mask }
            slots[index] = slot
        }
        old.deallocate()
    }

    /// A hash of the key a word (eight bytes) at a time, its length mixed in: far fewer steps
    /// than a byte at a time, and every byte counts.
    @inline(__always)
    private static func hash(_ key: UnsafePointer<UInt8>, _ length: Int) -> UInt32 {
        var mixed = UInt64(truncatingIfNeeded: length) &* 0x9E37_79B9_7F4A_7C15
        if length >= 8 {
            var offset = 0
            while offset + 8 < length {
                mixed = (mixed ^ loadWord(key + offset)) &* 0xBF58_476D_1CE4_E5B9
                mixed ^= mixed >> 29
                offset += 8
            }
            // The last word, overlapping the one before when the length is not a multiple of 8.
            mixed ^= loadWord(key + length - 8)
        } else {
            mixed ^= shortWord(key, length)
        }
        mixed = (mixed ^ (mixed >> 32)) &* 0xD6E8_FEB8_6659_FD93
        return UInt32(truncatingIfNeeded: mixed ^ (mixed >> 32))
    }

    /// The `length` (below 8) bytes at `key` as the low bytes of a word, the rest zero: one load
    /// when the word stays inside the key's 4 KiB page (it cannot fault then), else byte by byte.
    @inline(__always)
    private static func shortWord(_ key: UnsafePointer<UInt8>, _ length: Int) -> UInt64 {
        guard UInt(bitPattern: key) & 4095 <= 4096 - 8 else {
            var word: UInt64 = 0
            for index in 0..<length { word |= UInt64(key[index]) << (8 * index) }
            return word
        }
        let keep: UInt64 = length == 0 ? 0 : ~0 &>> UInt64(64 - 8 * length)
        return loadWord(key) & keep
    }

    /// Whether `length` bytes at `a` and `b` are equal (keys are short: no call to `memcmp`).
    /// `a` is the cache's own copy (which may be read up to eight bytes past a key) or a line.
    @inline(__always)
    private static func equal(
        _ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ length: Int
    ) -> Bool {
        guard length >= 8 else { return shortWord(a, length) == shortWord(b, length) }
        var offset = 0
        while offset + 8 < length {
            guard loadWord(a + offset) == loadWord(b + offset) else { return false }
            offset += 8
        }
        return loadWord(a + length - 8) == loadWord(b + length - 8)
    }
}
