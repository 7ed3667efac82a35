import StreamMapping
import Testing

@Suite("Raw parser")
struct RawParserTests {
    @Test("quotes, backslashes and control bytes are escaped, and invalid UTF-8 becomes U+FFFD")
    func escaping() throws {
        let mapper = try EventMapper(spec: MappingSpec(parser: .raw(), defaultStream: "logs"))
        var line = Array(#"say "hi" \ back"#.utf8)
        line += [0x09, 0x0A, 0x0D, 0x01, 0x1F, 0x20, 0xFF, 0x41, 0xC3, 0xA9, 0xE2, 0x82]
        let expected = #"{"message":"say \"hi\" \\ back\t\n\r\u0001\u001f \#u{FFFD}Aé\#u{FFFD}\#u{FFFD}"}"#
        let mapped = map(mapper, bytes: line)
        #expect(mapped.json == expected)
        #expect(mapped.stream == 0)
        #expect(mapper.streams == [StreamTarget(name: "logs", authKey: nil)])
    }

    @Test("invalid UTF-8 is written as \\u00XX when the mapping asks to escape it")
    func escapeInvalid() throws {
        var spec = MappingSpec(parser: .raw(), defaultStream: "logs")
        spec.invalidUTF8 = .escape
        let mapper = try EventMapper(spec: spec)
        #expect(map(mapper, bytes: [0x61, 0xFF, 0x62]).json == #"{"message":"a\u00ffb"}"#)
    }

    @Test("a raw field of another name is followed by the added fields in their order")
    func addedFields() throws {
        let spec = MappingSpec(
            parser: .raw(field: "line"),
            addFields: [
                ("host", .string("web \"1\"")), ("port", .int(-8080)), ("ratio", .double(0.25)),
                ("big", .double(1e300)), ("ok", .bool(true)), ("none", .null),
            ],
            defaultStream: "logs"
        )
        let mapper = try EventMapper(spec: spec)
        let expected = #"{"line":"GET /","host":"web \"1\"","port":-8080,"ratio":0.25,"big":1e+300,"#
            + #""ok":true,"none":null}"#
        #expect(map(mapper, "GET /").json == expected)
    }

    @Test("an empty line is an event with an empty message")
    func emptyLine() throws {
        let mapper = try EventMapper(spec: MappingSpec(parser: .raw(), defaultStream: "logs"))
        #expect(map(mapper, bytes: []).json == #"{"message":""}"#)
        #expect(mapper.parseFailures == 0)
    }

    @Test("an added field named like the raw field replaces it")
    func addedWins() throws {
        let spec = MappingSpec(parser: .raw(), addFields: [("message", .string("fixed"))], defaultStream: "s")
        let mapper = try EventMapper(spec: spec)
        #expect(map(mapper, "original").json == #"{"message":"fixed"}"#)
    }
}
