/// Plain values in memory that one `Record` owns alone.
///
/// Reading or writing an element costs a load or a store: no uniqueness check, bounds check or
/// reference count, which an array pays on every access from the hot path. The owner frees it
/// with `deallocate()` exactly once (a `Record` does so when it ends) and never lets a copy
/// outlive itself.
struct RecordBuffer<Element: BitwiseCopyable> {
    private(set) var base: UnsafeMutablePointer<Element>
    /// Elements allocated, every one initialized.
    private(set) var count: Int

    init(count: Int, repeating value: Element) {
        let size = max(count, 1)
        base = .allocate(capacity: size)
        base.initialize(repeating: value, count: size)
        self.count = size
    }

    /// Element `index`, which must be below `count` (not checked).
    @inline(__always)
    subscript(index: Int) -> Element {
        get { base[index] }
        nonmutating set { base[index] = newValue }
    }

    /// Makes at least `needed` elements (doubling), the new ones set to `value`.
    mutating func grow(to needed: Int, repeating value: Element) {
        guard needed > count else { return }
        let size = max(needed, count * 2)
        let fresh = UnsafeMutablePointer<Element>.allocate(capacity: size)
        fresh.moveInitialize(from: base, count: count)
        (fresh + count).initialize(repeating: value, count: size - count)
        base.deallocate()
        base = fresh
        count = size
    }

    func deallocate() { base.deallocate() }
}

/// Bytes a `Record` builds values in (unescaped strings, converted numbers), reused from line
/// to line: `count` of them in use, room for more behind.
struct ScratchBytes {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        if count == capacity { grow(to: count + 1) }
        base[count] = byte
        count += 1
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        if count + bytes.count > capacity { grow(to: count + bytes.count) }
        UnsafeMutableRawPointer(base + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    mutating func append<S: Sequence>(contentsOf bytes: S) where S.Element == UInt8 {
        for byte in bytes { append(byte) }
    }

    /// Drops the bytes from `newCount` on.
    mutating func truncate(to newCount: Int) { count = min(count, max(0, newCount)) }

    private mutating func grow(to needed: Int) {
        var size = capacity * 2
        while size < needed { size *= 2 }
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        fresh.update(from: base, count: count)
        base.deallocate()
        base = fresh
        capacity = size
    }

    func deallocate() { base.deallocate() }
}

/// A field name's member prefix as the encoder writes it: `","name":"` (see
/// `FieldNames.chunkBytes`), in memory of its own that never moves, with 16 spare bytes behind so
/// that a short one is copied in one 16-byte step.
struct NameChunk {
    let bytes: UnsafeMutablePointer<UInt8>
    let count: Int
    /// The `"`, `\\` and control bytes inside the escaped name (the four structural quotes aside).
    let specials: Int
    /// The mapping adds this field itself, so a parsed value is not written.
    let isAdded: Bool

    static let spare = 16
}

/// The `NameChunk` of every field name a record knows, by field index; only ever appended to.
struct NameChunkTable {
    private(set) var base: UnsafeMutablePointer<NameChunk>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    @inline(__always)
    subscript(index: Int) -> NameChunk { base[index] }

    /// Adds the chunk of the next field index.
    mutating func append(_ chunk: UnsafeRawBufferPointer, specials: Int, isAdded: Bool) {
        if count == capacity {
            let fresh = UnsafeMutablePointer<NameChunk>.allocate(capacity: capacity * 2)
            fresh.moveInitialize(from: base, count: count)
            base.deallocate()
            base = fresh
            capacity *= 2
        }
        let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk.count + NameChunk.spare)
        bytes.initialize(repeating: 0, count: chunk.count + NameChunk.spare)
        if let source = chunk.baseAddress {
            UnsafeMutableRawPointer(bytes).copyMemory(from: source, byteCount: chunk.count)
        }
        (base + count).initialize(to: NameChunk(bytes: bytes, count: chunk.count, specials: specials,
                                                isAdded: isAdded))
        count += 1
    }

    func deallocate() {
        for index in 0..<count { base[index].bytes.deallocate() }
        base.deallocate()
    }
}
