import StreamMapping
import Testing

@Suite("CSV parser")
struct CSVParserTests {
    static let columns: [String: FieldValue] = ["columns": .string("id, level ,msg")]

    @Test("values become fields named by the columns, quoted ones without their quotes")
    func values() throws {
        let mapper = try builtInMapper("csv", Self.columns)
        #expect(map(mapper, "1,INFO,started").json == #"{"id":"1","level":"INFO","msg":"started"}"#)
        #expect(map(mapper, #"2,"WARN","a, b""#).json == #"{"id":"2","level":"WARN","msg":"a, b"}"#)
    }

    @Test("doubled quotes inside quotes stand for one, and other quotes are kept as written")
    func quoting() throws {
        let mapper = try builtInMapper("csv", Self.columns)
        let line = #"3,"say ""hi""","tag=""View Lock"", x""""#
        #expect(map(mapper, line).json == #"{"id":"3","level":"say \"hi\"","msg":"tag=\"View Lock\", x\""}"#)
        #expect(map(mapper, "4,a\"b,\"\"\"\"\"\"").json == #"{"id":"4","level":"a\"b","msg":"\"\""}"#)
        #expect(map(mapper, "5,x,\"\"\"\"").json == #"{"id":"5","level":"x","msg":"\""}"#)
        #expect(map(mapper, #""",,"""#).json == #"{"id":"","level":"","msg":""}"#)
    }

    @Test("empty values are empty strings, a trailing separator included")
    func emptyValues() throws {
        let mapper = try builtInMapper("csv", Self.columns)
        #expect(map(mapper, ",,").json == #"{"id":"","level":"","msg":""}"#)
        #expect(map(mapper, "5,,").json == #"{"id":"5","level":"","msg":""}"#)
    }

    @Test("a one-byte separator other than a comma")
    func separator() throws {
        let tabs = try builtInMapper("csv", ["columns": .string("a,b"), "separator": .string("\t")])
        #expect(map(tabs, "x,y\t\"q\tr\"").json == #"{"a":"x,y","b":"q\tr"}"#)
        let semicolons = try builtInMapper("csv", ["columns": .string("a,b"), "separator": .string(";")])
        #expect(map(semicolons, "1;2").json == #"{"a":"1","b":"2"}"#)
    }

    @Test("a header line gives an event of the column names, which a route can drop")
    func headerLine() throws {
        let drop = Route(when: .equals(field: "id", value: "id"), stream: nil, drop: true)
        let mapper = try builtInMapper("csv", Self.columns, routes: [drop])
        #expect(map(mapper, "id,level,msg").stream == nil)
        #expect(map(mapper, "7,INFO,x").stream == 0)
    }

    @Test("skipHeader drops the header line, bare or quoted, wherever it appears; near misses stay events")
    func skipHeader() throws {
        let mapper = try builtInMapper("csv", ["columns": .string("id, level ,msg"), "skipHeader": .bool(true)])
        #expect(map(mapper, "id,level,msg").stream == nil)
        #expect(map(mapper, #""id","level","msg""#).stream == nil)
        #expect(map(mapper, "7,INFO,x").json == #"{"id":"7","level":"INFO","msg":"x"}"#)
        #expect(map(mapper, "id,level,msg").stream == nil, "a rotated file's header later on")
        #expect(map(mapper, "id,level,msgs").json == #"{"id":"id","level":"level","msg":"msgs"}"#)
        #expect(map(mapper, "id, level,msg").json == #"{"id":"id","level":" level","msg":"msg"}"#)
        #expect(mapper.parseFailures == 0)
        let tabs = try builtInMapper("csv", ["columns": .string("a,b"), "separator": .string("\t"),
                                             "skipHeader": .bool(true)])
        #expect(map(tabs, "a\tb").stream == nil)
        _ = map(tabs, "a,b")
        #expect(tabs.parseFailures == 1, "one value where two are expected: a parse failure")
    }

    @Test(
        "lines that do not fit the columns are parse failures with the reason",
        arguments: [
            ("1,INFO", "expected 3 values, found 2"),
            ("1,INFO,x,y", "more than 3 values"),
            ("", "expected 3 values, found 1"),
            (#"1,"INFO,x"#, "unclosed quote at offset 2"),
            (#"1,"INFO"x,y"#, "text after the closing quote at offset 8"),
        ]
    )
    func failures(line: String, reason: String) throws {
        let mapper = try builtInMapper("csv", Self.columns)
        #expect(eventEquals(decodedEvent(mapper, line), ["message": line, "parse_error": reason]))
        #expect(mapper.parseFailures == 1)
    }

    @Test(
        "options that cannot work are refused with the reason",
        arguments: [
            ([:], "columns", #"missing: a csv parser needs the column names, e.g. "time,level,message""#),
            (["columns": .string("a,,b")], "columns", "column 2 has no name"),
            (["columns": .string("a,b,a")], "columns", #"column "a" is named twice"#),
            (
                ["columns": .string("a"), "separator": .string("ab")], "separator",
                #"expected one byte other than a double quote or a line break, such as ",""#
            ),
            (
                ["columns": .string("a"), "separator": .string("\"")], "separator",
                #"expected one byte other than a double quote or a line break, such as ",""#
            ),
            (
                ["columns": .string("a"), "header": .bool(true)], "header",
                "not supported: a parser cannot see where a file starts; name the columns, "
                    + "and set skipHeader: true to drop the header lines"
            ),
            (
                ["columns": .string("a"), "skipHeader": .string("yes")], "skipHeader",
                "expected true or false, found a string"
            ),
            (
                ["columns": .string("a"), "quote": .string("'")], "quote",
                "unknown option (this parser takes: columns, separator, skipHeader)"
            ),
        ] as [([String: FieldValue], String, String)]
    )
    func refusedOptions(options: [String: FieldValue], key: String, message: String) {
        let error = builtInError("csv", options)
        #expect(error?.keyPath == "parser.options.\(key)")
        #expect(error?.message == message)
    }
}
