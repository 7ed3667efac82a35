// Byte helpers shared by the built-in parsers (dissect, logfmt, csv): memory of their own, so
// that the hot path reads them without retaining an array or paying exclusivity checks.

/// A literal byte string looked for in lines, held in memory of its own so that the hot path
/// reads it without retaining an array. It is found eight bytes at a time (fields are short, so
/// this beats a call to `memchr`), and a longer literal is then compared byte by byte.
struct LiteralBytes {
    let base: UnsafeMutablePointer<UInt8>
    let count: Int
    /// The first byte in every byte of a word, for the search.
    private let firstWord: UInt64

    /// Copies `text`'s UTF-8 bytes; free the copy with `deallocate()`.
    init(_ text: String) {
        let bytes = Array(text.utf8)
        base = .allocate(capacity: max(bytes.count, 1))
        base.initialize(repeating: 0, count: max(bytes.count, 1))
        for (index, byte) in bytes.enumerated() { base[index] = byte }
        count = bytes.count
        firstWord = UInt64(base[0]) &* 0x0101_0101_0101_0101
    }

    func deallocate() { base.deallocate() }

    /// The first byte (0 for an empty literal).
    var first: UInt8 { base[0] }

    /// The literal as text, for failure messages.
    var text: String {
        String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self)
    }

    /// The offset of the first occurrence at or after `from` that ends by `end`, or nil.
    @inline(__always)
    func find(in line: UnsafePointer<UInt8>, from: Int, to end: Int) -> Int? {
        var position = from
        let last = end - count
        while position <= last {
            guard let hit = findFirstByte(line, from: position, to: last + 1) else { return nil }
            if rest(at: hit, in: line) { return hit }
            position = hit + 1
        }
        return nil
    }

    /// Whether the literal starts at `offset` of a line of `end` bytes.
    @inline(__always)
    func occurs(in line: UnsafePointer<UInt8>, at offset: Int, end: Int) -> Bool {
        guard end - offset >= count else { return false }
        return count == 0 || (line[offset] == base[0] && rest(at: offset, in: line))
    }

    /// Whether the bytes after the first match at `offset`.
    @inline(__always)
    private func rest(at offset: Int, in line: UnsafePointer<UInt8>) -> Bool {
        var index = 1
        while index < count {
            guard line[offset + index] == base[index] else { return false }
            index += 1
        }
        return true
    }

    /// The offset of the first byte equal to the literal's first in `from..<end`, or nil.
    @inline(__always)
    private func findFirstByte(_ line: UnsafePointer<UInt8>, from: Int, to end: Int) -> Int? {
        var position = from
        while end - position >= 8 {
            let word = loadWord(line + position)
            // A byte of `x` is zero where the word holds the byte looked for; the lowest flag
            // is exact (a false one can only sit above a true one).
            let x = word ^ firstWord
            let flags = (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
            if flags != 0 { return position + flags.trailingZeroBitCount >> 3 }
            position += 8
        }
        let first = base[0]
        while position < end {
            if line[position] == first { return position }
            position += 1
        }
        return nil
    }
}

/// A byte pair looked for together: the first offset holding either byte, eight bytes at a time.
struct BytePair {
    private let first: UInt64
    private let second: UInt64
    private let a: UInt8
    private let b: UInt8

    init(_ a: UInt8, _ b: UInt8) {
        self.a = a
        self.b = b
        first = UInt64(a) &* 0x0101_0101_0101_0101
        second = UInt64(b) &* 0x0101_0101_0101_0101
    }

    /// The offset of the first byte in `from..<end` equal to either byte, or `end`.
    @inline(__always)
    func find(in line: UnsafePointer<UInt8>, from: Int, to end: Int) -> Int {
        var position = from
        while end - position >= 8 {
            let word = loadWord(line + position)
            let x = word ^ first
            let y = word ^ second
            // The high bit of each byte that is zero in x or y; the lowest flag is exact.
            let flags = ((x &- 0x0101_0101_0101_0101) & ~x | (y &- 0x0101_0101_0101_0101) & ~y)
                & 0x8080_8080_8080_8080
            if flags != 0 { return position + flags.trailingZeroBitCount >> 3 }
            position += 8
        }
        while position < end {
            let byte = line[position]
            if byte == a || byte == b { return position }
            position += 1
        }
        return end
    }
}

/// A value built from pieces (an unescaped string, a join), in memory of its own that is
/// reused from line to line and only grows; handed to `Record.set(_:text:)` in one copy.
struct ValueBuffer {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    /// Creates an empty buffer; free it with `deallocate()`.
    init(capacity: Int = 1024) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    func deallocate() { base.deallocate() }

    /// Empties the buffer, keeping its memory.
    @inline(__always)
    mutating func removeAll() { count = 0 }

    /// Appends `length` bytes from `bytes`.
    @inline(__always)
    mutating func append(_ bytes: UnsafePointer<UInt8>, _ length: Int) {
        if count + length > capacity { grow(to: count + length) }
        (base + count).update(from: bytes, count: length)
        count += length
    }

    /// Appends one byte.
    @inline(__always)
    mutating func append(_ byte: UInt8) {
        if count == capacity { grow(to: count + 1) }
        base[count] = byte
        count += 1
    }

    /// The bytes held.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    private mutating func grow(to needed: Int) {
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: max(needed, capacity * 2))
        grown.update(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = max(needed, capacity * 2)
    }
}

/// Eight bytes at `bytes` as a little-endian word (no alignment needed).
@inline(__always)
func loadWord(_ bytes: UnsafePointer<UInt8>) -> UInt64 {
    UInt64(littleEndian: UnsafeRawPointer(bytes).loadUnaligned(as: UInt64.self))
}
