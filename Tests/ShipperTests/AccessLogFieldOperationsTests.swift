import Foundation
import Testing
import TestSupport

@Suite("Field operations on the Apache access log")
struct AccessLogFieldOperationsTests {
    @Test("every line gets its time in UTC, a keyed hash of its client and a masked referrer, as Python computes them")
    func timestampHashAndMask() throws {
        let dir = try TempDir()
        try FileManager.default.copyItem(atPath: AccessLogOverHTTPTests.fixture, toPath: dir.file("access.log"))
        try writeText("""
            {
              output: { directory: "out" },
              checkpoints: { path: "state/cp.sqlite" },
              deadLetter: { path: "state/dead.jsonl" },
              inputs: [{
                name: "web",
                paths: ["access.log"],
                parser: { type: "regex", pattern: \(json5(combinedPattern)) },
                fields: [
                  { timestamp: { field: "time", format: "%d/%b/%Y:%H:%M:%S %z", keepOriginal: false,
                                 target: "@timestamp" } },
                  { copy: { from: "client", to: "client_hash" } },
                  { hash: { field: "client_hash", key: "${TEST_IP_KEY}", length: 16 } },
                  { mask: { field: "referrer", pattern: "\\\\?.*$", replacement: "?…" } },
                  { remove: ["ident", "user"] },
                ],
                routes: [{ when: { field: "timestamp_error", exists: true }, stream: "bad_times" }],
                stream: "web",
              }],
            }
            """, to: dir.file("shipper.json5"))
        let result = try ShipperBinary.run(["run", "--once", "--config", dir.file("shipper.json5")],
                                           environment: ["TEST_IP_KEY": "secret-ip-key"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("out/bad_times.jsonl")))

        let expected = try python("""
            import re, datetime, hmac, hashlib
            pattern = re.compile(r'^(\\S+) \\S+ \\S+ \\[([^\\]]+)\\] "[^"]*" \\d{3} \\S+ "([^"]*)"')
            utc = datetime.timezone.utc
            for line in open('\(dir.file("access.log"))', encoding='utf-8'):
                client, time, referrer = pattern.match(line).groups()
                t = datetime.datetime.strptime(time, '%d/%b/%Y:%H:%M:%S %z').astimezone(utc)
                digest = hmac.new(b'secret-ip-key', client.encode(), hashlib.sha256).hexdigest()[:16]
                print(t.strftime('%Y-%m-%dT%H:%M:%S.000Z'), digest, re.sub(r'\\?.*$', '?…', referrer))
            """)
        #expect(expected.count == 8463)
        let events = try fileLines(dir.file("out/web.jsonl")).map(decode)
        #expect(events.count == 8463)
        let got = events.map { event in
            [event["@timestamp"], event["client_hash"], event["referrer"]].map { $0 as? String ?? "?" }
                .joined(separator: " ")
        }
        // Batches from two workers may land out of order: compare as multisets.
        #expect(multiset(got) == multiset(expected))
        #expect(events.allSatisfy { $0["time"] == nil && $0["ident"] == nil && $0["client"] != nil })
    }
}
