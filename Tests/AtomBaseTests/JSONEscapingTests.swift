@testable import AtomBase
import Glibc
import Testing

/// Escaping is checked against a plain one-byte-at-a-time reference written here, for texts that
/// put every kind of byte at every position of the sixteen-byte steps the fast paths use.
@Suite("JSON escaping")
struct JSONEscapingTests {
    /// Scalars of `bytes` where each byte that does not start a valid sequence becomes one U+FFFD
    /// (the shipper's documented rule: one replacement per bad byte, like `\u00XX` per byte in
    /// escape mode). A sequence is valid when Swift's validating decoder takes it as one scalar.
    func scalarsReplacingEachBadByte(_ bytes: [UInt8]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        var i = 0
        while i < bytes.count {
            var taken = false
            for length in 1...4 where i + length <= bytes.count {
                if let text = String(validating: bytes[i..<(i + length)], as: UTF8.self),
                   text.unicodeScalars.count == 1,
                   let scalar = text.unicodeScalars.first {
                    result.append(scalar)
                    i += length
                    taken = true
                    break
                }
            }
            if !taken {
                result.append("\u{FFFD}")
                i += 1
            }
        }
        return result
    }

    /// The reference: RFC 8259 escaping, each invalid UTF-8 byte replaced by U+FFFD.
    func reference(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for scalar in scalarsReplacingEachBadByte(bytes) {
            switch scalar {
            case "\"": out += Array("\\\"".utf8)
            case "\\": out += Array("\\\\".utf8)
            case "\n": out += Array("\\n".utf8)
            case "\r": out += Array("\\r".utf8)
            case "\t": out += Array("\\t".utf8)
            case "\u{08}": out += Array("\\b".utf8)
            case "\u{0C}": out += Array("\\f".utf8)
            default:
                if scalar.value < 0x20 {
                    let hex = Array("0123456789abcdef".utf8)
                    out += Array("\\u00".utf8) + [hex[Int(scalar.value >> 4)], hex[Int(scalar.value & 0xF)]]
                } else {
                    out += Array(String(scalar).utf8)
                }
            }
        }
        return out
    }

    static let pieces: [[UInt8]] = [
        Array("plain".utf8), [0x22], [0x5C], [0x0A], [0x09], [0x01], [0x1F], [0x7F],
        Array("é".utf8), Array("日本".utf8), Array("😀".utf8), [0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80],
    ]

    /// Every piece at every offset 0...33 inside filler, so each lands in every lane of a
    /// 16-byte step, in the first and second step and in the byte-wise tail.
    static var texts: [[UInt8]] {
        var result: [[UInt8]] = []
        for piece in pieces {
            for offset in 0..<34 {
                result.append(Array(repeating: UInt8(ascii: "a"), count: offset) + piece + Array("tail-of-text".utf8))
            }
        }
        result.append(Array(Self.pieces.joined()))
        return result
    }

    @Test("appendEscaped matches the reference for every byte kind at every word offset")
    func escapingMatchesReference() {
        for text in Self.texts {
            let out = ByteBuffer()
            let specials = text.withUnsafeBytes { JSON.appendEscaped($0, to: out) }
            #expect(out.array == reference(text), "text \(text)")
            #expect(specials == out.array.filter { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 }.count, "text \(text)")
            Self.expectKernelsAgree(text)
        }
    }

    /// `appendEscaped` of `text` with the kernel this processor gets and with the SSE2 loop alone
    /// write the same bytes and count the same specials, in both modes for invalid UTF-8.
    static func expectKernelsAgree(_ text: [UInt8]) {
        for invalid in [JSON.InvalidUTF8.replace, .escape] {
            let fast = ByteBuffer()
            let plain = ByteBuffer()
            let counts = text.withUnsafeBytes { bytes in
                (JSON.appendEscaped(bytes, to: fast, invalid: invalid),
                 JSON.appendEscaped(bytes, to: plain, invalid: invalid, shuffles: nil))
            }
            #expect(fast.array == plain.array && counts.0 == counts.1, "\(invalid) text \(text)")
        }
    }

    @Test("escapedLength equals the length appendEscaped writes")
    func escapedLengthMatches() {
        for text in Self.texts {
            let out = ByteBuffer()
            _ = text.withUnsafeBytes { JSON.appendEscaped($0, to: out) }
            #expect(text.withUnsafeBytes { JSON.escapedLength($0) } == out.count, "text \(text)")
        }
    }

    @Test("the quick count for JSON text equals the full one on escaped output and on JSON with tabs")
    func quickCountMatches() {
        var samples: [[UInt8]] = []
        for text in Self.texts {
            let out = ByteBuffer()
            out.append(UInt8(ascii: "\""))
            _ = text.withUnsafeBytes { JSON.appendEscaped($0, to: out) }
            out.append(UInt8(ascii: "\""))
            samples.append(out.array)
        }
        samples.append(Array("{\"a\":\t1,\r\"b\" : [\"x\\\"y\", null]}".utf8))
        for sample in samples {
            let full = sample.withUnsafeBytes { JSON.escapedLength($0) }
            let quick = sample.withUnsafeBytes { JSON.escapedLengthOfJSON($0) }
            #expect(quick == full, "sample \(String(decoding: sample, as: UTF8.self))")
        }
    }

    @Test("double escaping in one pass equals escaping twice")
    func doubleEscapingMatches() {
        for text in Self.texts {
            let (direct, twice) = Self.doubleEscaped(text)
            #expect(direct == twice, "text \(text)")
        }
    }

    /// `text` escaped twice in one pass, and escaped once, then once more. The one pass runs with
    /// the kernel this processor gets and with the SSE2 loop alone; when they differ, `direct`
    /// is empty and the caller's comparison fails.
    static func doubleEscaped(_ text: [UInt8]) -> (direct: [UInt8], twice: [UInt8]) {
        let once = ByteBuffer()
        _ = text.withUnsafeBytes { JSON.appendEscaped($0, to: once) }
        let twice = ByteBuffer()
        _ = JSON.appendEscaped(once.bytes, to: twice)
        return (text.withUnsafeBytes { doubleEscapedBothWays($0, text) }, twice.array)
    }

    /// `JSON.appendDoubleEscaped` of `bytes` with the shared kernel and with the SSE2 loop alone;
    /// an empty array (with an expectation failed) when the two disagree.
    static func doubleEscapedBothWays(_ bytes: UnsafeRawBufferPointer, _ label: [UInt8]) -> [UInt8] {
        let fast = ByteBuffer()
        JSON.appendDoubleEscaped(bytes, to: fast)
        let plain = ByteBuffer()
        JSON.appendDoubleEscaped(bytes, to: plain, shuffles: nil)
        #expect(fast.array == plain.array, "kernels differ on \(label)")
        return fast.array == plain.array ? fast.array : []
    }

    @Test("double escaping of generated quote-dense texts of every length up to 300 bytes equals escaping twice")
    func doubleEscapingGenerated() {
        // JSON-like bytes with many quotes and backslashes, some controls and UTF-8, from a fixed LCG.
        let alphabet: [[UInt8]] = [[0x22], [0x5C], Array("ab".utf8), [0x3A], [0x2C], [0x09], [0x0D], [0x01],
                                   Array("é".utf8), Array("日".utf8), [0xFF], Array("{}".utf8), [0x20]]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for length in 0...300 {
            for _ in 0..<3 {
                var text: [UInt8] = []
                while text.count < length {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    let pick = Int(state >> 33) % (alphabet.count + 6)
                    text += pick < alphabet.count ? alphabet[pick] : [UInt8(ascii: "x")]
                }
                let (direct, twice) = Self.doubleEscaped(text)
                #expect(direct == twice, "text \(text)")
                Self.expectKernelsAgree(text)
            }
        }
        // Quotes on both sides of the 4 KiB segment edges.
        let long = Array(String(repeating: "{\"k\":\"v\\\"\"}", count: 1500).utf8)
        let (direct, twice) = Self.doubleEscaped(long)
        #expect(direct == twice)
    }

    @Test("text that ends just before an unreadable page is scanned without reading past it")
    func scanningStopsAtThePageEnd() throws {
        // Two pages, the second made unreadable: a scanner that loaded 16 bytes across the
        // boundary would crash here. Every text is placed so that it ends where the page does.
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let mapping = mmap(nil, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        let base = try #require(mapping == MAP_FAILED ? nil : mapping)
        defer { munmap(base, 2 * page) }
        #expect(mprotect(base + page, page, PROT_NONE) == 0)
        for text in Self.texts where text.count <= page {
            let start = base + page - text.count
            text.withUnsafeBytes { raw in
                if let from = raw.baseAddress { start.copyMemory(from: from, byteCount: text.count) }
            }
            let bytes = UnsafeRawBufferPointer(start: start, count: text.count)
            let out = ByteBuffer()
            _ = JSON.appendEscaped(bytes, to: out)
            #expect(out.array == reference(text), "text \(text)")
            #expect(JSON.escapedLength(bytes) == out.count)
            let again = ByteBuffer()
            _ = JSON.appendEscaped(out.bytes, to: again)
            #expect(Self.doubleEscapedBothWays(bytes, text) == again.array, "text \(text)")
        }
    }

    @Test("a long text is escaped the same across the 4 KiB segments, however its sequences fall")
    func longTextsAcrossSegments() {
        for piece in ["é", "日本", "😀", "a\"é\\"] {
            for offset in 0..<4 {
                let text = Array(repeating: UInt8(ascii: "x"), count: offset)
                    + Array(String(repeating: piece, count: 9000 / piece.utf8.count).utf8)
                let out = ByteBuffer()
                _ = text.withUnsafeBytes { JSON.appendEscaped($0, to: out) }
                #expect(out.array == reference(text), "\(piece) after \(offset) bytes")
            }
        }
    }
}
