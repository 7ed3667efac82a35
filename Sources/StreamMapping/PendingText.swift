import AtomBase
import Glibc

/// Text being joined from lines (a multiline event, or a container line from its parts).
///
/// While its lines lie back to back in the tailer's buffer, separated by a lone LF, it is only a
/// view of those bytes (nothing is copied for an event that ends within its chunk); otherwise,
/// and at the end of each chunk (`detach`), its bytes are copied into a buffer of its own, which
/// is reused from event to event.
struct PendingText {
    /// The bytes while they are a view of the current chunk.
    private var view: UnsafeRawBufferPointer?
    private let copy = ByteBuffer(capacity: 1024)
    private(set) var isActive = false
    /// File offset of the first line.
    private(set) var offset: Int64 = 0
    private(set) var lines = 0
    private(set) var count = 0

    var bytes: UnsafeRawBufferPointer { view ?? copy.bytes }

    /// Starts on `text`; `inChunk` says its bytes stay valid until the end of the chunk (a line of
    /// the chunk), else they are copied at once.
    mutating func begin(_ text: UnsafeRawBufferPointer, offset: Int64, inChunk: Bool) {
        isActive = true
        self.offset = offset
        lines = 1
        count = text.count
        copy.removeAll()
        if inChunk && text.baseAddress != nil {
            view = text
        } else {
            view = nil
            copy.append(text)
        }
    }

    /// Adds `text` after `separator` (nil: joined directly).
    mutating func append(_ text: UnsafeRawBufferPointer, separator: UInt8?, inChunk: Bool) {
        lines += 1
        count += text.count + (separator == nil ? 0 : 1)
        if let current = view {
            if inChunk, let separator, Self.follows(text, current, separator) {
                view = UnsafeRawBufferPointer(start: current.baseAddress, count: count)
                return
            }
            detach()
        }
        if let separator { copy.append(separator) }
        copy.append(text)
    }

    /// Copies the bytes out of the chunk they are a view of (the chunk is about to go).
    mutating func detach() {
        guard let current = view else { return }
        copy.removeAll()
        copy.append(current)
        view = nil
    }

    mutating func clear() {
        isActive = false
        view = nil
        lines = 0
        count = 0
    }

    /// Whether `text` starts right after `current` and the one byte between them is `separator`.
    @inline(__always)
    private static func follows(
        _ text: UnsafeRawBufferPointer, _ current: UnsafeRawBufferPointer, _ separator: UInt8
    ) -> Bool {
        guard let start = text.baseAddress, let base = current.baseAddress else { return false }
        let end = base + current.count
        return end + 1 == start && end.load(as: UInt8.self) == separator
    }
}
