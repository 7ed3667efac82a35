import AtomBase

/// Finding and replacing bytes that are not valid UTF-8, for PCRE2 (whose UTF mode lets such a
/// byte match nothing, not even `.`) and for JSON lines written back out.
enum UTF8Repair {
    /// Whether every byte of `bytes` belongs to a valid UTF-8 sequence.
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return true }
        let count = bytes.count
        var i = 0
        while i < count {
            // Eight ASCII bytes at a time: none has its high bit set.
            if i + 8 <= count && loadWord(base + i) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                continue
            }
            if base[i] < 0x80 {
                i += 1
                continue
            }
            let length = JSON.validUTF8Length(base + i, count - i)
            if length == 0 { return false }
            i += length
        }
        return true
    }

    /// Calls `replace` for each invalid byte and `copy` for each run of bytes between them.
    @inline(__always)
    static func forEachRun(
        _ bytes: UnsafeRawBufferPointer,
        copy: (UnsafeRawBufferPointer) -> Void,
        replace: (UInt8) -> Void
    ) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let count = bytes.count
        var runStart = 0
        var i = 0
        while i < count {
            if base[i] < 0x80 {
                i += 1
                continue
            }
            let length = JSON.validUTF8Length(base + i, count - i)
            if length > 0 {
                i += length
                continue
            }
            if i > runStart {
                copy(UnsafeRawBufferPointer(start: base + runStart, count: i - runStart))
            }
            replace(base[i])
            i += 1
            runStart = i
        }
        if count > runStart {
            copy(UnsafeRawBufferPointer(start: base + runStart, count: count - runStart))
        }
    }

    /// Replaces `out` with `bytes`, each invalid byte turned into U+FFFD.
    static func replacingInvalid(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        forEachRun(
            bytes, copy: { out.append(contentsOf: $0) }, replace: { _ in out += [0xEF, 0xBF, 0xBD] }
        )
    }

    /// Calls `emit` with each UTF-8 byte of `scalar` (one to four).
    @inline(__always)
    static func encode(_ scalar: UInt32, _ emit: (UInt8) -> Void) {
        switch scalar {
        case 0..<0x80:
            emit(UInt8(scalar))
        case 0x80..<0x800:
            emit(UInt8(0xC0 | scalar >> 6))
            emit(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            emit(UInt8(0xE0 | scalar >> 12))
            emit(UInt8(0x80 | scalar >> 6 & 0x3F))
            emit(UInt8(0x80 | scalar & 0x3F))
        default:
            emit(UInt8(0xF0 | scalar >> 18))
            emit(UInt8(0x80 | scalar >> 12 & 0x3F))
            emit(UInt8(0x80 | scalar >> 6 & 0x3F))
            emit(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
