import Foundation
import Glibc
import Testing
import TestSupport

@Suite("Graceful restart", .serialized)
struct RestartTests {
    @Test("ship part of a file, SIGTERM, append, start again: every line exactly once")
    func gracefulRestartShipsEveryLineOnce() throws {
        let dir = try TempDir()
        let receiver = try AtomReceiver()
        defer { receiver.stop() }
        // Slow answers keep most of the file unsent when the first run is stopped.
        receiver.plan(Array(repeating: .delay(seconds: 0.05), count: 400))
        let log = dir.file("app.log")
        let writer = AppendingWriter(path: log)
        var written: [String] = []
        for n in 0..<20_000 {
            let line = "first run line \(n) payload=\(String(repeating: "x", count: n % 50))"
            writer.write(line)
            written.append(line)
        }
        let config = dir.file("shipper.json5")
        try """
        {
          atom: { endpoint: "\(receiver.endpoint)" },
          checkpoints: { path: "state/cp.sqlite", commitIntervalMs: 200 },
          deadLetter: { path: "state/dead.jsonl" },
          // A small backlog makes reading wait for delivery, so most of the file is still unread
          // when the first run is stopped.
          tracker: { batchSize: 100, flushIntervalMs: 100, workers: 2, backlogEvents: 500 },
          inputs: [{ name: "app", paths: ["app.log"], stream: "app" }],
        }
        """.write(toFile: config, atomically: true, encoding: .utf8)

        let first = try ShipperBinary.start(["run", "--config", config])
        #expect(eventually { receiver.allEvents.count >= 1000 })
        let stopped = first.terminate()
        #expect(stopped.status == 0, "stderr: \(stopped.stderr)")
        let afterFirst = receiver.allEvents.count
        #expect(afterFirst < written.count, "the first run should have been stopped part-way")

        for n in 0..<500 {
            let line = "second run line \(n)"
            writer.write(line)
            written.append(line)
        }
        let second = try ShipperBinary.start(["run", "--config", config])
        #expect(eventually(timeout: 60) { receiver.allEvents.count >= written.count })
        usleep(300_000)  // let any repeat arrive before counting
        let result = second.terminate()
        #expect(result.status == 0, "stderr: \(result.stderr)")

        let messages = receiver.events(stream: "app").map { decode($0)["message"] as? String ?? "" }
        #expect(messages.count == written.count)
        #expect(multiset(messages) == multiset(written))
        #expect(second.stderr.contains("checkpoint restored"))
    }

    @Test("lines a writer appends after the file is deleted are still shipped")
    func writesAfterDeleteAreShipped() throws {
        let dir = try TempDir()
        let receiver = try AtomReceiver()
        defer { receiver.stop() }
        let log = dir.file("app.log")
        let writer = AppendingWriter(path: log)
        var written: [String] = []
        for n in 0..<50 {
            written.append("before delete \(n) \(String(repeating: "d", count: 30))")
            writer.write(written[written.count - 1])
        }
        let config = dir.file("shipper.json5")
        try """
        {
          atom: { endpoint: "\(receiver.endpoint)" },
          checkpoints: { path: "state/cp.sqlite" },
          tracker: { flushIntervalMs: 100 },
          inputs: [{ name: "app", paths: ["app.log*"], rotateIdleMs: 1500, stream: "app" }],
        }
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let shipper = try ShipperBinary.start(["run", "--config", config])
        #expect(eventually { receiver.allEvents.count >= 50 })
        try FileManager.default.removeItem(atPath: log)
        for n in 0..<20 {
            written.append("after delete \(n)")
            writer.write(written[written.count - 1])
        }
        #expect(eventually { receiver.allEvents.count >= written.count })
        let result = shipper.terminate()
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let messages = receiver.events(stream: "app").map { decode($0)["message"] as? String ?? "" }
        #expect(multiset(messages) == multiset(written))
    }
}
