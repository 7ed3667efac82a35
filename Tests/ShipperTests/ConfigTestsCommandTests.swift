import Foundation
import Shipper
import Testing
import TestSupport

/// The config's `tests` section, run by `atom-shipper check`.
@Suite("atom-shipper check: the config's tests")
struct ConfigTestsCommandTests {
    /// A config with three inputs: `app` reads `level=L path=P code=N` lines (errors to `errors`,
    /// `/health` dropped, other lines to `unparsed`), `api` reads JSON lines, `trace` groups
    /// indented lines into the `level=` line before them. `tests` goes in as written.
    static func config(_ dir: TempDir, tests: String, appExtra: String = "") throws -> String {
        let path = dir.file("shipper.json5")
        try writeText("""
            {
              inputs: [{
                name: "app",
                paths: ["app.log"],
                parser: {
                  type: "regex",
                  pattern: "^level=(?<level>\\\\w+) path=(?<path>\\\\S+) code=(?<code>\\\\d+)$",
                  types: { code: "int" },
                },
                routes: [
                  { when: { field: "path", equals: "/health" }, drop: true },
                  { when: { field: "level", equals: "error" }, stream: "errors" },
                ],
                stream: "main",
                parseErrorStream: "unparsed",
                \(appExtra)
              }, {
                name: "api",
                paths: ["api.log"],
                parser: { type: "json" },
              }, {
                name: "trace",
                paths: ["trace.log"],
                multiline: { start: "^level=" },
                parser: { type: "regex", pattern: "(?s)^level=(?<level>\\\\w+) (?<text>.*)$" },
              }],
              tests: [\(tests)],
            }
            """, to: path)
        return path
    }

    static let info = "level=info path=/a code=200"
    static let error = "level=error path=/b code=500"
    static let infoEvent = #"{ stream: "main", event: { level: "info", path: "/a", code: 200 } }"#
    static let errorEvent = #"{ stream: "errors", event: { level: "error", path: "/b", code: 500 } }"#

    /// A test of the `app` input: `lines` (JSON5 strings) and `expect` (JSON5 items), as written.
    static func appTest(_ lines: [String], _ expect: [String], name: String = "t") -> String {
        let quoted = lines.map { "\"\($0)\"" }.joined(separator: ", ")
        return "{ name: \"\(name)\", input: \"app\", lines: [\(quoted)], expect: [\(expect.joined(separator: ", "))] }"
    }

    @Test("passing tests print PASS lines and a tally and exit 0; key order does not matter")
    func passing() throws {
        let dir = try TempDir()
        let tests = [
            Self.appTest(
                [Self.info, Self.error, "junk", "level=info path=/health code=200"],
                [
                    #"{ stream: "main", event: { code: 200, path: "/a", level: "info" } }"#,
                    Self.errorEvent,
                    #"{ stream: "unparsed", event: { "#
                        + #"parse_error: "line does not match the pattern", message: "junk" } }"#,
                    "{ drop: true }",
                ],
                name: "one of each"),
            #"{ input: "api", lines: ['{"n":1,"user":{"id":7,"tags":["a"]}}'], "#
                + #"expect: [{ stream: "api", event: { user: { tags: ["a"], id: 7 }, n: 1 } }] }"#,
        ]
        let config = try Self.config(dir, tests: tests.joined(separator: ",\n"))
        let result = try ShipperBinary.run(["check", "--config", config])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout == """
            \(config): valid, 3 inputs
            PASS tests[0] one of each
            PASS tests[1]
            2 tests: 2 passed, 0 failed

            """)
    }

    /// One way an expectation can be wrong, and the diff `check` prints for it.
    struct Mismatch: CustomTestStringConvertible, Sendable {
        var label: String
        var lines: [String] = [ConfigTestsCommandTests.info, ConfigTestsCommandTests.error]
        var expect: [String]
        var diff: [String]
        var testDescription: String { label }
    }

    static let fromInfo = "expect[0] vs event 1 (from: \(info)):"
    static let fromError = "expect[1] vs event 2 (from: \(error)):"

    static let mismatches: [Mismatch] = [
        Mismatch(label: "a field's value",
                 expect: [infoEvent, #"{ stream: "errors", event: { level: "error", path: "/c", code: 500 } }"#],
                 diff: [fromError, #"  path: expected "/c", got "/b""#]),
        Mismatch(label: "a number where a string was expected",
                 expect: [infoEvent, #"{ stream: "errors", event: { level: "error", path: "/b", code: "500" } }"#],
                 diff: [fromError, #"  code: expected "500", got 500"#]),
        Mismatch(label: "a number written otherwise",
                 expect: [infoEvent, #"{ stream: "errors", event: { level: "error", path: "/b", code: 500.0 } }"#],
                 diff: [fromError, "  code: expected 500.0, got 500"]),
        Mismatch(label: "a missing field",
                 expect: [#"{ stream: "main", event: { level: "info", path: "/a", code: 200, user: "kim" } }"#,
                          errorEvent],
                 diff: [fromInfo, #"  user: missing (expected "kim")"#]),
        Mismatch(label: "an extra field",
                 expect: [#"{ stream: "main", event: { level: "info", code: 200 } }"#, errorEvent],
                 diff: [fromInfo, #"  path: not expected (got "/a")"#]),
        Mismatch(label: "a wrong stream",
                 expect: [infoEvent, #"{ stream: "main", event: { level: "error", path: "/b", code: 500 } }"#],
                 diff: [fromError, "  stream: expected main, got errors"]),
        Mismatch(label: "an extra event",
                 expect: [infoEvent],
                 diff: [#"event 2 (from: \#(error)): not expected, "#
                        + #"got errors {"level":"error","path":"/b","code":500}"#]),
        Mismatch(label: "a missing event at the end",
                 expect: [infoEvent, errorEvent, #"{ stream: "main", event: { level: "debug" } }"#],
                 diff: [#"expect[2]: missing, expected main {"level":"debug"}"#]),
        Mismatch(label: "a missing event in the middle, the events after it still matched",
                 expect: [infoEvent, #"{ stream: "main", event: { level: "debug" } }"#, errorEvent],
                 diff: [#"expect[1]: missing, expected main {"level":"debug"}"#]),
        Mismatch(label: "an extra event in the middle, the events after it still matched",
                 lines: [info, "level=info path=/z code=201", error],
                 expect: [infoEvent, errorEvent],
                 diff: [#"event 2 (from: level=info path=/z code=201): not expected, "#
                        + #"got main {"level":"info","path":"/z","code":201}"#]),
        Mismatch(label: "a drop expected, an event made",
                 expect: [infoEvent, "{ drop: true }"],
                 diff: [fromError, #"  stream: expected (dropped), "#
                        + #"got errors {"level":"error","path":"/b","code":500}"#]),
        Mismatch(label: "an event expected, the line dropped",
                 lines: [info, "level=error path=/health code=500"],
                 expect: [infoEvent, #"{ stream: "errors", event: { level: "error", path: "/health", code: 500 } }"#],
                 diff: ["expect[1] vs event 2 (from: level=error path=/health code=500):",
                        "  stream: expected errors, got (dropped)"]),
        Mismatch(label: "a parse failure where an event was expected",
                 lines: [info, "level=error path=/b code=5xx"],
                 expect: [infoEvent, #"{ stream: "errors", event: { level: "error", path: "/b", code: 500 } }"#],
                 diff: ["expect[1] vs event 2 (from: level=error path=/b code=5xx):",
                        "  stream: expected errors, got unparsed",
                        #"  level: missing (expected "error")"#,
                        #"  path: missing (expected "/b")"#,
                        "  code: missing (expected 500)",
                        #"  message: not expected (got "level=error path=/b code=5xx")"#,
                        #"  parse_error: not expected (got "line does not match the pattern")"#]),
    ]

    @Test("each kind of mismatch prints its diff and makes check exit 1", arguments: mismatches)
    func mismatch(_ wrong: Mismatch) throws {
        let dir = try TempDir()
        let tests = [Self.appTest([Self.info], [Self.infoEvent], name: "fine"),
                     Self.appTest(wrong.lines, wrong.expect, name: "wrong")]
        let config = try Self.config(dir, tests: tests.joined(separator: ",\n"))
        let result = try ShipperBinary.run(["check", "--config", config])
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        let expected = ["\(config): valid, 3 inputs", "PASS tests[0] fine", "FAIL tests[1] wrong"]
            + wrong.diff.map { "  " + $0 } + ["2 tests: 1 passed, 1 failed", ""]
        #expect(result.stdout.components(separatedBy: "\n") == expected)
    }

    @Test("nested values are compared member by member and named by key path")
    func nestedDiff() throws {
        let dir = try TempDir()
        let line = #"{"n":1,"a.b":2,"user":{"id":7,"tags":["x","y"]}}"#
        let test = "{ input: \"api\", lines: ['\(line)'], expect: [{ stream: \"api\", "
            + #"event: { n: 1, "a.b": 3, user: { id: 8, tags: ["x"], name: "kim" } } }] }"#
        let config = try Self.config(dir, tests: test)
        let result = try ShipperBinary.run(["check", "--config", config])
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.components(separatedBy: "\n") == [
            "\(config): valid, 3 inputs",
            "FAIL tests[0]",
            "  expect[0] vs event 1 (from: \(line)):",
            #"    ["a.b"]: expected 3, got 2"#,
            "    user.id: expected 8, got 7",
            #"    user.tags[1]: not expected (got "y")"#,
            #"    user.name: missing (expected "kim")"#,
            "1 test: 0 passed, 1 failed",
            "",
        ])
    }

    @Test("multiline: indented lines join the event before them, and a diff shows the joined text")
    func multiline() throws {
        let dir = try TempDir()
        let lines = #"["level=error boom", "  at one", "  at two", "level=info fine"]"#
        let good = #"{ stream: "trace", event: { level: "error", text: "boom\n  at one\n  at two" } }"#
        let short = #"{ stream: "trace", event: { level: "error", text: "boom\n  at one" } }"#
        let last = #"{ stream: "trace", event: { level: "info", text: "fine" } }"#
        let tests = [
            "{ name: \"grouped\", input: \"trace\", lines: \(lines), expect: [\(good), \(last)] }",
            "{ name: \"cut short\", input: \"trace\", lines: \(lines), expect: [\(short), \(last)] }",
        ]
        let config = try Self.config(dir, tests: tests.joined(separator: ",\n"))
        let result = try ShipperBinary.run(["check", "--config", config])
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.components(separatedBy: "\n") == [
            "\(config): valid, 3 inputs",
            "PASS tests[0] grouped",
            "FAIL tests[1] cut short",
            #"  expect[0] vs event 1 (from: level=error boom\n  at one\n  at two):"#,
            #"    text: expected "boom\n  at one", got "boom\n  at one\n  at two""#,
            "2 tests: 1 passed, 1 failed",
            "",
        ])
    }

    @Test("metadata that varies (host, path, ingest time, event id) is checked for presence only; the rest compared")
    func metadata() throws {
        let dir = try TempDir()
        let extra = #"metadata: { host: true, path: "file", input: "from", offset: true, "#
            + #"ingestTime: "read_at", eventId: true },"#
        let second = Self.info.utf8.count + 1
        let tests = [
            // Not named: host, file, read_at and event_id are not compared at all; named, only looked for.
            Self.appTest([Self.info, Self.error], [
                #"{ stream: "main", event: { level: "info", path: "/a", code: 200, from: "app", offset: 0 } }"#,
                #"{ stream: "errors", event: { level: "error", path: "/b", code: 500, from: "app", "#
                    + "offset: \(second), read_at: \"any\", host: \"any\" } }",
            ], name: "named or not"),
            // The offset is compared like any field.
            Self.appTest([Self.info], [
                #"{ stream: "main", event: { level: "info", path: "/a", code: 200, from: "app", offset: 1 } }"#,
            ], name: "offset"),
        ]
        let config = try Self.config(dir, tests: tests.joined(separator: ",\n"), appExtra: extra)
        let result = try ShipperBinary.run(["check", "--config", config])
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.components(separatedBy: "\n") == [
            "\(config): valid, 3 inputs",
            "PASS tests[0] named or not",
            "FAIL tests[1] offset",
            "  expect[0] vs event 1 (from: \(Self.info)):",
            "    offset: expected 1, got 0",
            "2 tests: 1 passed, 1 failed",
            "",
        ])
    }

    @Test("problems in the tests section are named by key path, and no test runs")
    func keyPathErrors() throws {
        let dir = try TempDir()
        let tests = """
            { input: "nope", lines: ["x"], expect: [{ stream: "a", event: { message: "x" } }] },
            { lines: ["x"], expect: [{ stream: "a", event: "x" }, { drop: true, stream: "s" },
                                     { stram: "a", event: {} }] },
            { input: "app", lines: [], expect: [] },
            { input: "app", lines: [1], colour: 1, expect: {} },
            { input: "app", lines: ["x"], expect: [{ stream: "a", event: { at: "${CONFIG_TESTS_UNSET}" } }] },
            """
        let config = try Self.config(dir, tests: tests)
        let result = try ShipperBinary.run(["check", "--config", config])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty, "\(result.stdout)")
        let problems = result.stderr.components(separatedBy: "\n").filter { $0.hasPrefix("  tests") }
        #expect(problems == [
            "  tests[0].input: no input is named 'nope' (the inputs are app, api, trace)",
            "  tests[1].input: missing: the config has 3 inputs (app, api, trace); name the one to test",
            "  tests[1].expect[0].event: expected an object (the event), found a string",
            "  tests[1].expect[1].stream: a dropped event has no stream: give drop: true alone",
            "  tests[1].expect[2].stram: unknown key (did you mean 'stream'?)",
            "  tests[1].expect[2].stream: missing: the stream the event goes to (or drop: true)",
            "  tests[2].lines: the list is empty: list the lines to map",
            "  tests[2].expect: the list is empty: list the events the lines make ({ drop: true } for a dropped one)",
            "  tests[3].colour: unknown key",
            "  tests[3].lines[0]: expected a string, found a number",
            "  tests[3].expect: expected a list of events, found an object",
            "  tests[4].expect[0].event.at: environment variable CONFIG_TESTS_UNSET is not set "
                + "(write ${CONFIG_TESTS_UNSET:-} for an empty default)",
        ], "\(result.stderr)")
        #expect(result.stderr.contains("12 problems"))
    }

    @Test("every example config passes check; the ones with tests print them passed")
    func exampleConfigs() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../..").standardizedFileURL.path
        let folder = repo + "/config/examples"
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json5") }
        #expect(names.count >= 12)
        for name in names.sorted() {
            let result = try ShipperBinary.run(["check", "--config", folder + "/" + name])
            #expect(result.status == 0, "\(name): \(result.stdout)\n\(result.stderr)")
            if ["real-apache-access.json5", "real-java-stacktrace.json5"].contains(name) {
                #expect(result.stdout.contains("\nPASS tests[0] "), "\(name): \(result.stdout)")
                #expect(result.stdout.hasSuffix("\n1 test: 1 passed, 0 failed\n"), "\(name): \(result.stdout)")
            }
        }
    }

    @Test("a latin-1 input reads a test's characters as Latin-1 bytes; one beyond U+00FF is refused")
    func latin1() throws {
        let dir = try TempDir()
        let path = dir.file("latin1.json5")
        try writeText("""
            {
              inputs: [{ name: "old", paths: ["old.log"], encoding: "latin-1" }],
              tests: [{ lines: ["caf\\u00e9 \\u00ff"], expect: [{ stream: "old", event: { message: "café ÿ" } }] }],
            }
            """, to: path)
        let result = try ShipperBinary.run(["check", "--config", path])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.hasSuffix("\nPASS tests[0]\n1 test: 1 passed, 0 failed\n"), "\(result.stdout)")

        try writeText("""
            { inputs: [{ name: "old", paths: ["old.log"], encoding: "latin-1" }],
              tests: [{ lines: ["x", "\\u0100"], expect: [{ drop: true }] }] }
            """, to: path)
        let refused = try ShipperBinary.run(["check", "--config", path])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains(
            "  tests[0].lines[1]: has a character beyond U+00FF, which the input's latin-1 cannot hold"),
                "\(refused.stderr)")
    }

    @Test("the tests are kept out of the settings a reload compares, and read as written")
    func loadedTests() throws {
        func load(_ tests: String) throws -> ShipperConfig {
            let text = "{ log: { level: \"warn\" }, inputs: [{ name: \"a\", paths: [\"/tmp/none\"] }], "
                + "tests: [\(tests)] }"
            return try ConfigLoader.validate(JSON5Parser.parse(Array(text.utf8)), file: "/tmp/t.json5",
                                             environment: ["WHO": "kim"])
        }
        let one = try load(#"{ lines: ["x"], expect: [{ stream: "a", event: { message: "x" } }] }"#)
        let two = try load(#"{ name: "n", lines: ["${WHO}", "y"], expect: [{ drop: true }, "#
                           + #"{ stream: "s", event: { who: "${WHO}", n: 1.50 } }] }"#)
        #expect(one.settings == two.settings)
        let test = try #require(two.tests.first)
        #expect(test.keyPath == "tests[0]")
        #expect(test.name == "n")
        #expect(test.input == "a")
        #expect(test.lines == ["kim", "y"])
        #expect(test.expect.count == 2)
        #expect(test.expect[0].stream == nil)
        #expect(test.expect[1].stream == "s")
        #expect(test.expect[1].event == .object([("who", .string("kim")), ("n", .number("1.50"))]))
    }
}
