import Foundation
import Glibc
import Testing
import TestSupport

/// Rotated files not yet fully shipped are kept open up to `rotatedMaxBytes` and `rotatedMaxAgeMs`,
/// then released with a warning and a count of the bytes given up: the disk does not fill silently,
/// and the loss is not silent either.
@Suite("Rotated files held while delivery is behind", .serialized)
struct RotatedPolicyTests {
    @Test("a deleted file beyond the configured limit is released; what was read arrives, the rest is counted",
          arguments: ["rotatedMaxBytes: 20000", "rotatedMaxAgeMs: 300"])
    func releasedBeyondLimit(limit: String) throws {
        let receiver = try AtomReceiver()
        defer { receiver.stop() }
        // Slow answers and a small backlog: the shipper reads the file a little at a time.
        receiver.plan(Array(repeating: .delay(seconds: 0.2), count: 30))
        let c = try FileCase(#"paths: ["app.log"], readBufferBytes: 4096, \#(limit)"#,
                             top: "atom: { endpoint: \"\(receiver.endpoint)\" }, "
                                + "metrics: { path: \"metrics.prom\", intervalMs: 100 },",
                             tracker: "batchSize: 50, workers: 1, backlogEvents: 100, flushIntervalMs: 50")
        let lines = taggedLines("held", 5000, width: 59)
        try c.write("app.log", lines: lines)
        let size = lines.count * 60

        let run = try c.start()
        #expect(eventually { receiver.allEvents.count >= 50 })
        try FileManager.default.removeItem(atPath: c.path("app.log"))
        #expect(c.waitForLog(run, "rotated file released before it was read to its end"),
                "stderr: \(run.stderr.suffix(1500))")
        let warning = run.stderr.split(separator: "\n").first { $0.contains("rotated file released") } ?? ""
        let givenUp = Int(warning.split(separator: " ").first { $0.hasPrefix("unreadBytes=") }?
            .dropFirst("unreadBytes=".count) ?? "") ?? -1
        #expect(givenUp > 0 && givenUp < size, "warning: \(warning)")
        #expect(eventually { c.descriptorsInFolder(run) == 0 }, "the deleted file's descriptor is closed")
        // The metrics file counts the same bytes.
        let metric = "atom_shipper_rotated_bytes_given_up_total{"
        #expect(eventually {
            let text = (try? String(contentsOfFile: c.path("metrics.prom"), encoding: .utf8)) ?? ""
            return text.split(separator: "\n").contains { $0.hasPrefix(metric) && $0.hasSuffix(" \(givenUp)") }
        }, "metrics: \((try? String(contentsOfFile: c.path("metrics.prom"), encoding: .utf8)) ?? "none")")

        // What was read before the release is delivered: a prefix of the file, whole lines, once.
        let read = (size - givenUp) / 60
        #expect((size - givenUp) % 60 == 0, "whole lines were read: \(givenUp) bytes given up")
        #expect(eventually(timeout: 60) { receiver.allEvents.count >= read })
        usleep(300_000)
        let result = run.terminate()
        let messages = receiver.events(stream: "case").map { decode($0)["message"] as? String ?? "" }
        let exact = multiset(messages) == multiset(lines.prefix(read))
        #expect(messages.count == read && exact, "\(messages.count) delivered, \(read) read before the release")
        #expect(result.stdout.contains("\(givenUp) bytes of rotated files given up unread"),
                "summary: \(result.stdout)")
    }
}
