import Shipper
import TestSupport
import StreamMapping
import Testing

/// The problems `ConfigLoader` finds in a config whose only input has `parser` (JSON5 text).
func parserProblems(_ parser: String) throws -> [ConfigProblem] {
    let text = "{ inputs: [{ name: \"in\", paths: [\"/nonexistent/*.log\"], parser: \(parser) }] }"
    let root = try JSON5Parser.parse(Array(text.utf8))
    do {
        _ = try ConfigLoader.validate(root, file: "/nonexistent/test.json5", environment: [:])
        return []
    } catch {
        return error.problems
    }
}

/// The mapping `ConfigLoader` makes of a config whose only input has `parser` (JSON5 text).
func parserMapping(_ parser: String) throws -> MappingSpec? {
    let text = "{ inputs: [{ name: \"in\", paths: [\"/nonexistent/*.log\"], parser: \(parser) }] }"
    let root = try JSON5Parser.parse(Array(text.utf8))
    return try ConfigLoader.validate(root, file: "/nonexistent/test.json5", environment: [:])
        .inputs.first?.mapping
}

@Suite("Parser options in the config")
struct ParserConfigTests {
    @Test("types and onTypeError are read for every parser type")
    func typesRead() throws {
        let regex = try parserMapping(
            #"{ type: "regex", pattern: "(?<s>\\d+) (?<b>\\S+)", types: { s: "int", b: "float" }, "#
                + #"onTypeError: "null" }"#
        )
        #expect(regex?.fieldTypes.map(\.0) == ["s", "b"])
        #expect(regex?.fieldTypes.map(\.1) == [.int, .float])
        #expect(regex?.onTypeError == .null)
        let dissect = try parserMapping(#"{ type: "dissect", pattern: "%{a} %{b}", types: { b: "bool" } }"#)
        #expect(dissect?.fieldTypes.map(\.1) == [.bool])
        #expect(dissect?.onTypeError == .keep)
        // The registered parser does not see the keys the mapping takes.
        if case .custom(_, let options)? = dissect?.parser {
            #expect(options.keys.sorted() == ["pattern"])
        } else {
            Issue.record("dissect should be a registered parser")
        }
    }

    @Test("a bad type, policy or field is named by its key path")
    func typeProblems() throws {
        let badType = try parserProblems(#"{ type: "dissect", pattern: "%{a} %{b}", types: { b: "integer" } }"#)
        #expect(badType.map(\.keyPath) == ["inputs[0].parser.types.b"])
        #expect(badType.first?.message.contains("expected one of int, float, bool, string") == true)

        let badPolicy = try parserProblems(#"{ type: "raw", types: { message: "int" }, onTypeError: "skip" }"#)
        #expect(badPolicy.map(\.keyPath) == ["inputs[0].parser.onTypeError"])

        let notObject = try parserProblems(#"{ type: "csv", columns: "a,b", types: ["a"] }"#)
        #expect(notObject.map(\.keyPath) == ["inputs[0].parser.types"])

        let unknownField = try parserProblems(#"{ type: "csv", columns: "a,b", types: { c: "int" } }"#)
        #expect(unknownField.map(\.keyPath) == ["inputs[0].parser.types.c"])
        #expect(unknownField.first?.message == #"the parser sets no field "c" (its fields: a, b)"#)

        let onJSON = try parserProblems(#"{ type: "json", types: { a: "int" } }"#)
        #expect(onJSON.map(\.keyPath) == ["inputs[0].parser.types"])
    }

    @Test("json's nonObject policy is read and checked")
    func jsonNonObject() throws {
        #expect(try parserMapping(#"{ type: "json" }"#)?.parser == .json(nonObject: .error))
        #expect(try parserMapping(#"{ type: "json", nonObject: "raw" }"#)?.parser == .json(nonObject: .raw))
        #expect(try parserMapping(#"{ type: "json", nonObject: "drop" }"#)?.parser == .json(nonObject: .drop))
        let bad = try parserProblems(#"{ type: "json", nonObject: "skip" }"#)
        #expect(bad.map(\.keyPath) == ["inputs[0].parser.nonObject"])
        #expect(bad.first?.message == "expected one of error, raw, drop, found 'skip'")
    }
}

@Suite("Grok options in the config")
struct GrokConfigTests {
    @Test("pattern, patterns and patternsFiles are read; a file's lines keep their line numbers")
    func grokRead() throws {
        let dir = try TempDir()
        let file = dir.file("extra.grok")
        try writeText("# comment\n\nREQID req-%{HEX8}\r\n  HEX8\t[0-9a-f]{8}\n", to: file)
        let mapping = try parserMapping(
            #"{ type: "grok", pattern: ["%{REQID:id} %{WORD:w}", "%{INT:n:int}"], "#
                + #"patterns: { WORDS: "\\w+(?: \\w+)*" }, patternsFiles: [""# + file + #""] }"#
        )
        guard case .grok(let grok)? = mapping?.parser else {
            Issue.record("expected a grok parser, found \(String(describing: mapping?.parser))")
            return
        }
        #expect(grok.patterns == ["%{REQID:id} %{WORD:w}", "%{INT:n:int}"])
        #expect(grok.definitions == [
            GrokDefinition(name: "REQID", regex: "req-%{HEX8}", keyPath: "parser.patternsFiles[0]", line: 3),
            GrokDefinition(name: "HEX8", regex: "[0-9a-f]{8}", keyPath: "parser.patternsFiles[0]", line: 4),
            GrokDefinition(name: "WORDS", regex: #"\w+(?: \w+)*"#, keyPath: "parser.patterns.WORDS"),
        ])
    }

    @Test("grok problems are named by key path: file, line, pattern name")
    func grokProblems() throws {
        let dir = try TempDir()
        let file = dir.file("bad.grok")
        try writeText("GOOD \\d+\nLONELY\nLOOP %{LOOP}\n", to: file)
        let problems = try parserProblems(#"{ type: "grok", pattern: "%{GOOD:n}", patternsFiles: [""# + file + #""] }"#)
        #expect(problems.map(\.description) == [
            "inputs[0].parser.patternsFiles[0]: line 2: expected a name, a space and a regex",
            "inputs[0].parser.patternsFiles[0]: line 3, LOOP: pattern LOOP refers to itself: LOOP → LOOP",
        ])

        let missing = try parserProblems(
            #"{ type: "grok", pattern: "%{WORD:w}", patternsFiles: ["/nonexistent/p.grok"] }"#
        )
        #expect(missing.map(\.keyPath) == ["inputs[0].parser.patternsFiles[0]"])
        #expect(missing.first?.message.hasPrefix("cannot read '/nonexistent/p.grok'") == true)

        let unknown = try parserProblems(#"{ type: "grok", pattern: "%{COMBINEDAPACHELOGS}" }"#)
        #expect(unknown.map(\.description) == [
            "inputs[0].parser.pattern: unknown grok pattern %{COMBINEDAPACHELOGS} (did you mean COMBINEDAPACHELOG?)",
        ])

        let inConfig = try parserProblems(#"{ type: "grok", pattern: "%{A:a}", patterns: { A: "%{B}" } }"#)
        #expect(inConfig.map(\.description) == ["inputs[0].parser.patterns.A: A: unknown grok pattern %{B}"])

        #expect(try parserProblems(#"{ type: "grok" }"#).map(\.keyPath) == ["inputs[0].parser.pattern"])
        #expect(try parserProblems(#"{ type: "grok", pattern: "%{WORD:w}", patterns: ["x"] }"#).map(\.keyPath)
            == ["inputs[0].parser.patterns"])
    }
}
