import AtomBase
import Glibc
import StreamMapping
import Testing

@Suite("Logfmt parser")
struct LogfmtParserTests {
    @Test("pairs become string fields in line order, quoted values without their quotes")
    func pairs() throws {
        let mapper = try builtInMapper("logfmt")
        let line = #"time="2024-11-12T14:39:08+09:00" level=warning msg="System warning" status=401"#
        let expected = #"{"time":"2024-11-12T14:39:08+09:00","level":"warning","msg":"System warning","#
            + #""status":"401"}"#
        #expect(map(mapper, line).json == expected)
    }

    @Test("short keys that end just before an unreadable page are looked up without reading past it")
    func keysAtThePageEnd() throws {
        // Two pages, the second unreadable: a key cache that loaded a word across the boundary
        // would crash. Each line ends where the page does, so its last key (of 1 to 7 bytes) too.
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let mapping = mmap(nil, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        let base = try #require(mapping == MAP_FAILED ? nil : mapping)
        defer { munmap(base, 2 * page) }
        #expect(mprotect(base + page, page, PROT_NONE) == 0)
        let mapper = try builtInMapper("logfmt")
        for key in ["k", "ab", "abc", "abcd", "abcde", "abcdef", "abcdefg"] {
            for line in ["a=1 \(key)", "\(key)=x \(key)", "\(key)"] {
                let bytes = Array(line.utf8)
                let start = base + page - bytes.count
                bytes.withUnsafeBytes { raw in
                    if let from = raw.baseAddress { start.copyMemory(from: from, byteCount: bytes.count) }
                }
                let out = ByteBuffer()
                _ = mapper.route(UnsafeRawBufferPointer(start: start, count: bytes.count))
                mapper.encode(into: out)
                let expected = line.hasPrefix("a=") ? #"{"a":"1",""# + key + #"":"true"}"#
                    : #"{""# + key + #"":"true"}"#
                #expect(out.string == expected, "line \(line)")
            }
        }
    }

    @Test("escapes inside quotes are undone and the value is escaped again for JSON")
    func escapes() throws {
        let mapper = try builtInMapper("logfmt")
        let line = #"msg="say \"hi\" to C:\\tmp\n" other="a\qb" path=/x"y"#
        let expected = #"{"msg":"say \"hi\" to C:\\tmp\n","other":"a\\qb","path":"/x\"y"}"#
        #expect(map(mapper, line).json == expected)
    }

    @Test("a bare key is the string true, key= is empty, and extra spaces are ignored")
    func bareAndEmpty() throws {
        let mapper = try builtInMapper("logfmt")
        #expect(map(mapper, "  retry  code= quiet  ").json == #"{"retry":"true","code":"","quiet":"true"}"#)
        #expect(map(mapper, #"empty="" x=1"#).json == #"{"empty":"","x":"1"}"#)
    }

    @Test("a repeated key keeps its first place and takes its last value")
    func repeatedKey() throws {
        let mapper = try builtInMapper("logfmt")
        #expect(map(mapper, "a=1 b=2 a=3").json == #"{"a":"3","b":"2"}"#)
    }

    @Test("other separators make it a generic key-value parser")
    func separators() throws {
        let query = try builtInMapper("logfmt", ["separator": .string("&"), "kvSeparator": .string(":")])
        #expect(map(query, "user:ann&&id:7&flag").json == #"{"user":"ann","id":"7","flag":"true"}"#)

        let wide = try builtInMapper("logfmt", ["separator": .string(", "), "kvSeparator": .string(" => ")])
        #expect(map(wide, #"a => 1, b => "x, y", c => a=b"#).json == #"{"a":"1","b":"x, y","c":"a=b"}"#)
        // A key may hold the first byte of either separator when the rest does not follow.
        #expect(map(wide, "k,v => 1, my key => 2,3, last").json
            == #"{"k,v":"1","my key":"2,3","last":"true"}"#)
    }

    @Test(
        "lines that are not logfmt are parse failures with the reason",
        arguments: [
            (#"a=1 msg="open"#, "unclosed quote at offset 8"),
            (#"msg="a\"#, "unclosed quote at offset 4"),
            (#"msg="a"b c=1"#, "text after the closing quote at offset 7"),
            ("a=1 =2", "empty key at offset 4"),
            ("", "line has no key"),
            ("   ", "line has no key"),
        ]
    )
    func failures(line: String, reason: String) throws {
        let mapper = try builtInMapper("logfmt")
        let event = decodedEvent(mapper, line)
        #expect(eventEquals(event, ["message": line, "parse_error": reason]))
        #expect(mapper.parseFailures == 1)
    }

    @Test("a mapper takes at most 4096 distinct keys, then fails lines with new ones")
    func keyLimit() throws {
        let mapper = try builtInMapper("logfmt")
        for number in 0..<4096 {
            _ = map(mapper, "k\(number)=\(number) level=x")
        }
        #expect(mapper.parseFailures == 1)
        let event = decodedEvent(mapper, "level=y k1=1")
        #expect(eventEquals(event, ["level": "y", "k1": "1"]))
        let past = "k4096=1"
        #expect(eventEquals(decodedEvent(mapper, past), [
            "message": past, "parse_error": "key at offset 0 is past the 4096 distinct keys allowed",
        ]))
    }

    @Test(
        "options that cannot work are refused with the reason",
        arguments: [
            (["separator": .string("")], "separator", "the value is empty"),
            (["kvSeparator": .bool(true)], "kvSeparator", "expected a string, found a boolean"),
            (
                ["separator": .string("="), "kvSeparator": .string("=")], "kvSeparator",
                "equals separator; pairs and key from value need different separators"
            ),
            (["separator": .string("\"")], "separator", "must not start with a double quote"),
            (["quote": .string("'")], "quote", "unknown option (this parser takes: separator, kvSeparator)"),
        ] as [([String: FieldValue], String, String)]
    )
    func refusedOptions(options: [String: FieldValue], key: String, message: String) {
        let error = builtInError("logfmt", options)
        #expect(error?.keyPath == "parser.options.\(key)")
        #expect(error?.message == message)
    }
}
