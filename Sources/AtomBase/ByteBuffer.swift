/// A growable byte buffer with one owner, for building JSON and batches without per-byte
/// bounds checks or copy-on-write.
///
/// It is a class so that appends never copy; it is not thread-safe. Ownership may move to
/// another thread (a batch handed to a worker), never be shared.
public final class ByteBuffer: @unchecked Sendable {
    // Safe to send: the pipeline hands a buffer from one thread to the next and the sender
    // keeps no reference; no two threads touch one buffer at once.

    // The state lives behind a pointer rather than in stored `var`s: class properties get a
    // dynamic exclusivity check on every access, which cost a quarter of the hot path.
    @usableFromInline
    struct Header {
        @usableFromInline var base: UnsafeMutablePointer<UInt8>
        @usableFromInline var capacity: Int
        @usableFromInline var count: Int
    }

    @usableFromInline
    let header: UnsafeMutablePointer<Header>

    public init(capacity: Int = 4096) {
        let size = max(capacity, 16)
        header = .allocate(capacity: 1)
        header.initialize(to: Header(base: .allocate(capacity: size), capacity: size, count: 0))
    }

    deinit {
        header.pointee.base.deallocate()
        header.deallocate()
    }

    /// Start of the bytes (moves when the buffer grows).
    @inlinable
    public var base: UnsafeMutablePointer<UInt8> { header.pointee.base }

    @inlinable
    public var capacity: Int { header.pointee.capacity }

    /// Bytes in use; set it lower to drop a tail (never higher than what was written).
    @inlinable
    public var count: Int {
        get { header.pointee.count }
        set { header.pointee.count = newValue }
    }

    public var isEmpty: Bool { count == 0 }

    /// Makes room for `extra` more bytes.
    @inlinable @inline(__always)
    public func reserve(_ extra: Int) {
        let h = header.pointee
        if h.count + extra > h.capacity { grow(to: h.count + extra) }
    }

    @usableFromInline
    func grow(to needed: Int) {
        var newCapacity = header.pointee.capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        fresh.update(from: header.pointee.base, count: header.pointee.count)
        header.pointee.base.deallocate()
        header.pointee.base = fresh
        header.pointee.capacity = newCapacity
    }

    @inlinable @inline(__always)
    public func append(_ byte: UInt8) {
        if header.pointee.count == header.pointee.capacity { grow(to: header.pointee.count + 1) }
        header.pointee.base[header.pointee.count] = byte
        header.pointee.count += 1
    }

    @inlinable @inline(__always)
    public func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        UnsafeMutableRawPointer(header.pointee.base + header.pointee.count)
            .copyMemory(from: source, byteCount: bytes.count)
        header.pointee.count += bytes.count
    }

    public func append(_ bytes: some Collection<UInt8>) {
        reserve(bytes.count)
        var at = header.pointee.count
        let base = header.pointee.base
        for byte in bytes {
            base[at] = byte
            at += 1
        }
        header.pointee.count = at
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
        header.pointee.count = 0
        if !keepingCapacity, capacity > 4096 {
            header.pointee.base.deallocate()
            header.pointee.capacity = 4096
            header.pointee.base = .allocate(capacity: 4096)
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
