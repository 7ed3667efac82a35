import Foundation
import Testing
import TestSupport

/// The combined-log regex with the eleven fields of acceptance 3.
let combinedPattern = #"^(?<client>\S+) (?<ident>\S+) (?<user>\S+) \[(?<time>[^\]]+)\] "#
    + #""(?<method>\S+) (?<path>\S+) (?<protocol>[^"]+)" (?<status>\d{3}) (?<bytes>\S+) "#
    + #""(?<referrer>[^"]*)" "(?<agent>[^"]*)"$"#

/// A JSON5 string literal for `text` (JSON escaping is valid JSON5).
func json5(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

@Suite("Shipping the Apache access log over HTTP", .serialized)
struct AccessLogOverHTTPTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/apache_access.log").path

    @Test("every line arrives once, parsed into its fields and routed by status class, with verified HMACs")
    func everyLineOnceWithFields() throws {
        let dir = try TempDir()
        let receiver = try AtomReceiver(keys: ["web_ok": "ok-key-1", "web_errors": "err-key-2"])
        defer { receiver.stop() }
        try FileManager.default.copyItem(atPath: Self.fixture, toPath: dir.file("access.log"))
        let config = dir.file("shipper.json5")
        try """
        {
          atom: { endpoint: "\(receiver.endpoint)" },
          checkpoints: { path: "state/checkpoints.sqlite" },
          deadLetter: { path: "state/dead.jsonl" },
          tracker: { batchSize: 300, batchBytes: 16384, flushIntervalMs: 200 },
          inputs: [{
            name: "web",
            paths: ["access.log"],
            parser: { type: "regex", pattern: \(json5(combinedPattern)) },
            routes: [
              { when: { field: "status", matches: "^[45]" }, stream: "web_errors", authKey: "err-key-2" },
              { stream: "web_ok", authKey: "ok-key-1" },
            ],
          }],
        }
        """.write(toFile: config, atomically: true, encoding: .utf8)

        let result = try ShipperBinary.run(["run", "--once", "--config", config])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(receiver.authFailures == 0)
        // Batches are cut by the pipeline at the byte limit of the request's data string.
        #expect(receiver.requests.allSatisfy { ($0.data?.utf8.count ?? 0) <= 16384 })
        #expect(receiver.requests.contains { ($0.data?.utf8.count ?? 0) > 12000 }, "batches are filled")

        let okEvents = receiver.events(stream: "web_ok").map(decode)
        let errorEvents = receiver.events(stream: "web_errors").map(decode)
        let all = okEvents + errorEvents
        // Counts from ../shared/data/real/README.md, not from the code under test.
        #expect(all.count == 8463)
        let methods = multiset(all.compactMap { $0["method"] as? String })
        #expect(methods == ["GET": 8420, "HEAD": 39, "POST": 4])
        #expect(all.filter { ($0["bytes"] as? String) == "-" }.count == 613)
        func statusClass(_ event: [String: Any]) -> Character? { (event["status"] as? String)?.first }
        #expect(okEvents.allSatisfy { statusClass($0).map { !"45".contains($0) } ?? false })
        #expect(errorEvents.allSatisfy { (($0["status"] as? String) ?? "").first.map { "45".contains($0) } ?? false })

        // Every field against the file's text: rebuilding each line from its fields gives back the
        // file, each line exactly once.
        let rebuilt = all.map { e -> String in
            func f(_ k: String) -> String { e[k] as? String ?? "<missing \(k)>" }
            return "\(f("client")) \(f("ident")) \(f("user")) [\(f("time"))] \"\(f("method")) \(f("path")) "
                + "\(f("protocol"))\" \(f("status")) \(f("bytes")) \"\(f("referrer"))\" \"\(f("agent"))\""
        }
        let expected = try fileLines(Self.fixture)
        #expect(expected.count == 8463)
        #expect(multiset(rebuilt) == multiset(expected))
        #expect(all.allSatisfy { $0.count == 11 })
    }
}
