import CByteScan

/// JSON string escaping over bytes, the one place the project escapes text into JSON.
///
/// Input is UTF-8 that may be invalid: each invalid sequence becomes U+FFFD (or, with
/// `.escape`, `\u00XX` for each bad byte, so the original bytes stay recoverable).
public enum JSON {
    /// What to do with bytes that are not valid UTF-8.
    public enum InvalidUTF8: Sendable {
        case replace
        case escape
    }

    /// Appends `bytes` as the inside of a JSON string (no quotes), escaped once.
    ///
    /// Writes through a raw pointer into room reserved per 4 KiB segment (the worst case is six
    /// bytes out per byte in), sixteen plain bytes per step.
    ///
    /// - Returns: how many `"`, `\\` and control bytes it wrote (none: escaping removes control
    ///   bytes), so that the output's own escaped length is its byte count plus this, without
    ///   another pass.
    @inlinable @discardableResult
    public static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to out: ByteBuffer,
                                     invalid: InvalidUTF8 = .replace) -> Int {
        appendEscaped(bytes, to: out, invalid: invalid, shuffles: EscapeShuffles.once)
    }

    /// `appendEscaped` with the PSHUFB kernel's tables for escaping once, or nil for the SSE2 loop
    /// alone (the processor lacks SSSE3, or a test compares the two).
    @inlinable
    static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to out: ByteBuffer, invalid: InvalidUTF8,
                              shuffles: EscapeShuffles?) -> Int {
        guard let source = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
        let count = bytes.count
        var specials = 0
        var i = 0
        while i < count {
            // A segment at a time, so that a long line does not reserve six times its size; it
            // ends before a continuation byte, so that no UTF-8 sequence is split.
            var segment = min(count - i, 4096)
            var back = 0
            while i + segment < count && back < 3 && segment > 1 && source[i + segment] & 0xC0 == 0x80 {
                segment -= 1
                back += 1
            }
            out.reserve(escapedRoom(segment))
            guard let shuffles else {
                let written = writeEscaped(source + i, segment, to: out.base + out.count, invalid: invalid)
                out.count = written.end - out.base
                specials += written.specials
                i += segment
                continue
            }
            var dst = out.base + out.count
            var done = 0
            while done < segment {
                if segment - done >= 16 {
                    var taken = 0
                    let written = escapeBlocks(source + i + done, segment - done, dst, &taken, shuffles)
                    specials += 2 * (written - taken)  // an escaped quote or backslash is two of them
                    dst += written
                    done += taken
                }
                // What the blocks could not take (a control or non-ASCII byte, or the last few
                // bytes): the next 16 bytes, with the rest of a UTF-8 sequence they cut into.
                var piece = min(segment - done, 16)
                while done + piece < segment && source[i + done + piece] & 0xC0 == 0x80 { piece += 1 }
                let written = writeEscaped(source + i + done, piece, to: dst, invalid: invalid)
                dst = written.end
                specials += written.specials
                done += piece
            }
            out.count = dst - out.base
            i += segment
        }
        return specials
    }

    /// The room `writeEscaped` needs for `count` bytes: six bytes out per byte in at worst
    /// (`\u00XX`), and 16 spare for its last 16-byte step.
    @inlinable @inline(__always)
    public static func escapedRoom(_ count: Int) -> Int { count * 6 + 16 }

    /// Writes `count` bytes at `source` escaped as the inside of a JSON string at `dst`, which
    /// has room for `escapedRoom(count)` bytes (a multi-byte sequence must not be split from its
    /// continuation bytes at `source + count`: it is then taken as invalid).
    ///
    /// - Returns: the end of what was written, and how many `"`, `\\` and control bytes it wrote
    ///   (see `appendEscaped`).
    @inlinable @inline(__always)
    public static func writeEscaped(
        _ source: UnsafePointer<UInt8>, _ count: Int, to start: UnsafeMutablePointer<UInt8>,
        invalid: InvalidUTF8 = .replace
    ) -> (end: UnsafeMutablePointer<UInt8>, specials: Int) {
        var dst = start
        var specials = 0
        var i = 0
        while i < count {
            let plain = atom_copy_plain_run(source + i, count - i, dst)
            i += plain
            dst += plain
            guard i < count else { break }
            let b = source[i]
            if b < 0x80 {
                // A control byte, `"` or `\\`.
                dst = writeEscape(b, at: dst)
                specials += b == 0x22 || b == 0x5C ? 2 : 1  // the backslash, and `"` or `\\`
                i += 1
                continue
            }
            let length = validUTF8Length(source + i, count - i)
            if length > 0 {
                for k in 0..<length { dst[k] = source[i + k] }
                dst += length
                i += length
            } else {
                dst = writeInvalid(b, at: dst, invalid: invalid)
                if invalid == .escape { specials += 1 }
                i += 1
            }
        }
        return (dst, specials)
    }

    /// Appends `bytes` escaped twice, as if `appendEscaped` ran on its own output: what an event's
    /// text becomes inside a bulk request's `data` string, written in one pass. A `"` becomes
    /// `\\\\\\"`, a `\\` four backslashes, a control byte up to seven bytes, and a byte that is not
    /// valid UTF-8 the U+FFFD that the first escaping would have made of it.
    @inlinable
    public static func appendDoubleEscaped(_ bytes: UnsafeRawBufferPointer, to out: ByteBuffer) {
        appendDoubleEscaped(bytes, to: out, shuffles: EscapeShuffles.twice)
    }

    /// `appendDoubleEscaped` with the PSHUFB kernel's tables, or nil for the SSE2 loop alone (the
    /// processor lacks SSSE3, or a test compares the two).
    @inlinable
    static func appendDoubleEscaped(_ bytes: UnsafeRawBufferPointer, to out: ByteBuffer,
                                    shuffles: EscapeShuffles?) {
        guard let source = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let count = bytes.count
        var i = 0
        while i < count {
            let segmentEnd = min(count, i + 4096)
            out.reserve((segmentEnd - i + 4) * 7 + 24)
            var dst = out.base + out.count
            while i < segmentEnd {
                // Plain bytes, quotes and backslashes in C, up to a control or non-ASCII byte.
                var taken = 0
                dst += doubleEscapeRun(source + i, segmentEnd - i, dst, &taken, shuffles)
                i += taken
                guard i < segmentEnd else { break }
                let b = source[i]
                if b < 0x80 {
                    // The first escape's bytes, escaped again: its backslash doubles, and so
                    // does a quote or backslash that follows it.
                    dst[0] = UInt8(ascii: "\\")
                    dst[1] = UInt8(ascii: "\\")
                    switch b {
                    case 0x22: dst[2] = UInt8(ascii: "\\"); dst[3] = UInt8(ascii: "\""); dst += 4
                    case 0x5C: dst[2] = UInt8(ascii: "\\"); dst[3] = UInt8(ascii: "\\"); dst += 4
                    case 0x0A: dst[2] = UInt8(ascii: "n"); dst += 3
                    case 0x0D: dst[2] = UInt8(ascii: "r"); dst += 3
                    case 0x09: dst[2] = UInt8(ascii: "t"); dst += 3
                    case 0x08: dst[2] = UInt8(ascii: "b"); dst += 3
                    case 0x0C: dst[2] = UInt8(ascii: "f"); dst += 3
                    default:
                        dst[2] = UInt8(ascii: "u")
                        dst[3] = UInt8(ascii: "0")
                        dst[4] = UInt8(ascii: "0")
                        dst[5] = hexDigit(b >> 4)
                        dst[6] = hexDigit(b & 0xF)
                        dst += 7
                    }
                    i += 1
                    continue
                }
                let length = validUTF8Length(source + i, count - i)
                if length > 0 {
                    for k in 0..<length { dst[k] = source[i + k] }
                    dst += length
                    i += length
                } else {
                    dst = writeInvalid(b, at: dst, invalid: .replace)
                    i += 1
                }
            }
            out.count = dst - out.base
        }
    }

    /// Whole 16-byte blocks escaped by the PSHUFB kernel (`atom_escape_blocks_ssse3`) with
    /// `shuffles`; see there. Never called without tables, which exist only where it can run.
    @inlinable @inline(__always)
    static func escapeBlocks(_ source: UnsafePointer<UInt8>, _ count: Int, _ dst: UnsafeMutablePointer<UInt8>,
                             _ taken: inout Int, _ shuffles: EscapeShuffles) -> Int {
        #if arch(x86_64)
        return atom_escape_blocks_ssse3(source, count, dst, &taken, shuffles.indexes, shuffles.lengths)
        #else
        taken = 0
        return 0
        #endif
    }

    /// One run of `atom_double_escape_run`, by the PSHUFB kernel when there are tables for it.
    @inlinable @inline(__always)
    static func doubleEscapeRun(_ source: UnsafePointer<UInt8>, _ count: Int, _ dst: UnsafeMutablePointer<UInt8>,
                                _ taken: inout Int, _ shuffles: EscapeShuffles?) -> Int {
        #if arch(x86_64)
        if let shuffles {
            return atom_double_escape_run_ssse3(source, count, dst, &taken, shuffles.indexes, shuffles.lengths)
        }
        #endif
        return atom_double_escape_run(source, count, dst, &taken)
    }

    /// Writes the escape for ASCII byte `b` (a control byte, `"` or `\\`) at `dst`; returns the end.
    @inlinable @inline(__always)
    static func writeEscape(_ b: UInt8, at dst: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        dst[0] = UInt8(ascii: "\\")
        switch b {
        case 0x22: dst[1] = UInt8(ascii: "\""); return dst + 2
        case 0x5C: dst[1] = UInt8(ascii: "\\"); return dst + 2
        case 0x0A: dst[1] = UInt8(ascii: "n"); return dst + 2
        case 0x0D: dst[1] = UInt8(ascii: "r"); return dst + 2
        case 0x09: dst[1] = UInt8(ascii: "t"); return dst + 2
        case 0x08: dst[1] = UInt8(ascii: "b"); return dst + 2
        case 0x0C: dst[1] = UInt8(ascii: "f"); return dst + 2
        default:
            dst[1] = UInt8(ascii: "u")
            dst[2] = UInt8(ascii: "0")
            dst[3] = UInt8(ascii: "0")
            dst[4] = hexDigit(b >> 4)
            dst[5] = hexDigit(b & 0xF)
            return dst + 6
        }
    }

    /// Writes U+FFFD, or `\\u00XX` naming the byte, for a byte that is not valid UTF-8.
    @inlinable @inline(__always)
    static func writeInvalid(_ b: UInt8, at dst: UnsafeMutablePointer<UInt8>,
                             invalid: InvalidUTF8) -> UnsafeMutablePointer<UInt8> {
        switch invalid {
        case .replace:
            dst[0] = 0xEF
            dst[1] = 0xBF
            dst[2] = 0xBD
            return dst + 3
        case .escape:
            dst[0] = UInt8(ascii: "\\")
            dst[1] = UInt8(ascii: "u")
            dst[2] = UInt8(ascii: "0")
            dst[3] = UInt8(ascii: "0")
            dst[4] = hexDigit(b >> 4)
            dst[5] = hexDigit(b & 0xF)
            return dst + 6
        }
    }

    @inlinable @inline(__always)
    static func hexDigit(_ n: UInt8) -> UInt8 { n < 10 ? 0x30 + n : 0x57 + n }

    /// How many `"`, `\\` and control bytes `bytes` holds: what escaping it once more adds (for
    /// text like `escapedLengthOfJSON` takes).
    @inlinable
    public static func specialCount(_ bytes: UnsafeRawBufferPointer) -> Int {
        escapedLengthOfJSON(bytes) - bytes.count
    }

    /// Appends `bytes` (already valid JSON text) as the inside of a JSON string: the escaping
    /// that turns an event's JSON into the string element of a bulk `data` array.
    @inlinable
    public static func appendEscapedJSON(_ bytes: UnsafeRawBufferPointer, to out: ByteBuffer) {
        _ = appendEscaped(bytes, to: out, invalid: .replace)
    }

    /// How many bytes at `p` (of `count`) come before the first one that escaping must look at:
    /// a control byte, `"`, `\\` or a byte of a multi-byte UTF-8 sequence. Sixteen bytes per step
    /// (SSE2, in `CByteScan`).
    @inlinable @inline(__always)
    public static func plainRun(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int {
        atom_plain_run(p, count)
    }

    /// The length of `bytes` once escaped as the inside of a JSON string (what `appendEscaped`
    /// with `.replace` writes).
    @inlinable
    public static func escapedLength(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let start = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
        let count = bytes.count
        var extra = 0
        var i = 0
        while i < count {
            i += atom_plain_run(start + i, count - i)
            guard i < count else { break }
            let b = start[i]
            if b >= 0x80 {
                let length = validUTF8Length(start + i, count - i)
                if length > 0 {
                    i += length
                } else {
                    extra += 2  // one bad byte becomes U+FFFD, three bytes
                    i += 1
                }
                continue
            }
            if b == 0x22 || b == 0x5C {
                extra += 1
            } else if b < 0x20 {
                switch b {
                case 0x0A, 0x0D, 0x09, 0x08, 0x0C: extra += 1
                default: extra += 5
                }
            }
            i += 1
        }
        return count + extra
    }

    /// The escaped length of text known to be valid UTF-8 whose control bytes are only JSON
    /// whitespace (tab, CR) or none at all, such as JSON this project wrote: its length plus one
    /// per `"`, `\\` and control byte, counted sixteen bytes per step (SSE2, in `CByteScan`).
    @inlinable
    public static func escapedLengthOfJSON(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let start = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
        return bytes.count + atom_json_special_count(start, bytes.count)
    }

    /// Length of the valid UTF-8 sequence at `p` (2 to 4), or 0 when it is not valid.
    @inlinable @inline(__always)
    public static func validUTF8Length(_ p: UnsafePointer<UInt8>, _ available: Int) -> Int {
        let b0 = p[0]
        @inline(__always) func cont(_ i: Int) -> Bool { i < available && p[i] & 0xC0 == 0x80 }
        if b0 >= 0xC2 && b0 <= 0xDF { return cont(1) ? 2 : 0 }
        if b0 >= 0xE0 && b0 <= 0xEF {
            guard available >= 3, cont(1), cont(2) else { return 0 }
            let b1 = p[1]
            if b0 == 0xE0 && b1 < 0xA0 { return 0 }  // overlong
            if b0 == 0xED && b1 > 0x9F { return 0 }  // surrogate
            return 3
        }
        if b0 >= 0xF0 && b0 <= 0xF4 {
            guard available >= 4, cont(1), cont(2), cont(3) else { return 0 }
            let b1 = p[1]
            if b0 == 0xF0 && b1 < 0x90 { return 0 }
            if b0 == 0xF4 && b1 > 0x8F { return 0 }
            return 4
        }
        return 0
    }

    /// `value` as a quoted JSON string.
    public static func quoted(_ value: String) -> String {
        let out = ByteBuffer(capacity: value.utf8.count + 8)
        out.append(UInt8(ascii: "\""))
        var copy = value
        copy.withUTF8 { _ = appendEscaped(UnsafeRawBufferPointer($0), to: out) }
        out.append(UInt8(ascii: "\""))
        return out.string
    }

    /// Appends `value` as a quoted JSON string.
    public static func appendQuoted(_ value: String, to out: ByteBuffer) {
        out.append(UInt8(ascii: "\""))
        var copy = value
        copy.withUTF8 { _ = appendEscaped(UnsafeRawBufferPointer($0), to: out) }
        out.append(UInt8(ascii: "\""))
    }
}

/// The tables of the PSHUFB escaping kernel (`atom_escape_blocks_ssse3`), built once per level.
///
/// For each mask of eight bits (bit j set: byte j is `"` or `\\`), 32 shuffle indexes that write
/// the eight bytes with one or three backslashes before each set one (index 8 holds a
/// backslash; 0x80 writes a zero past the output), and the output's length.
@usableFromInline
final class EscapeShuffles: @unchecked Sendable {
    // Safe to share: filled in `init`, only read afterwards, never freed (two per process).
    @usableFromInline let indexes: UnsafeMutablePointer<UInt8>
    @usableFromInline let lengths: UnsafeMutablePointer<UInt8>

    /// Escaping once (`"` to `\\"`), or nil where the processor lacks SSSE3 (or is not x86-64).
    @usableFromInline static let once: EscapeShuffles? = hasKernel ? EscapeShuffles(backslashes: 1) : nil
    /// Escaping twice (`"` to `\\\\\\"`), or nil as `once` is.
    @usableFromInline static let twice: EscapeShuffles? = hasKernel ? EscapeShuffles(backslashes: 3) : nil

    static var hasKernel: Bool {
        #if arch(x86_64)
        return atom_cpu_has_ssse3() != 0
        #else
        return false
        #endif
    }

    @usableFromInline init(backslashes: Int) {
        indexes = .allocate(capacity: 256 * 32)
        indexes.initialize(repeating: 0x80, count: 256 * 32)
        lengths = .allocate(capacity: 256)
        for mask in 0..<256 {
            var length = 0
            for byte in 0..<8 {
                if mask >> byte & 1 == 1 {
                    for _ in 0..<backslashes {
                        indexes[mask * 32 + length] = 8
                        length += 1
                    }
                }
                indexes[mask * 32 + length] = UInt8(byte)
                length += 1
            }
            lengths[mask] = UInt8(length)
        }
    }
}
