import StreamMapping
import Testing

@Suite("JSON parser")
struct JSONParserTests {
    static func mapper(
        adding fields: [(String, FieldValue)] = [], routes: [Route] = []
    ) throws -> EventMapper {
        let spec = MappingSpec(parser: .json, addFields: fields, routes: routes, defaultStream: "s")
        return try EventMapper(spec: spec)
    }

    @Test(
        "a valid object passes through byte for byte, trimmed of the whitespace around it",
        arguments: [
            #"{"a":1,"b":"x"}"#,
            #"{ "nested" : { "list" : [ 1, 2.5e-3, -0, true, false, null, [], {} ] } , "#
                + #""s" : "\"\\\/\b\f\n\r\t\u00e9" }"#,
            #"{"big":9223372036854775808,"bigger":123456789012345678901234567890,"#
                + #""tiny":1E-400,"neg":-9223372036854775809}"#,
            #"{"text":"héllo ✓ 🎉","esc":"\ud83c\udf89","dup":1,"dup":2}"#,
            #"{"e":1e999999,"E":-2.5E+308,"z":-0.0,"zero":-0,"lone":"\ud800","nul":"\u0000","#
                + #""max":18446744073709551616,"pi":3.14159265358979323846264338327950288}"#,
            #"{}"#,
        ]
    )
    func passThrough(line: String) throws {
        let mapper = try Self.mapper()
        #expect(map(mapper, line).json == line)
        #expect(map(mapper, " \t" + line + "  \r").json == line)
        #expect(mapper.parseFailures == 0)
    }

    @Test("added fields are spliced in before the closing brace, also of an empty object")
    func addedFields() throws {
        let mapper = try Self.mapper(adding: [("env", .string("prod")), ("n", .int(2))])
        #expect(map(mapper, #"{"a":{"b":[1]}}"#).json == #"{"a":{"b":[1]},"env":"prod","n":2}"#)
        #expect(map(mapper, #"{}"#).json == #"{"env":"prod","n":2}"#)
        #expect(map(mapper, #"  { }  "#).json == #"{ "env":"prod","n":2}"#)
        let big = map(mapper, #"{"big":9223372036854775808 }"#)
        #expect(big.json == #"{"big":9223372036854775808 ,"env":"prod","n":2}"#)
    }

    @Test("a key that is also an added field is left out, so the event has no duplicate key")
    func addedFieldWins() throws {
        let mapper = try Self.mapper(adding: [("env", .string("prod"))])
        #expect(map(mapper, #"{"env":"dev","a":1}"#).json == #"{"a":1,"env":"prod"}"#)
        #expect(map(mapper, #"{"a":1, "env":{"x":[1,2]}, "b":2}"#).json == #"{"a":1,"b":2,"env":"prod"}"#)
        #expect(map(mapper, #"{"\u0065nv":"dev"}"#).json == #"{"env":"prod"}"#)
    }

    @Test("invalid UTF-8 inside a string is replaced and the rest of the line kept as it was")
    func invalidUTF8() throws {
        let line: [UInt8] = Array(#"{"a": "x"#.utf8) + [0xC3, 0x28] + Array(#"", "b" : 1}"#.utf8)
        #expect(map(try Self.mapper(), bytes: line).json == "{\"a\": \"x\u{FFFD}(\", \"b\" : 1}")
        let added = try Self.mapper(adding: [("k", .bool(false))])
        #expect(map(added, bytes: line).json == "{\"a\": \"x\u{FFFD}(\", \"b\" : 1,\"k\":false}")
    }

    @Test(
        "a line that is not a valid JSON object becomes a failure event naming the problem",
        arguments: [
            (#"{"a":1"#, "invalid JSON at offset 6: the line ends inside the object"),
            (#"{"a":01}"#, "invalid JSON at offset 6: expected ',' or '}'"),
            (#"{"a":1,}"#, "invalid JSON at offset 7: expected a string key"),
            (#"{'a':1}"#, "invalid JSON at offset 1: expected a string key"),
            (#"{"a" 1}"#, "invalid JSON at offset 5: expected ':' after an object key"),
            (#"{"a":tru}"#, "invalid JSON at offset 5: invalid literal"),
            (#"{"a":1.}"#, "invalid JSON at offset 7: invalid number"),
            (#"{"a":"\x"}"#, "invalid JSON at offset 6: invalid escape"),
            (#"{"a":"\u12G4"}"#, "invalid JSON at offset 6: invalid \\u escape"),
            (#"{"a":[1 2]}"#, "invalid JSON at offset 8: expected ',' or ']'"),
            (#"{"a":1} {"b":2}"#, "invalid JSON at offset 8: unexpected bytes after the object"),
            ("{\"a\":\"tab\there\"}", "invalid JSON at offset 9: control character inside a string"),
            (#"{"a":"open}"#, "invalid JSON at offset 11: unterminated string"),
            (#"[1,2]"#, "line is not a JSON object"),
            (#""just a string""#, "line is not a JSON object"),
            (#"42"#, "line is not a JSON object"),
            (#"plain text"#, "line is not a JSON object"),
            ("", "line is not a JSON object"),
        ]
    )
    func failures(line: String, reason: String) throws {
        let mapper = try Self.mapper(adding: [("src", .string("app"))])
        let expected = "{\"message\":\(quoted(line)),\"parse_error\":\(quoted(reason)),\"src\":\"app\"}"
        #expect(map(mapper, line).json == expected)
        #expect(mapper.parseFailures == 1)
    }

    @Test(
        "a line that is not an object at all follows the nonObject policy; a broken object fails",
        arguments: [#"[1,2]"#, #""just a string""#, "42", "null", "plain text", "", "   "]
    )
    func nonObjectPolicies(line: String) throws {
        func mapper(_ policy: JSONNonObject) throws -> EventMapper {
            let spec = MappingSpec(
                parser: .json(nonObject: policy), addFields: [("src", .string("app"))], defaultStream: "s"
            )
            return try EventMapper(spec: spec)
        }
        let raw = try mapper(.raw)
        #expect(map(raw, line).json == "{\"message\":\(quoted(line)),\"src\":\"app\"}")
        #expect(map(raw, #"{"a":1}"#).json == #"{"a":1,"src":"app"}"#)
        #expect(map(raw, #" {"a":1"#).json
            == #"{"message":" {\"a\":1","parse_error":"invalid JSON at offset 7: the line ends inside the "#
            + #"object","src":"app"}"#)
        #expect(raw.parseFailures == 1)

        let drop = try mapper(.drop)
        #expect(map(drop, line).stream == nil)
        #expect(map(drop, #"{"a":1}"#).stream == 0)
        #expect(map(drop, "{broken").stream == 0)
        #expect(drop.parseFailures == 1)

        let error = try mapper(.error)
        #expect(map(error, line).json?.contains(#""parse_error":"line is not a JSON object""#) == true)
        #expect(error.parseFailures == 1)
    }

    @Test("nesting of 64 levels passes and 65 is refused")
    func depthLimit() throws {
        let mapper = try Self.mapper()
        let deep64 = "{\"a\":" + String(repeating: "[", count: 63) + String(repeating: "]", count: 63) + "}"
        #expect(map(mapper, deep64).json == deep64)
        let deep65 = "{\"a\":" + String(repeating: "[", count: 64) + String(repeating: "]", count: 64) + "}"
        let reason = "invalid JSON at offset 68: nesting is deeper than 64"
        let expected = "{\"message\":\(quoted(deep65)),\"parse_error\":\"\(reason)\"}"
        #expect(map(mapper, deep65).json == expected)
    }

    @Test("routes read top-level keys: strings unescaped, numbers and booleans by their text")
    func routingOnFields() throws {
        let routes = [
            Route(when: .equals(field: "level", value: "error"), stream: "errors"),
            Route(when: .equals(field: "status", value: "503"), stream: "unavailable"),
            Route(when: .equals(field: "flag", value: "true"), stream: "flagged"),
            Route(when: .matches(field: "path", pattern: "^/api/é"), stream: "api"),
        ]
        let mapper = try Self.mapper(routes: routes)
        #expect(streamName(mapper, #"{"lev\u0065l":"err\u006Fr"}"#) == "errors")
        #expect(streamName(mapper, #"{"x":{"level":"error"},"status":503}"#) == "unavailable")
        #expect(streamName(mapper, #"{"status":"503"}"#) == "unavailable")
        #expect(streamName(mapper, #"{"status":503.0}"#) == "s")
        #expect(streamName(mapper, #"{"flag":true}"#) == "flagged")
        #expect(streamName(mapper, #"{"path":"/api/\u00e9t\u00e9"}"#) == "api")
        #expect(streamName(mapper, #"{"level":"warn"}"#) == "s")
    }
}

/// `text` as a JSON string, escaped by hand for the characters these tests use.
private func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\t": out += "\\t"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
