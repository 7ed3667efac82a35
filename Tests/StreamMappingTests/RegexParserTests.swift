import StreamMapping
import Testing

@Suite("Regex parser")
struct RegexParserTests {
    static let levelPattern = #"^(?<level>[A-Z]+)(?: \[(?<module>[^\]]+)\])? (?<text>.*)$"#

    static func levelMapper() throws -> EventMapper {
        try EventMapper(spec: MappingSpec(parser: .regex(pattern: levelPattern), defaultStream: "s"))
    }

    @Test("named groups become string fields and a group that did not take part is left out")
    func optionalGroups() throws {
        let mapper = try Self.levelMapper()
        let full = map(mapper, "INFO [db] connected")
        #expect(full.json == #"{"level":"INFO","module":"db","text":"connected"}"#)
        // The same mapper on the next line must not keep the module of the line before.
        #expect(map(mapper, "WARN disk \"sda\" full").json == #"{"level":"WARN","text":"disk \"sda\" full"}"#)
        #expect(mapper.parseFailures == 0)
    }

    @Test("fields follow the group order of the pattern, not the order of their names")
    func groupOrder() throws {
        let spec = MappingSpec(parser: .regex(pattern: #"(?<zeta>\d+)-(?<alpha>\d+)"#), defaultStream: "s")
        let mapper = try EventMapper(spec: spec)
        #expect(map(mapper, "id 12-34 end").json == #"{"zeta":"12","alpha":"34"}"#)
    }

    @Test("an unnamed group is not a field, and a pattern matches anywhere unless it anchors itself")
    func unnamedGroups() throws {
        let spec = MappingSpec(parser: .regex(pattern: #"(\w+)=(?<value>\w+)"#), defaultStream: "s")
        let mapper = try EventMapper(spec: spec)
        #expect(map(mapper, "-- key=val --").json == #"{"value":"val"}"#)
    }

    @Test("a line that does not match becomes a failure event with the line as message")
    func nonMatch() throws {
        var spec = MappingSpec(
            parser: .regex(pattern: Self.levelPattern),
            addFields: [("app", .string("api"))],
            defaultStream: "s"
        )
        spec.parseErrorField = "error"
        let mapper = try EventMapper(spec: spec)
        let mapped = map(mapper, "lowercase \"line\"")
        let expected = #"{"message":"lowercase \"line\"","#
            + #""error":"line does not match the pattern","app":"api"}"#
        #expect(mapped.json == expected)
        #expect(mapped.stream == 0)
        #expect(mapper.parseFailures == 1)
        #expect(map(mapper, "INFO ok").json == #"{"level":"INFO","text":"ok","app":"api"}"#)
        #expect(mapper.parseFailures == 1)
    }

    @Test("a subject with invalid UTF-8 still matches, and the bad byte is replaced in the value")
    func invalidUTF8Subject() throws {
        let mapper = try Self.levelMapper()
        let line: [UInt8] = Array("ERROR bad ".utf8) + [0xFE] + Array(" byte".utf8)
        #expect(map(mapper, bytes: line).json == "{\"level\":\"ERROR\",\"text\":\"bad \u{FFFD} byte\"}")
    }

    @Test("an invalid byte is found wherever it sits among runs of ASCII, and valid UTF-8 is left alone")
    func invalidUTF8AnyOffset() throws {
        let mapper = try EventMapper(spec: MappingSpec(parser: .regex(pattern: "^(?<all>.*)$"), defaultStream: "s"))
        for offset in 0..<20 {
            let head = Array(String(repeating: "a", count: offset).utf8)
            let tail = Array("0123456789abcdefgh".utf8)
            #expect(map(mapper, bytes: head + [0xC3] + tail).json
                == "{\"all\":\"\(String(repeating: "a", count: offset))\u{FFFD}0123456789abcdefgh\"}")
            #expect(map(mapper, bytes: head + Array("é✓".utf8) + tail).json
                == "{\"all\":\"\(String(repeating: "a", count: offset))é✓0123456789abcdefgh\"}")
        }
        #expect(mapper.parseFailures == 0)
    }

    @Test("a pattern that does not compile is reported at parser.pattern with PCRE2's offset and reason")
    func badPattern() {
        let error = mappingError { () throws(MappingError) in
            try EventMapper(spec: MappingSpec(parser: .regex(pattern: "(?<a>x"), defaultStream: "s"))
        }
        #expect(error?.keyPath == "parser.pattern")
        #expect(error?.message == "regex does not compile at offset 6: missing closing parenthesis")
    }

    @Test("a pattern without a named group is refused, since its events would be empty")
    func noNamedGroup() {
        let error = mappingError { () throws(MappingError) in
            try EventMapper(spec: MappingSpec(parser: .regex(pattern: #"(\d+)"#), defaultStream: "s"))
        }
        #expect(error?.keyPath == "parser.pattern")
    }
}
