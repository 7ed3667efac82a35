/// A growable byte buffer with one owner, for building JSON and batches without per-byte
/// bounds checks or copy-on-write.
///
/// It is a class so that appends never copy; it is not thread-safe. Ownership may move to
/// another thread (a batch handed to a worker), never be shared.
public final class ByteBuffer: @unchecked Sendable {
    // Safe to send: the pipeline hands a buffer from one thread to the next and the sender
    // keeps no reference; no two threads touch one buffer at once.
    public private(set) var base: UnsafeMutablePointer<UInt8>
    public private(set) var capacity: Int
    public var count: Int = 0

    public init(capacity: Int = 4096) {
        self.capacity = max(capacity, 16)
        self.base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    public var isEmpty: Bool { count == 0 }

    /// Makes room for `extra` more bytes.
    @inline(__always)
    public func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    private func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        fresh.update(from: base, count: count)
        base.deallocate()
        base = fresh
        capacity = newCapacity
    }

    @inline(__always)
    public func append(_ byte: UInt8) {
        if count == capacity { grow(to: count + 1) }
        base[count] = byte
        count += 1
    }

    @inline(__always)
    public func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        UnsafeMutableRawPointer(base + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    public func append(_ bytes: some Collection<UInt8>) {
        reserve(bytes.count)
        for byte in bytes {
            base[count] = byte
            count += 1
        }
    }

    /// Appends the UTF-8 bytes of a string verbatim (no escaping).
    public func append(string: String) {
        var copy = string
        copy.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// Appends a decimal integer.
    public func append(decimal value: Int64) {
        var magnitude = value.magnitude
        if value < 0 { append(UInt8(ascii: "-")) }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var used = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            repeat {
                raw[19 - used] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                used += 1
            } while magnitude > 0
            append(UnsafeRawBufferPointer(rebasing: raw[(20 - used)...]))
        }
    }

    public func removeAll(keepingCapacity: Bool = true) {
        count = 0
        if !keepingCapacity, capacity > 4096 {
            base.deallocate()
            capacity = 4096
            base = .allocate(capacity: capacity)
        }
    }

    /// Drops the first `n` bytes, moving the rest to the front.
    public func removeFirst(_ n: Int) {
        precondition(n <= count)
        let rest = count - n
        if rest > 0 { base.update(from: base + n, count: rest) }
        count = rest
    }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    public func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    public var array: [UInt8] { Array(bytes) }

    public var string: String { String(decoding: bytes, as: UTF8.self) }
}
