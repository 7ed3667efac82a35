import Foundation
import Testing
import TestSupport

@Suite("atom-shipper replay", .serialized)
struct ReplayTests {
    func config(endpoint: String) -> String {
        """
        {
          atom: { endpoint: "\(endpoint)" },
          checkpoints: { path: "state/cp.sqlite" },
          deadLetter: { path: "state/dead.jsonl" },
          tracker: { batchSize: 40 },
          inputs: [{ name: "orders", paths: ["orders.log"], parser: { type: "json" }, stream: "orders",
                     authKey: "orders-key" }],
        }
        """
    }

    @Test("a dead-letter file is delivered once by replay, signed, then set aside so it is not sent twice")
    func replayDeliversOnce() throws {
        let dir = try TempDir()
        var lines: [String] = []
        for n in 0..<100 { lines.append(#"{"order":\#(n),"note":"quote \" and é","big":12345678901234567890}"#) }
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir.file("orders.log"), atomically: true,
                                                        encoding: .utf8)
        let configPath = dir.file("shipper.json5")

        // The endpoint rejects the stream: every batch is dead-lettered, the checkpoint moves on.
        let rejecting = try AtomReceiver(keys: ["orders": "orders-key"])
        rejecting.plan(Array(repeating: .status(400), count: 10), stream: "orders")
        try config(endpoint: rejecting.endpoint).write(toFile: configPath, atomically: true, encoding: .utf8)
        let first = try ShipperBinary.run(["run", "--once", "--config", configPath])
        rejecting.stop()
        #expect(first.status == 1)
        #expect(rejecting.allEvents.isEmpty)
        let deadLetter = dir.file("state/dead.jsonl")
        #expect(try fileLines(deadLetter).count == 3, "100 events in batches of at most 40")

        // The cause is fixed: replay sends every event once, with the stream's key.
        let accepting = try AtomReceiver(keys: ["orders": "orders-key"])
        defer { accepting.stop() }
        try config(endpoint: accepting.endpoint).write(toFile: configPath, atomically: true, encoding: .utf8)
        let replay = try ShipperBinary.run(["replay", "--config", configPath, deadLetter])
        #expect(replay.status == 0, "stdout: \(replay.stdout) stderr: \(replay.stderr)")
        #expect(accepting.authFailures == 0)
        let delivered = accepting.events(stream: "orders").map(decode)
        #expect(delivered.count == 100)
        #expect(Set(delivered.compactMap { $0["order"] as? Int }) == Set(0..<100))
        #expect(delivered.allSatisfy { $0["note"] as? String == "quote \" and é" })
        let raw = accepting.events(stream: "orders")
        #expect(raw.allSatisfy { $0.contains("12345678901234567890") }, "big integers kept exactly")

        // The file was set aside; replaying the same path again sends nothing.
        #expect(!FileManager.default.fileExists(atPath: deadLetter))
        #expect(replay.stdout.contains("replayed and renamed"))
        let again = try ShipperBinary.run(["replay", "--config", configPath, deadLetter])
        #expect(again.status != 0)
        #expect(again.stdout.contains(deadLetter))
        #expect(accepting.allEvents.count == 100)
    }

    @Test("a replayed file is never renamed over another replay's file of the same second")
    func replayNamesDoNotCollide() throws {
        let dir = try TempDir()
        try (#"{"order":1}"# + "\n").write(toFile: dir.file("orders.log"), atomically: true, encoding: .utf8)
        let configPath = dir.file("shipper.json5")
        let rejecting = try AtomReceiver(keys: ["orders": "orders-key"])
        rejecting.plan([.status(400)], stream: "orders")
        try config(endpoint: rejecting.endpoint).write(toFile: configPath, atomically: true, encoding: .utf8)
        _ = try ShipperBinary.run(["run", "--once", "--config", configPath])
        rejecting.stop()
        let deadLetter = dir.file("state/dead.jsonl")
        let content = try String(contentsOfFile: deadLetter, encoding: .utf8)
        #expect(content.contains(#""events":[{"order":1}]"#))

        // Files an earlier replay left under the names this one would take in the next seconds.
        let now = Int(Date().timeIntervalSince1970)
        for second in now...(now + 10) {
            for kind in ["replayed", "replaying"] {
                try "earlier \(kind) \(second)\n".write(toFile: "\(deadLetter).\(kind)-\(second)",
                                                       atomically: true, encoding: .utf8)
            }
        }
        let accepting = try AtomReceiver(keys: ["orders": "orders-key"])
        defer { accepting.stop() }
        try config(endpoint: accepting.endpoint).write(toFile: configPath, atomically: true, encoding: .utf8)
        let replay = try ShipperBinary.run(["replay", "--config", configPath, deadLetter])
        #expect(replay.status == 0, "stdout: \(replay.stdout) stderr: \(replay.stderr)")
        #expect(accepting.events(stream: "orders") == [#"{"order":1}"#])
        for second in now...(now + 10) {
            for kind in ["replayed", "replaying"] {
                let earlier = try String(contentsOfFile: "\(deadLetter).\(kind)-\(second)", encoding: .utf8)
                #expect(earlier == "earlier \(kind) \(second)\n")
            }
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.file("state"))
        let renamed = names.filter { $0.hasPrefix("dead.jsonl.replayed-") && $0.hasSuffix("-2") }
        #expect(renamed.count == 1, "\(names.sorted())")
        let kept = try renamed.first.map { try String(contentsOfFile: dir.file("state/\($0)"), encoding: .utf8) }
        #expect(kept == content)
    }
}
