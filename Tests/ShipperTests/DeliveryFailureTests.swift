import Foundation
import Testing
import TestSupport

@Suite("Endpoint failures", .serialized)
struct DeliveryFailureTests {
    @Test("""
        500s are retried until delivered; a 400 stream is dead-lettered per batch while others deliver \
        and checkpoints move on
        """)
    func retriesAndDeadLetters() throws {
        let dir = try TempDir()
        let receiver = try AtomReceiver()
        defer { receiver.stop() }
        receiver.plan([.status(500), .status(503), .status(500)], stream: "good")
        receiver.plan(Array(repeating: .status(400), count: 50), stream: "bad")
        var lines: [String] = []
        for n in 0..<1000 { lines.append(n % 4 == 0 ? "kind=bad n=\(n)" : "kind=good n=\(n)") }
        try writeText(lines.joined(separator: "\n") + "\n", to: dir.file("mixed.log"))
        let config = dir.file("shipper.json5")
        try """
        {
          atom: { endpoint: "\(receiver.endpoint)" },
          checkpoints: { path: "state/cp.sqlite" },
          deadLetter: { path: "state/dead.jsonl" },
          tracker: { batchSize: 100, retry: { backoffBaseMs: 5, backoffMaxMs: 50 } },
          inputs: [{
            name: "mixed", paths: ["mixed.log"],
            parser: { type: "regex", pattern: "^kind=(?<kind>\\\\w+) n=(?<n>\\\\d+)$" },
            routes: [{ when: { field: "kind", equals: "bad" }, stream: "bad" }],
            stream: "good",
          }],
        }
        """.write(toFile: config, atomically: true, encoding: .utf8)

        let result = try ShipperBinary.run(["run", "--once", "--config", config])
        #expect(result.status == 1, "dead-lettered batches make --once fail; stderr: \(result.stderr)")
        let good = receiver.events(stream: "good").map { decode($0)["n"] as? String ?? "" }
        #expect(good.count == 750)
        #expect(Set(good).count == 750)
        #expect(receiver.events(stream: "bad").isEmpty)
        let goodRequests = receiver.requests.filter { $0.table == "good" }
        let failed = goodRequests.filter { $0.status == 500 || $0.status == 503 }
        #expect(failed.count == 3, "the planned failures were seen")

        // 250 bad events in batches of at most 100: three batches, each dead-lettered and reported once.
        let badBatches = receiver.requests.filter { $0.table == "bad" }.count
        #expect(badBatches == 3)
        let rejections = result.stderr.components(separatedBy: "\n").filter { $0.contains("batch dead-lettered") }
        #expect(rejections.count == badBatches)
        #expect(rejections.allSatisfy { $0.contains("stream=bad") && $0.contains("status=400")
                                          && $0.contains("dead.jsonl") })
        // The shipper's error callback fired once per rejected batch (its count is in the summary).
        #expect(result.stdout.contains("stream bad: 0 delivered, 250 dead-lettered in 3 batches (3 batches rejected)"),
                "stdout: \(result.stdout)")
        let deadLetters = try fileLines(dir.file("state/dead.jsonl")).map(decode)
        #expect(deadLetters.count == badBatches)
        #expect(deadLetters.allSatisfy { $0["stream"] as? String == "bad" && $0["status"] as? Int == 400 })
        let deadEvents = deadLetters.flatMap { ($0["events"] as? [[String: Any]]) ?? [] }
        #expect(deadEvents.count == 250)
        #expect(deadEvents.allSatisfy { $0["kind"] as? String == "bad" })

        // The checkpoint moved past the dead-lettered lines: a second run sends nothing.
        let requestsBefore = receiver.requests.count
        let again = try ShipperBinary.run(["run", "--once", "--config", config])
        #expect(again.status == 0, "stderr: \(again.stderr)")
        #expect(receiver.requests.count == requestsBefore)
    }
}
