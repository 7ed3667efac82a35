import AtomBase
@testable import LogTail
import Testing

/// A line as framed: its bytes (terminator removed, cut to the cap), offset and cut flag.
struct FramedLine: Equatable, CustomStringConvertible {
    var bytes: [UInt8]
    var offset: Int64
    var cut: Bool

    var description: String { "@\(offset):\(String(decoding: bytes, as: UTF8.self))\(cut ? " (cut)" : "")" }
}

/// The obvious answer: split on LF, drop one CR before it, cut anything longer than `maxLineBytes`.
/// A last line without LF is a line too (the framer emits it when told to flush).
func naiveSplit(_ data: [UInt8], maxLineBytes: Int) -> [FramedLine] {
    func make(_ slice: ArraySlice<UInt8>, at offset: Int) -> FramedLine {
        var body = slice
        if body.last == 0x0D { body.removeLast() }
        let cut = body.count > maxLineBytes
        return FramedLine(bytes: Array(cut ? body.prefix(maxLineBytes) : body), offset: Int64(offset), cut: cut)
    }
    var lines: [FramedLine] = []
    var start = 0
    for i in data.indices where data[i] == 0x0A {
        lines.append(make(data[start..<i], at: start))
        start = i + 1
    }
    if start < data.count { lines.append(make(data[start...], at: start)) }
    return lines
}

/// Feeds `data` to a `LineFramer` the way the tailer does: `chunk` bytes per read, the file's carry
/// copied in front of each read, and a final flush of the unterminated tail. Also checks after each
/// read that `consumedTo` is just past the last LF read so far.
func frameInChunks(_ data: [UInt8], chunk: Int, maxLineBytes: Int) -> [FramedLine] {
    let framer = LineFramer(maxLineBytes: maxLineBytes)
    let state = FramingState(offset: 0)
    // The carry may hold maxLineBytes + 1 (a line at the cap and its CR).
    let capacity = framer.maxLineBytes + 1 + chunk
    let work = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    defer { work.deallocate() }
    var lines: [FramedLine] = []

    func collect() {
        for i in 0..<framer.lineCount {
            let start = framer.starts.base[i]
            let end = framer.ends.base[i]
            let bytes = Array(UnsafeBufferPointer(start: framer.lineBase + start, count: end - start))
            lines.append(FramedLine(bytes: bytes, offset: framer.offsets.base[i], cut: framer.truncated.base[i]))
        }
    }

    var readOffset = 0
    var lastLF = -1
    while readOffset < data.count {
        let prefix = state.carry.count
        if prefix > 0 { work.update(from: state.carry.base, count: prefix) }
        let n = min(chunk, data.count - readOffset, capacity - prefix)
        data.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return }
            (work + prefix).update(from: base + readOffset, count: n)
        }
        for i in readOffset..<(readOffset + n) where data[i] == 0x0A { lastLF = i }
        readOffset += n
        framer.frame(work, prefix: prefix, count: prefix + n, dataOffset: Int64(readOffset - n), state: state,
                     flushTail: false)
        collect()
        #expect(state.consumedTo == Int64(lastLF + 1), "consumedTo after reading \(readOffset) bytes")
    }

    let prefix = state.carry.count
    if prefix > 0 {
        work.update(from: state.carry.base, count: prefix)
        framer.frame(work, prefix: prefix, count: prefix, dataOffset: Int64(readOffset), state: state,
                     flushTail: true)
        collect()
    }
    #expect(state.consumedTo == Int64(data.count))
    #expect(state.carry.isEmpty && !state.skipping)
    return lines
}

/// Inputs for the framer, with maxLineBytes 16 (the smallest the framer accepts).
enum FramerInput: String, CaseIterable, CustomTestStringConvertible {
    case mixedTerminators
    case longLines
    case longLastLine
    case nearTheCap
    case generated

    var testDescription: String { rawValue }

    var bytes: [UInt8] {
        switch self {
        case .mixedTerminators:
            return Array("alpha\nbeta\r\n\n\r\ngamma delta\n\n\nlast line without newline".utf8)
        case .longLines:
            return Array(("short\n" + String(repeating: "x", count: 40) + "\nnext\n"
                          + String(repeating: "y", count: 70) + "\r\nafter\r\n"
                          + String(repeating: "w", count: 17) + "\n\n").utf8)
        case .longLastLine:
            return Array(("first\n" + String(repeating: "z", count: 100)).utf8)
        case .nearTheCap:
            // Lines of 14, 15, 17 and 33 bytes, with LF and CRLF (a line and its CR never exactly
            // at the cap: that case has its own test).
            return Array((String(repeating: "c", count: 15) + "\n" + String(repeating: "d", count: 17) + "\n"
                          + String(repeating: "e", count: 17) + "\r\n" + String(repeating: "f", count: 14) + "\r\n"
                          + String(repeating: "g", count: 33) + "\r\nend").utf8)
        case .generated:
            // 120 lines of 0 to 40 bytes (not 15 or 16: a line and its CR exactly at the cap have their
            // own test), LF and CRLF mixed, no final newline.
            var text = ""
            for i in 0..<120 {
                var length = (i * 7) % 41
                if length == 15 || length == 16 { length = 5 }
                let letter = Character(UnicodeScalar(UInt8(97 + i % 26)))
                text += String(repeating: letter, count: length)
                if i < 119 { text += i % 3 == 0 ? "\r\n" : "\n" }
            }
            return Array(text.utf8)
        }
    }
}

let framerChunkSizes = Array(1...64) + [100, 1000, 4096, 65536]

@Suite("LineFramer")
struct LineFramerTests {
    @Test("frames like a naive split for every chunk size", arguments: FramerInput.allCases)
    func matchesNaiveSplit(_ input: FramerInput) {
        let data = input.bytes
        let expected = naiveSplit(data, maxLineBytes: 16)
        #expect(!expected.isEmpty)
        for chunk in framerChunkSizes {
            let got = frameInChunks(data, chunk: chunk, maxLineBytes: 16)
            #expect(got == expected, "chunk size \(chunk)")
        }
    }

    @Test("the naive split itself gives the lines the inputs were written with")
    func naiveSplitIsRight() {
        let lines = naiveSplit(FramerInput.mixedTerminators.bytes, maxLineBytes: 16)
        let texts = lines.map { String(decoding: $0.bytes, as: UTF8.self) }
        #expect(texts == ["alpha", "beta", "", "", "gamma delta", "", "", "last line withou"])
        #expect(lines.map(\.offset) == [0, 6, 12, 13, 15, 27, 28, 29])
        #expect(lines.map(\.cut) == [false, false, false, false, false, false, false, true])
    }

    @Test("an over-long line is cut to the cap and flagged, the rest skipped, the next line intact")
    func longLineIsCut() {
        let data = Array(("head\n" + String(repeating: "L", count: 50) + "\r\ntail\n").utf8)
        for chunk in framerChunkSizes {
            let got = frameInChunks(data, chunk: chunk, maxLineBytes: 16)
            #expect(got == [
                FramedLine(bytes: Array("head".utf8), offset: 0, cut: false),
                FramedLine(bytes: Array(repeating: UInt8(ascii: "L"), count: 16), offset: 5, cut: true),
                FramedLine(bytes: Array("tail".utf8), offset: 57, cut: false),
            ], "chunk size \(chunk)")
        }
    }

    @Test(
        "a line that with its CR just reaches maxLineBytes is kept whole and not flagged, whatever the chunk size"
    )
    func lineAtTheCapIsNotCut() {
        let atCap = String(repeating: "a", count: 16)
        let belowCap = String(repeating: "b", count: 15)
        let data = Array((atCap + "\n" + atCap + "\r\n" + belowCap + "\r\nnext\n" + atCap).utf8)
        let expected = [
            FramedLine(bytes: Array(atCap.utf8), offset: 0, cut: false),
            FramedLine(bytes: Array(atCap.utf8), offset: 17, cut: false),
            FramedLine(bytes: Array(belowCap.utf8), offset: 35, cut: false),
            FramedLine(bytes: Array("next".utf8), offset: 52, cut: false),
            FramedLine(bytes: Array(atCap.utf8), offset: 57, cut: false),
        ]
        #expect(naiveSplit(data, maxLineBytes: 16) == expected)
        for chunk in framerChunkSizes {
            #expect(frameInChunks(data, chunk: chunk, maxLineBytes: 16) == expected, "chunk size \(chunk)")
        }
    }

    @Test("a cap below 16 bytes is raised to 16")
    func capFloor() {
        #expect(LineFramer(maxLineBytes: 3).maxLineBytes == 16)
        #expect(LineFramer(maxLineBytes: 100).maxLineBytes == 100)
    }
}
