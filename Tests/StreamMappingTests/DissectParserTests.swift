import StreamMapping
import Testing

@Suite("Dissect parser")
struct DissectParserTests {
    static let common = #"%{client} %{ident} %{user} [%{time}] "%{method} %{path} %{protocol}" "#
        + "%{status} %{bytes}"

    @Test("the common log pattern cuts a line at its literals, the last field taking the rest")
    func commonLog() throws {
        let mapper = try builtInMapper("dissect", ["pattern": .string(Self.common)])
        let line = #"10.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a b.gif HTTP/1.0" 200 2326 x"#
        let expected = #"{"client":"10.0.0.1","ident":"-","user":"frank","#
            + #""time":"10/Oct/2000:13:55:36 -0700","method":"GET","path":"/a","#
            + #""protocol":"b.gif HTTP/1.0","status":"200","bytes":"2326 x"}"#
        #expect(map(mapper, line).json == expected)
        #expect(mapper.parseFailures == 0)
    }

    @Test("skipped, appended and padded placeholders")
    func modifiers() throws {
        let pattern = "%{?date} %{} %{+stamp} %{+stamp} %{level->} %{msg}"
        let mapper = try builtInMapper("dissect", ["pattern": .string(pattern)])
        #expect(map(mapper, "2024-01-02 x 10:00 UTC INFO    started now").json
            == #"{"stamp":"10:00 UTC","level":"INFO","msg":"started now"}"#)

        // Padding on the last field (which takes the rest of the line) changes nothing.
        let padded = try builtInMapper("dissect", ["pattern": .string("%{a->} %{b->}")])
        #expect(map(padded, "x   y  ").json == #"{"a":"x","b":"y  "}"#)
        let suffixed = try builtInMapper("dissect", ["pattern": .string("[%{a->}]")])
        #expect(map(suffixed, "[x]]").json == #"{"a":"x]"}"#)

        let joined = "%{stamp} %{+stamp} %{+stamp}|%{rest}"
        let options: [String: FieldValue] = ["pattern": .string(joined), "appendSeparator": .string("-")]
        let dashed = try builtInMapper("dissect", options)
        #expect(map(dashed, "2024 01 02|r").json == #"{"stamp":"2024-01-02","rest":"r"}"#)
        // An empty part is left out of the join rather than doubling the separator.
        #expect(map(dashed, "2024  02|r").json == #"{"stamp":"2024-02","rest":"r"}"#)
    }

    @Test("a leading literal must start the line and a trailing one must end it")
    func prefixAndSuffix() throws {
        let mapper = try builtInMapper("dissect", ["pattern": .string("<%{pri}>%{host}: [%{msg}]")])
        #expect(map(mapper, "<13>web1: [a] b]").json == #"{"pri":"13","host":"web1","msg":"a] b"}"#)

        let noPrefix = map(mapper, "13>web1: [a]")
        let noPrefixReason = #"line does not start with \"<\""#
        #expect(noPrefix.json == #"{"message":"13>web1: [a]","parse_error":"\#(noPrefixReason)"}"#)
        let noSuffix = map(mapper, "<13>web1: [a")
        #expect(noSuffix.json == #"{"message":"<13>web1: [a","parse_error":"line does not end with \"]\""}"#)
        #expect(mapper.parseFailures == 2)
    }

    @Test("a line without a literal the pattern needs is a parse failure naming it")
    func missingDelimiter() throws {
        let mapper = try builtInMapper("dissect", ["pattern": .string("%{a} - %{b} - %{c}")])
        #expect(map(mapper, "x - y-z - w").json == #"{"a":"x","b":"y-z","c":"w"}"#)
        let failed = map(mapper, "x - y-z")
        let reason = #"no \" - \" after field \"b\" at offset 4"#
        #expect(failed.json == #"{"message":"x - y-z","parse_error":"\#(reason)"}"#)
        #expect(mapper.parseFailures == 1)
    }

    @Test("empty values are empty strings, and quotes and backslashes are escaped in the event")
    func emptyAndEscaped() throws {
        let mapper = try builtInMapper("dissect", ["pattern": .string("%{a},%{b},%{c}")])
        #expect(map(mapper, #",say "hi",C:\dir"#).json == #"{"a":"","b":"say \"hi\"","c":"C:\\dir"}"#)
        #expect(map(mapper, ",,").json == #"{"a":"","b":"","c":""}"#)
    }

    @Test("routes see the dissected fields")
    func routing() throws {
        let routes = [Route(when: .equals(field: "level", value: "ERROR"), stream: "errors")]
        let mapper = try builtInMapper("dissect", ["pattern": .string("%{level} %{msg}")], routes: routes)
        #expect(streamName(mapper, "ERROR disk full") == "errors")
        #expect(streamName(mapper, "INFO fine") == "events")
    }

    @Test(
        "patterns and options that cannot work are refused with the reason",
        arguments: [
            ([:], "pattern", "missing: a dissect parser needs a pattern"),
            (["pattern": .int(3)], "pattern", "expected a string, found a number"),
            (["pattern": .string("no fields")], "pattern", "the pattern has no %{field}"),
            (["pattern": .string("%{a} %{b")], "pattern", #""%{" at offset 5 is not closed"#),
            (
                ["pattern": .string("%{a}%{b}")], "pattern",
                "two fields with nothing between them at offset 4; dissect needs a literal to cut at"
            ),
            (
                ["pattern": .string("%{} %{?x}")], "pattern",
                "the pattern names no field; events would be empty"
            ),
            (["pattern": .string("%{a} %{a}")], "pattern", #"field "a" is set twice; use %{+a} to append"#),
            (
                ["pattern": .string("%{*a} %{&a}")], "pattern",
                "reference keys such as %{*a} are not supported"
            ),
            (["pattern": .string("%{+} %{a}")], "pattern", "%{+} names no field to append to"),
            (
                ["pattern": .string("%{a}"), "separator": .string(",")], "separator",
                "unknown option (this parser takes: pattern, appendSeparator)"
            ),
        ] as [([String: FieldValue], String, String)]
    )
    func refusedOptions(options: [String: FieldValue], key: String, message: String) {
        let error = builtInError("dissect", options)
        #expect(error?.keyPath == "parser.options.\(key)")
        #expect(error?.message == message)
    }
}
