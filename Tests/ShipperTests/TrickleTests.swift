import Foundation
import Glibc
import Testing
import TestSupport

/// A writer trickling lines to a slow endpoint: each line is read on its own, so flushing a batch
/// every time the input catches up would make one request per line, which two workers cannot
/// carry. The batches must grow instead, and memory stay flat.
@Suite("Trickle to a slow endpoint", .serialized)
struct TrickleTests {
    @Test("lines trickling to a slow endpoint go in growing batches, not one request per line")
    func trickleCoalesces() throws {
        let dir = try TempDir()
        let receiver = try AtomReceiver()
        defer { receiver.stop() }
        // 100 ms an answer: two workers carry 20 requests a second at most.
        receiver.plan(Array(repeating: .delay(seconds: 0.1), count: 10_000))
        let config = dir.file("shipper.json5")
        try writeText("""
        {
          atom: { endpoint: "\(receiver.endpoint)" },
          checkpoints: { path: "state/cp.sqlite" },
          deadLetter: { path: "state/dead.jsonl" },
          tracker: { workers: 2, flushIntervalMs: 2000 },
          inputs: [{ name: "app", paths: ["app.log"], stream: "app" }],
        }
        """, to: config)
        let writer = AppendingWriter(path: dir.file("app.log"))
        let shipper = try ShipperBinary.start(["run", "--config", config])
        #expect(eventually { shipper.stderr.contains("following inputs") })
        // 200 lines a second for 6 s, each written on its own.
        var written: [String] = []
        for n in 0..<1200 {
            let line = "trickle line \(n)"
            writer.write(line)
            written.append(line)
            usleep(5_000)
        }
        #expect(receiver.waitForEvents(count: written.count, timeout: 60),
                "\(receiver.allEvents.count) of \(written.count) after a minute")
        let requests = receiver.requests.count
        let result = shipper.terminate()
        #expect(result.status == 0, "\(result.stderr)")
        let messages = receiver.events(stream: "app").map { decode($0)["message"] as? String ?? "" }
        #expect(multiset(messages) == multiset(written))
        // One request per line would be 1200; at 20 a second the 6 s allow about 120.
        #expect(requests < 400, "\(requests) requests for \(written.count) lines")
    }
}
