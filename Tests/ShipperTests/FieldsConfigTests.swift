import Foundation
import Testing
import TestSupport

@Suite("Config: field operations, comparisons and the parse-error stream")
struct FieldsConfigTests {
    @Test("a run applies the operations before routing, compares numbers, and parks parse failures")
    func runWithOperations() throws {
        let dir = try TempDir()
        let lines = [
            #"10.1.2.3 GET /api/items 503 120 WEB1"#,
            #"10.1.2.4 GET /index.html 200 5120 Web2"#,
            #"10.1.2.5 POST /api/items 201 2000000 web1"#,
            #"garbage that matches nothing"#,
            #"10.1.2.6 GET /health 200 2 web3"#,
        ]
        try writeText(lines.joined(separator: "\n") + "\n", to: dir.file("access.log"))
        // Backslashes doubled, as a JSON5 string needs them.
        let pattern = #"^(?<ip>\\S+) (?<method>\\S+) (?<path>\\S+) (?<status>\\d+) (?<bytes>\\d+) (?<host>\\S+)$"#
        try writeText("""
            {
              output: { directory: "out" },
              checkpoints: { path: "state/cp.sqlite" },
              deadLetter: { path: "state/dead.jsonl" },
              inputs: [{
                name: "web",
                paths: ["access.log"],
                parser: { type: "regex", pattern: "\(pattern)" },
                fields: [
                  { lowercase: "host" },
                  { set: { field: "site", template: "{host}{path}" } },
                  { mask: { field: "ip", pattern: "\\\\.\\\\d+$", replacement: ".0" } },
                  { rename: { from: "bytes", to: "size" } },
                  { remove: ["method"] },
                ],
                routes: [
                  { when: { field: "site", equals: "web3/health" }, drop: true },
                  { when: { field: "status", gte: 500, lt: 600 }, stream: "errors" },
                  { when: { field: "size", gt: 1000000 }, stream: "large" },
                  { when: { field: "host", notEquals: "web1" }, stream: "others" },
                ],
                stream: "main",
                parseErrorStream: "unparsed",
              }],
            }
            """, to: dir.file("shipper.json5"))
        let result = try ShipperBinary.run(["run", "--once", "--config", dir.file("shipper.json5")])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(try fileLines(dir.file("out/errors.jsonl"))
            == [#"{"ip":"10.1.2.0","path":"/api/items","status":"503","size":"120","host":"web1","#
                + #""site":"web1/api/items"}"#])
        #expect(try fileLines(dir.file("out/large.jsonl")).map { decode($0)["size"] as? String } == ["2000000"])
        #expect(try fileLines(dir.file("out/others.jsonl")).map { decode($0)["site"] as? String }
            == ["web2/index.html"])
        #expect(try fileLines(dir.file("out/unparsed.jsonl"))
            == [#"{"message":"garbage that matches nothing","parse_error":"line does not match the pattern"}"#])
        #expect(!FileManager.default.fileExists(atPath: dir.file("out/main.jsonl")))
    }

    @Test("check names every bad operation and condition by its key path")
    func checkReportsProblems() throws {
        let dir = try TempDir()
        try writeText("""
            {
              inputs: [{
                name: "web",
                paths: ["\(dir.path)/*.log"],
                parser: { type: "regex", pattern: "^(?<a>\\\\S+) (?<b>.*)$" },
                addFields: { env: "prod" },
                fields: [
                  { renam: { from: "a", to: "b" } },
                  { rename: { from: "a", to: "b" }, remove: "a" },
                  { mask: { field: "a", keepPrefix: 2, pattern: "x" } },
                  { hash: { field: "a", key: "" } },
                  { rename: { from: "a", to: "env" } },
                ],
                routes: [
                  { when: { field: "a", equals: "x", matches: "y" }, stream: "s" },
                  { when: { field: "a", lt: "many" }, stream: "s" },
                ],
              }],
            }
            """, to: dir.file("bad.json5"))
        let result = try ShipperBinary.run(["check", "--config", dir.file("bad.json5")])
        #expect(result.status == 1)
        let expected = [
            "inputs[0].fields[0].renam: unknown key (did you mean 'rename'?)",
            "inputs[0].fields[1]: one operation per item",
            "inputs[0].fields[2].mask: a mask either replaces a pattern or keeps a prefix and suffix, not both",
            "inputs[0].fields[3].hash.key: the key is empty",
            "inputs[0].routes[0].when: the condition on 'a' has equals and matches",
            "inputs[0].routes[1].when.lt: expected a number, found a string 'many'",
        ]
        for problem in expected {
            #expect(result.stderr.contains(problem), "\(problem)\nnot in:\n\(result.stderr)")
        }

        // The mapping compiles only once the config reads cleanly; then its own errors show.
        try writeText("""
            { inputs: [{ name: "web", paths: ["\(dir.path)/*.log"], parser: { type: "raw" },
                         addFields: { env: "prod" }, fields: [{ rename: { from: "message", to: "env" } }] }] }
            """, to: dir.file("bad2.json5"))
        let second = try ShipperBinary.run(["check", "--config", dir.file("bad2.json5")])
        #expect(second.status == 1)
        #expect(second.stderr.contains(
            "inputs[0].fields[0].rename.to: 'env' is set by addFields, which wins over field operations"
        ), "\(second.stderr)")

        try writeText("""
            { inputs: [{ name: "web", paths: ["\(dir.path)/*.log"],
                         fields: [{ timestamp: { field: "message", format: "iso8601", zone: "Mars/Base" } },
                                  { timestamp: { field: "message", format: "%Y", formats: ["%Y"] } }] }] }
            """, to: dir.file("bad3.json5"))
        let third = try ShipperBinary.run(["check", "--config", dir.file("bad3.json5")])
        #expect(third.status == 1)
        #expect(third.stderr.contains("inputs[0].fields[1].timestamp: give format (one) or formats (a list), not both"),
                "\(third.stderr)")
        try writeText("""
            { inputs: [{ name: "web", paths: ["\(dir.path)/*.log"],
                         fields: [{ timestamp: { field: "message", format: "iso8601", zone: "Mars/Base" } }] }] }
            """, to: dir.file("bad4.json5"))
        let fourth = try ShipperBinary.run(["check", "--config", dir.file("bad4.json5")])
        #expect(fourth.stderr.contains("inputs[0].fields[0].timestamp.zone: unknown time zone 'Mars/Base'"),
                "\(fourth.stderr)")
    }
}
