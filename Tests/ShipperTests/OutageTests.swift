import Foundation
import Glibc
import Testing
import TestSupport

/// The endpoint goes away (connections refused) for a while in the middle of shipping, and
/// comes back on the same port.
@Suite("Endpoint outage", .serialized)
struct OutageTests {
    static let backlogBytes = 4 << 20
    /// What the shipper's heap and stacks hold besides its backlog: read buffers, a request body
    /// per worker, batches being retried, SQLite's cache, thread stacks. Anonymous memory only:
    /// the binary and its libraries mapped in (about 21 MB for the debug build) are file pages
    /// that no input makes grow. Peaks measured 9.3 to 11.3 MiB in all over five runs.
    static let overheadBytes = 10 << 20

    /// Anonymous resident memory of `pid` (`RssAnon` in /proc), in bytes.
    static func residentBytes(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("RssAnon:") }) else { return nil }
        return line.split(separator: " ").compactMap { Int($0) }.first.map { $0 * 1024 }
    }

    @Test("endpoint refusing for seconds: memory under the backlog bound plus overhead, every line once after",
          .timeLimit(.minutes(3)))
    func outage() throws {
        let dir = try TempDir()
        let first = try AtomReceiver()
        let port = first.port
        // About 60 MB of lines, far more than the backlog holds.
        let lineCount = 500_000
        let line: (Int) -> String = { "outage line \($0) " + String(repeating: "o", count: 80 + $0 % 50) }
        do {
            var text = ""
            text.reserveCapacity(150 * lineCount / 2)
            for n in 0..<lineCount / 2 { text += line(n) + "\n" }
            try writeText(text, to: dir.file("app.log"))
        }
        let config = dir.file("shipper.json5")
        try writeText("""
        {
          atom: { endpoint: "\(first.endpoint)", connectTimeoutMs: 1000 },
          checkpoints: { path: "state/cp.sqlite" },
          deadLetter: { path: "state/dead.jsonl" },
          tracker: { backlogBytes: \(Self.backlogBytes), retry: { backoffBaseMs: 50, backoffMaxMs: 500 } },
          inputs: [{ name: "app", paths: ["app.log*"], stream: "app" }],
        }
        """, to: config)

        let shipper = try ShipperBinary.start(["run", "--config", config])
        let pid = shipper.process.processIdentifier
        #expect(first.waitForEvents(count: 20_000, timeout: 60))
        first.stop()
        let before = first.events(stream: "app")

        // While it refuses: rotate, and write the second half to the new file.
        var peak = 0
        var samples = 0
        func sample() {
            if let rss = Self.residentBytes(pid) {
                peak = max(peak, rss)
                samples += 1
            }
        }
        try FileManager.default.moveItem(atPath: dir.file("app.log"), toPath: dir.file("app.log.1"))
        do {
            var text = ""
            for n in lineCount / 2..<lineCount { text += line(n) + "\n" }
            try writeText(text, to: dir.file("app.log"))
        }
        let outageEnd = Date().addingTimeInterval(8)
        while Date() < outageEnd {
            sample()
            usleep(50_000)
        }
        #expect(shipper.process.isRunning)
        #expect(shipper.stderr.contains("will retry"), "the outage was not noticed")

        let second = try AtomReceiver(port: port)
        defer { second.stop() }
        let arrived = eventually(timeout: 120) {
            sample()
            return before.count + second.allEvents.count >= lineCount
        }
        #expect(arrived, "\(before.count) + \(second.allEvents.count) events of \(lineCount)")
        usleep(300_000)  // any repeat would arrive meanwhile
        let result = shipper.terminate()
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")

        if ProcessInfo.processInfo.environment["OUTAGE_TEST_VERBOSE"] != nil {
            let text = "outage: peak anonymous RSS \(peak / 1024) KiB over \(samples) samples\n"
            FileHandle.standardError.write(Data(text.utf8))
        }
        #expect(samples > 50)
        #expect(peak < Self.backlogBytes + Self.overheadBytes,
                "peak anonymous resident memory \(peak / 1024) KiB over \(samples) samples")
        // Before the outage the first receiver took some lines; after it, the rest came once.
        let received = (before + second.events(stream: "app")).map { decode($0)["message"] as? String ?? "" }
        let numbers = received.compactMap { text -> Int? in
            let parts = text.split(separator: " ")
            return parts.count >= 3 ? Int(parts[2]) : nil
        }
        #expect(Set(numbers).count == numbers.count, "\(numbers.count - Set(numbers).count) repeats")
        #expect(Set(numbers) == Set(0..<lineCount), "lost \(lineCount - Set(numbers).count) lines")
        #expect(Set(received) == Set((0..<lineCount).map(line)))
    }
}
