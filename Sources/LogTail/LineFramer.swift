import AtomBase
import Glibc

/// Splits bytes into lines: a pure state machine over successive reads of one file.
///
/// It finds LF with `memchr`, strips a CR before it, keeps an unterminated tail as the file's carry
/// for the next read, and caps a line at `maxLineBytes`: the first `maxLineBytes` bytes are kept and
/// flagged, the rest is skipped up to the next LF, so memory stays bounded whatever the input.
final class LineFramer {
    let maxLineBytes: Int
    /// The line tables, behind a pointer: stored `var`s of a class pay a dynamic exclusivity
    /// check on every access, and these are touched for every line.
    struct Tables {
        var starts = GrowableArray<Int>(capacity: 2048)
        var ends = GrowableArray<Int>(capacity: 2048)
        var offsets = GrowableArray<Int64>(capacity: 2048)
        var truncated = GrowableArray<Bool>(capacity: 2048)
        var nulBytesSkipped = 0
        /// Start of the buffer the recorded lines point into.
        var lineBase: UnsafeMutablePointer<UInt8>
    }

    private let tables: UnsafeMutablePointer<Tables>
    var starts: GrowableArray<Int> { tables.pointee.starts }
    var ends: GrowableArray<Int> { tables.pointee.ends }
    var offsets: GrowableArray<Int64> { tables.pointee.offsets }
    var truncated: GrowableArray<Bool> { tables.pointee.truncated }
    var lineCount: Int { tables.pointee.starts.count }
    var lineBase: UnsafeMutablePointer<UInt8> { tables.pointee.lineBase }
    /// NUL bytes dropped from the start of lines so far (a writer without O_APPEND after a
    /// copytruncate leaves a run of them).
    var nulBytesSkipped: Int { tables.pointee.nulBytesSkipped }

    init(maxLineBytes: Int) {
        self.maxLineBytes = max(maxLineBytes, 16)
        tables = .allocate(capacity: 1)
        tables.initialize(to: Tables(lineBase: .allocate(capacity: 1)))
    }

    deinit {
        tables.pointee.starts.free()
        tables.pointee.ends.free()
        tables.pointee.offsets.free()
        tables.pointee.truncated.free()
        tables.deinitialize(count: 1)
        tables.deallocate()
    }

    /// Frames one read.
    ///
    /// - Parameters:
    ///   - buffer: holds the file's carry in `0..<prefix` (the caller copied `state.carry` there),
    ///     then the newly read bytes in `prefix..<count`. The carry is at most `maxLineBytes + 1`
    ///     bytes (a line at the cap and its CR), so the buffer needs that much room besides a read.
    ///   - dataOffset: file offset of `buffer[prefix]` (decompressed offset for gzip).
    ///   - flushTail: emit an unterminated tail as a line too (end of file in `--once`, rotation,
    ///     partial-line timeout).
    /// Lines are recorded in the tables; `state.consumedTo` becomes the offset just past the last
    /// line recorded, and the new tail is left in `state.carry`.
    func frame(_ buffer: UnsafeMutablePointer<UInt8>, prefix: Int, count: Int, dataOffset: Int64,
               state: FramingState, flushTail: Bool) {
        tables.pointee.starts.removeAll()
        tables.pointee.ends.removeAll()
        tables.pointee.offsets.removeAll()
        tables.pointee.truncated.removeAll()
        tables.pointee.lineBase = buffer
        @inline(__always) func offset(_ p: Int) -> Int64 { dataOffset + Int64(p - prefix) }
        var position = 0

        if state.skipping {
            // buffer[0..<prefix] is the kept head of a cut line; skip the new bytes up to its LF.
            if let lf = memchr(buffer + prefix, 0x0A, count - prefix) {
                record(start: 0, end: prefix, offset: state.carryOffset, cut: true)
                position = UnsafeMutablePointer(lf.assumingMemoryBound(to: UInt8.self)) - buffer + 1
                state.skipping = false
            } else {
                if flushTail {
                    record(start: 0, end: prefix, offset: state.carryOffset, cut: true)
                    state.skipping = false
                    state.consumedTo = offset(count)
                    state.carry.removeAll()
                }
                return
            }
        }

        while position < count {
            guard let lf = memchr(buffer + position, 0x0A, count - position) else { break }
            let at = UnsafeMutablePointer(lf.assumingMemoryBound(to: UInt8.self)) - buffer
            var end = at
            if end > position && buffer[end - 1] == 0x0D { end -= 1 }
            let cut = end - position > maxLineBytes
            record(start: position, end: cut ? position + maxLineBytes : end, offset: offset(position), cut: cut)
            position = at + 1
        }

        state.consumedTo = offset(position)
        let tail = count - position
        state.carry.removeAll()
        guard tail > 0 else { return }
        if flushTail {
            var end = count
            if buffer[end - 1] == 0x0D { end -= 1 }
            let cut = end - position > maxLineBytes
            record(start: position, end: cut ? position + maxLineBytes : end, offset: offset(position), cut: cut)
            state.consumedTo = offset(count)
            return
        }
        state.carryOffset = offset(position)
        // A tail of maxLineBytes + 1 ending in CR may still be a line of exactly the cap.
        let mayFit = tail <= maxLineBytes || (tail == maxLineBytes + 1 && buffer[count - 1] == 0x0D)
        if !mayFit {
            state.carry.append(UnsafeRawBufferPointer(start: buffer + position, count: maxLineBytes))
            state.skipping = true
        } else {
            state.carry.append(UnsafeRawBufferPointer(start: buffer + position, count: tail))
        }
    }

    /// Points the recorded lines' starts and ends at `base` instead (after a conversion).
    func rebase(to base: UnsafeMutablePointer<UInt8>) { tables.pointee.lineBase = base }

    private func record(start: Int, end: Int, offset: Int64, cut: Bool) {
        var start = start
        var offset = offset
        let base = tables.pointee.lineBase
        if start < end && base[start] == 0 {
            let first = start
            while start < end && base[start] == 0 { start += 1 }
            tables.pointee.nulBytesSkipped += start - first
            offset += Int64(start - first)
            if start == end { return }
        }
        tables.pointee.starts.append(start)
        tables.pointee.ends.append(end)
        tables.pointee.offsets.append(offset)
        tables.pointee.truncated.append(cut)
    }
}

/// The per-file part of framing: the unterminated tail and whether a cut line is being skipped.
final class FramingState {
    /// Bytes of an unterminated line (or the kept head of a cut line while `skipping`).
    let carry = ByteBuffer(capacity: 256)
    /// File offset of the carry's first byte.
    var carryOffset: Int64 = 0
    /// File offset just past the last line framed.
    var consumedTo: Int64 = 0
    var skipping = false

    init(offset: Int64) {
        carryOffset = offset
        consumedTo = offset
    }

    func reset(to offset: Int64) {
        carry.removeAll(keepingCapacity: false)
        skipping = false
        carryOffset = offset
        consumedTo = offset
    }
}
