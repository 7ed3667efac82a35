import AtomBase
import Foundation
import StreamMapping
import Testing

@Suite("Multiline grouping")
struct MultilineTests {
    static let timestamped = #"^\d{4}-\d{2}-\d{2} "#

    /// Lines starting with a date begin events; the others join them.
    static let text = """
        2024-01-01 first
        2024-01-02 second
          detail a
          detail b
        2024-01-03 third
        orphan? no: joins third
        2024-01-04 fourth

        """

    static let expected = [
        Assembled(text: "2024-01-01 first", offset: 0),
        Assembled(text: "2024-01-02 second\n  detail a\n  detail b", offset: 17),
        Assembled(text: "2024-01-03 third\norphan? no: joins third", offset: 57),
        Assembled(text: "2024-01-04 fourth", offset: 98),
    ]

    @Test("a start pattern groups each event's lines, whatever the chunks", arguments: [1, 2, 3, 4, 7, 100])
    func startPattern(linesPerChunk: Int) throws {
        let rig = try AssemblyRig(multiline: MultilineSpec(mode: .start, pattern: Self.timestamped))
        rig.feed(Self.text, linesPerChunk: linesPerChunk)
        // The last event waits: a continuation could still come.
        #expect(rig.held() == 98)
        rig.flush(quiet: nil)
        #expect(rig.take() == Self.expected)
        #expect(rig.held() == nil)
    }

    @Test("a continuation pattern joins matching lines to the event before", arguments: [1, 3, 100])
    func continuationPattern(linesPerChunk: Int) throws {
        let text = "2024-01-01 first\n2024-01-02 second\n  detail a\n  detail b\n2024-01-03 third\n"
        let rig = try AssemblyRig(multiline: MultilineSpec(mode: .continuation, pattern: #"^\s"#))
        rig.feed(text, linesPerChunk: linesPerChunk)
        rig.flush(quiet: nil)
        #expect(rig.take() == [
            Assembled(text: "2024-01-01 first", offset: 0),
            Assembled(text: "2024-01-02 second\n  detail a\n  detail b", offset: 17),
            Assembled(text: "2024-01-03 third", offset: 57),
        ])
    }

    @Test("negate turns a start pattern into a continuation pattern and back")
    func negate() throws {
        // Continuation, negated: a line that does not start with a date joins the event before,
        // which is the start pattern on dates.
        var continuation = MultilineSpec(mode: .continuation, pattern: Self.timestamped)
        continuation.negate = true
        let a = try AssemblyRig(multiline: continuation)
        a.feed(Self.text)
        a.flush(quiet: nil)
        #expect(a.take() == Self.expected)

        // Start with negate: a line that does not match `^\s` begins an event (the continuation
        // pattern `^\s` written the other way round).
        var start = MultilineSpec(mode: .start, pattern: #"^\s"#)
        start.negate = true
        let b = try AssemblyRig(multiline: start)
        b.feed("one\n  two\nthree\n")
        b.flush(quiet: nil)
        #expect(b.take() == [Assembled(text: "one\n  two", offset: 0), Assembled(text: "three", offset: 10)])
    }

    @Test("CRLF lines are joined with LF alone")
    func crlfLines() throws {
        let rig = try AssemblyRig(multiline: MultilineSpec(mode: .start, pattern: Self.timestamped))
        rig.feed("2024-01-01 a\r\n  b\r\n  c\r\n2024-01-02 d\r\n", linesPerChunk: 2)
        rig.flush(quiet: nil)
        #expect(rig.take() == [Assembled(text: "2024-01-01 a\n  b\n  c", offset: 0),
                               Assembled(text: "2024-01-02 d", offset: 24)])
    }

    @Test("maxLines: an event is emitted at that many lines; the next lines begin another")
    func maxLines() throws {
        var spec = MultilineSpec(mode: .continuation, pattern: #"^\s"#)
        spec.maxLines = 3
        let rig = try AssemblyRig(multiline: spec)
        rig.feed("head\n 1\n 2\n 3\n 4\nnext\n")
        #expect(rig.take() == [Assembled(text: "head\n 1\n 2", offset: 0), Assembled(text: " 3\n 4", offset: 11)])
        rig.flush(quiet: nil)
        #expect(rig.take() == [Assembled(text: "next", offset: 17)])

        // Emitted on reaching its maximum, without waiting for the next line.
        rig.feed("a\n b\n c\n", from: 22)
        #expect(rig.take() == [Assembled(text: "a\n b\n c", offset: 22)])
        #expect(rig.held() == nil)
        #expect(rig.assembler.eventsCut == 2)
    }

    @Test("maxBytes: a line that would pass it begins another event; a line that alone reaches it goes at once")
    func maxBytes() throws {
        var spec = MultilineSpec(mode: .continuation, pattern: #"^\s"#)
        spec.maxBytes = 12
        let rig = try AssemblyRig(multiline: spec)
        // "head\n 12345" is 11 bytes; adding "\n 6" would make 14.
        rig.feed("head\n 12345\n 6\nlong line here\n 7\n")
        #expect(rig.take() == [
            Assembled(text: "head\n 12345", offset: 0),
            Assembled(text: " 6", offset: 12),
            Assembled(text: "long line here", offset: 15),
        ])
        #expect(rig.held() == 30)
        rig.flush(quiet: nil)
        #expect(rig.take() == [Assembled(text: " 7", offset: 30)])
        #expect(rig.assembler.eventsCut == 1)
    }

    @Test("the flush timeout: a quiet file's pending event is emitted once quiet that long")
    func flushTimeout() throws {
        var spec = MultilineSpec(mode: .start, pattern: Self.timestamped)
        spec.flushTimeout = 2
        let rig = try AssemblyRig(multiline: spec)
        rig.feed("2024-01-01 a\n  b\n")
        rig.flush(quiet: 1.5)
        #expect(rig.take() == [])
        #expect(rig.held() == 0)
        rig.flush(quiet: 2)
        #expect(rig.take() == [Assembled(text: "2024-01-01 a\n  b", offset: 0)])
        #expect(rig.held() == nil)
        // A line after the flush begins an event of its own, even a continuation.
        rig.feed("  c\n", from: 17)
        rig.flush(quiet: nil)
        #expect(rig.take() == [Assembled(text: "  c", offset: 17)])
    }

    @Test("each file groups its own lines")
    func perFile() throws {
        let rig = try AssemblyRig(multiline: MultilineSpec(mode: .start, pattern: Self.timestamped))
        var a: Int64 = 0
        var b: Int64 = 0
        a = rig.feed("2024-01-01 a1\n", file: 1, from: a)
        b = rig.feed("2024-01-01 b1\n", file: 2, from: b)
        a = rig.feed("  a1 more\n", file: 1, from: a)
        b = rig.feed("  b1 more\n2024-01-02 b2\n", file: 2, from: b)
        #expect(rig.take() == [Assembled(text: "2024-01-01 b1\n  b1 more", offset: 0)])
        #expect(rig.held(file: 1) == 0)
        #expect(rig.held(file: 2) == 24)
        rig.flush(file: 1, quiet: nil)
        #expect(rig.take() == [Assembled(text: "2024-01-01 a1\n  a1 more", offset: 0)])
        #expect(rig.held(file: 1) == nil)
        #expect(rig.held(file: 2) == 24)
    }

    @Test("a pattern that does not compile is named by its key path")
    func badPattern() {
        let spec = MultilineSpec(mode: .start, pattern: "^(unclosed")
        var mapping = MappingSpec(parser: .raw(), defaultStream: "s")
        mapping.multiline = spec
        let error = try? #require(throws: MappingError.self) { try EventAssembler(spec: mapping) }
        #expect(error?.keyPath == "multiline.pattern")
    }

    @Test("lines ruled out by their first byte sort as PCRE2 would sort them, UTF-8 and bad bytes too")
    func firstByteShortcut() throws {
        // `^(?:é|\t\S|ab)`: a match starts with é's first byte, a tab or `a`.
        let rig = try AssemblyRig(multiline: MultilineSpec(mode: .continuation, pattern: #"^(?:é|\t\S|ab)"#))
        let lines: [[UInt8]] = [
            Array("head".utf8), Array("élan".utf8), Array("\tx".utf8), Array("\t".utf8), Array("ab".utf8),
            Array("a".utf8), [0xC3, 0x28], Array("è".utf8), [], Array("ab again".utf8),
        ]
        let text = lines.map { String(decoding: $0, as: UTF8.self) + "\n" }.joined()
        rig.feed(text)
        rig.flush(quiet: nil)
        let decoded = lines.map { String(decoding: $0, as: UTF8.self) }
        let offsets = lineOffsets(text)
        #expect(rig.take() == [
            Assembled(text: decoded[0...2].joined(separator: "\n"), offset: offsets[0]),
            Assembled(text: decoded[3...4].joined(separator: "\n"), offset: offsets[3]),
            Assembled(text: decoded[5], offset: offsets[5]),
            Assembled(text: decoded[6], offset: offsets[6]),
            Assembled(text: decoded[7], offset: offsets[7]),
            Assembled(text: decoded[8...9].joined(separator: "\n"), offset: offsets[8]),
        ])
    }

    @Test("the presets: blank and indented lines continue; a blank line is a line of its own elsewhere")
    func blankAndIndentedLines() throws {
        let python = try AssemblyRig(multiline: MultilineSpec.preset("python"))
        python.feed("start\n\n   \n  code\nnext\n")
        python.flush(quiet: nil)
        #expect(python.take() == [Assembled(text: "start\n\n   \n  code", offset: 0),
                                  Assembled(text: "next", offset: 18)])
        // java has no blank-line rule: a blank line begins an event, and whitespace alone is
        // not an indented line.
        let java = try AssemblyRig(multiline: MultilineSpec.preset("java"))
        java.feed("start\n\n   \n\tat x\n")
        java.flush(quiet: nil)
        #expect(java.take() == [Assembled(text: "start", offset: 0), Assembled(text: "", offset: 6),
                                Assembled(text: "   \n\tat x", offset: 7)])
    }
}
