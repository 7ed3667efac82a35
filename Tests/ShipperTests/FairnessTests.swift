import Foundation
import Glibc
import Testing
import TestSupport

/// A large backfill must not starve a live file, and an input can cap how fast it reads.
@Suite("Fairness and the read-rate cap", .serialized)
struct FairnessTests {
    @Test("a live file's new lines arrive while a large archive is still being backfilled")
    func liveFileFlowsDuringBackfill() throws {
        let receiver = try AtomReceiver()
        defer { receiver.stop() }
        // Slow answers and a small backlog keep the backfill going for seconds.
        receiver.plan(Array(repeating: .delay(seconds: 0.02), count: 2000))
        let c = try FileCase(#"paths: ["archive/*.gz", "live.log"], readBufferBytes: 16384"#,
                             top: "atom: { endpoint: \"\(receiver.endpoint)\" },",
                             tracker: "batchSize: 100, workers: 1, backlogEvents: 300, flushIntervalMs: 50")
        let archived = taggedLines("archived", 30_000, width: 60)
        try c.write("archive/big.log", lines: archived)
        try tool("/bin/gzip", ["-1", c.path("archive/big.log")])
        try c.write("live.log", "")
        func count(_ prefix: String) -> Int {
            receiver.events(stream: "case").filter { (decode($0)["message"] as? String ?? "").hasPrefix(prefix) }.count
        }

        let run = try c.start()
        #expect(eventually { count("archived") >= 1000 }, "stderr: \(run.stderr.suffix(2000))")
        let live = taggedLines("live", 10)
        c.append("live.log", lines: live)
        #expect(eventually(timeout: 60) { count("live") == live.count })
        let archivedWhenLiveArrived = count("archived")
        #expect(archivedWhenLiveArrived < archived.count - 5000,
                "the live lines waited for the backfill: \(archivedWhenLiveArrived) archived lines were ahead")

        #expect(eventually(timeout: 120) { receiver.allEvents.count >= archived.count + live.count })
        _ = run.terminate()
        let messages = receiver.events(stream: "case").map { decode($0)["message"] as? String ?? "" }
        #expect(messages.count == archived.count + live.count)
        let exact = multiset(messages) == multiset(archived + live)
        #expect(exact, "repeated or missing lines")
    }

    @Test("maxReadBytesPerSecond caps the input's read rate; every line still arrives once")
    func readRateCap() throws {
        let rate = 20_000
        let c = try FileCase(#"paths: ["app.log"], maxReadBytesPerSecond: \#(rate)"#)
        let lines = taggedLines("capped", 1000, width: 59)  // 60 bytes a line: 60,000 bytes
        try c.write("app.log", lines: lines)
        let started = Date()
        let run = try c.start()
        // However slow the machine, the shipper can never be ahead of the cap: one second's worth
        // of bytes (the bucket) plus what accrued since the start.
        var samples = 0
        var worst = 0.0
        while c.messages.count < lines.count && Date().timeIntervalSince(started) < 60 {
            let delivered = Double(c.messages.count * 60)
            let allowed = Double(rate) * (Date().timeIntervalSince(started) + 1) + 64 * 1024 / 10
            worst = max(worst, delivered / allowed)
            samples += 1
            usleep(50_000)
        }
        _ = run.terminate()
        #expect(samples > 10, "the cap should stretch the read over about three seconds")
        #expect(worst <= 1.0, "delivered up to \(worst) times what the cap allows")
        c.expectDelivered(lines)
    }
}
