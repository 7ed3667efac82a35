import Foundation
import Testing
import TestSupport

@Suite("atom-shipper check")
struct CheckCommandTests {
    @Test("an unknown key, a bad regex and an endpoint that is not a URL are each named by key path")
    func reportsEveryProblem() throws {
        let dir = try TempDir()
        let config = dir.file("bad.json5")
        try """
        {
          atom: { endpoint: "not a url" },
          inputs: [{
            name: "web",
            paths: ["\(dir.path)/*.log"],
            parser: { type: "regex", pattern: "^(?<status>\\\\d{3}" },
            colour: "blue",
          }],
        }
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let result = try ShipperBinary.run(["check", "--config", config])
        #expect(result.status != 0)
        let lines = result.stderr.components(separatedBy: "\n")
        #expect(lines.contains { $0.contains("atom.endpoint") && $0.contains("not a url") })
        #expect(lines.contains { $0.contains("inputs[0].colour") && $0.contains("unknown key") })
        #expect(lines.contains { $0.contains("inputs[0].parser.pattern") })
        #expect(result.stderr.contains("3 problems"))
    }

    @Test("a glob that matches nothing yet is a warning, not an error")
    func emptyGlobWarns() throws {
        let dir = try TempDir()
        let config = dir.file("ok.json5")
        try "{ inputs: [{ name: \"later\", paths: [\"\(dir.path)/nothing-yet/*.log\"] }] }"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let result = try ShipperBinary.run(["check", "--config", config])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("warning"))
        #expect(result.stderr.contains("inputs[0].paths[0]"))
    }

    @Test("a metadata field named like one the parser sets is a warning naming both")
    func metadataClashWarns() throws {
        let dir = try TempDir()
        let config = dir.file("clash.json5")
        try writeText("""
            { inputs: [{ name: "web", paths: ["\(dir.path)/*.log"],
                         parser: { type: "regex", pattern: "^(?<path>\\\\S+) (?<host>\\\\S+)$" },
                         metadata: { path: true, offset: true } }] }
            """, to: config)
        let result = try ShipperBinary.run(["check", "--config", config])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let warnings = result.stderr.split(separator: "\n").filter { $0.contains("warning") }
        #expect(warnings.contains { $0.contains("inputs[0].metadata.path") && $0.contains("\"path\"") },
                "stderr: \(result.stderr)")
        #expect(!warnings.contains { $0.contains("metadata.offset") }, "stderr: \(result.stderr)")
    }

    @Test("an empty dead-letter or checkpoint path is an error naming the key")
    func emptyPaths() throws {
        let dir = try TempDir()
        let config = dir.file("empty.json5")
        let text = #"{ deadLetter: { path: "" }, checkpoints: { path: "" }, inputs: [{ name: "a", paths: ["x"] }] }"#
        try writeText(text, to: config)
        let result = try ShipperBinary.run(["check", "--config", config])
        #expect(result.status != 0)
        #expect(result.stderr.contains("deadLetter.path") && result.stderr.contains("checkpoints.path"),
                "stderr: \(result.stderr)")
    }

    @Test("a syntax error names the line and column")
    func syntaxErrorPosition() throws {
        let dir = try TempDir()
        let config = dir.file("broken.json5")
        try writeText("{\n  inputs: [\n    { name: \"x\" paths: [] }\n  ]\n}\n", to: config)
        let result = try ShipperBinary.run(["check", "--config", config])
        #expect(result.status != 0)
        #expect(result.stderr.contains("line 3"))
    }

    @Test("an unset environment variable is named with the key that uses it")
    func unsetVariable() throws {
        let dir = try TempDir()
        let config = dir.file("env.json5")
        try "{ atom: { authKey: \"${ATOM_TEST_UNSET_KEY}\" }, inputs: [{ name: \"x\", paths: [\"/tmp/none\"] }] }"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let result = try ShipperBinary.run(["check", "--config", config])
        #expect(result.status != 0)
        #expect(result.stderr.contains("atom.authKey"))
        #expect(result.stderr.contains("ATOM_TEST_UNSET_KEY"))
    }

    @Test("a regex written with single backslashes is refused with the fix, not silently changed")
    func singleBackslashInRegex() throws {
        let dir = try TempDir()
        let config = dir.file("escape.json5")
        try #"{ inputs: [{ name: "x", paths: ["/tmp/none"], parser: { type: "regex", pattern: "^(?<ip>\S+)" } }] }"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        let result = try ShipperBinary.run(["check", "--config", config])
        #expect(result.status != 0)
        #expect(result.stderr.contains(#"'\S' is not an escape"#))
        #expect(result.stderr.contains(#"'\S'"#))
        #expect(result.stderr.contains("line 1"))
    }
}
