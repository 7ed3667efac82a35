import AtomBase
import Glibc

/// Text being joined from lines (a multiline event, or a container line from its parts).
///
/// While its lines lie back to back in the tailer's buffer, separated by a lone LF, it is only a
/// view of those bytes (nothing is copied for an event that ends within its chunk); otherwise,
/// and at the end of each chunk (`detach`), its bytes are copied into a buffer of its own, which
/// is reused from event to event. The state sits behind a pointer: it is touched for every line,
/// and a stored `var` of a class pays a dynamic exclusivity check on every access.
final class PendingText {
    struct State {
        /// The bytes while they are a view of the current chunk (nil: they are in `copy`).
        var view: UnsafeRawPointer?
        var isActive = false
        /// File offset of the first line.
        var offset: Int64 = 0
        var lines = 0
        var count = 0
    }

    private let state: UnsafeMutablePointer<State>
    private let copy = ByteBuffer(capacity: 1024)

    init() {
        state = .allocate(capacity: 1)
        state.initialize(to: State())
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
    }

    var isActive: Bool { state.pointee.isActive }
    var offset: Int64 { state.pointee.offset }
    var lines: Int { state.pointee.lines }
    var count: Int { state.pointee.count }

    var bytes: UnsafeRawBufferPointer {
        guard let view = state.pointee.view else { return copy.bytes }
        return UnsafeRawBufferPointer(start: view, count: state.pointee.count)
    }

    /// Starts on `text`; `inChunk` says its bytes stay valid until the end of the chunk (a line of
    /// the chunk), else they are copied at once.
    @inline(__always)
    func begin(_ text: UnsafeRawBufferPointer, offset: Int64, inChunk: Bool) {
        state.pointee.isActive = true
        state.pointee.offset = offset
        state.pointee.lines = 1
        state.pointee.count = text.count
        copy.count = 0
        if inChunk, let base = text.baseAddress {
            state.pointee.view = base
        } else {
            state.pointee.view = nil
            copy.append(text)
        }
    }

    /// Adds `text` after `separator` (nil: joined directly).
    @inline(__always)
    func append(_ text: UnsafeRawBufferPointer, separator: UInt8?, inChunk: Bool) {
        let before = state.pointee.count
        state.pointee.lines += 1
        state.pointee.count = before + text.count + (separator == nil ? 0 : 1)
        if let view = state.pointee.view {
            // Still a view when `text` starts right after it and the one byte between is the separator.
            if inChunk, let separator, let start = text.baseAddress, view + before + 1 == UnsafeRawPointer(start),
               (view + before).load(as: UInt8.self) == separator {
                return
            }
            copy.count = 0
            copy.append(UnsafeRawBufferPointer(start: view, count: before))
            state.pointee.view = nil
        }
        if let separator { copy.append(separator) }
        copy.append(text)
    }

    /// Copies the bytes out of the chunk they are a view of (the chunk is about to go).
    func detach() {
        guard let view = state.pointee.view else { return }
        copy.count = 0
        copy.append(UnsafeRawBufferPointer(start: view, count: state.pointee.count))
        state.pointee.view = nil
    }

    /// Forgets the text; its bytes stay where they are until the next `begin`.
    func clear() {
        state.pointee.isActive = false
        state.pointee.view = nil
        state.pointee.lines = 0
        state.pointee.count = 0
    }
}
