import Foundation
import Glibc
import Testing
import TestSupport

/// SIGTERM and SIGINT stop reading, deliver what is in flight within `shutdownTimeoutMs`, commit
/// and exit 0; a second signal exits at once after committing what was acknowledged.
@Suite("Stop signals", .serialized)
struct SignalTests {
    static func lines(_ range: Range<Int>) -> [String] {
        range.map { "signal line \($0) " + String(repeating: "g", count: $0 % 30) }
    }

    static func config(_ dir: TempDir, endpoint: String, shutdownMs: Int, workers: Int = 2) throws -> String {
        let path = dir.file("shipper.json5")
        try writeText("""
        {
          atom: { endpoint: "\(endpoint)", requestTimeoutMs: 120000 },
          checkpoints: { path: "state/cp.sqlite", commitIntervalMs: 100 },
          deadLetter: { path: "state/dead.jsonl" },
          shutdownTimeoutMs: \(shutdownMs),
          tracker: { batchSize: 50, flushIntervalMs: 100, workers: \(workers), backlogEvents: 400,
                     retry: { backoffBaseMs: 50, backoffMaxMs: 200 } },
          inputs: [{ name: "app", paths: ["app.log"], stream: "app", readBufferBytes: 4096 }],
        }
        """, to: path)
        return path
    }

    static func messages(_ receiver: AtomReceiver) -> [String] {
        receiver.events(stream: "app").map { decode($0)["message"] as? String ?? "" }
    }

    /// The settled offset `status` shows for app.log.
    static func committedOffset(config: String) throws -> Int? {
        let status = try ShipperBinary.run(["status", "--config", config])
        guard let line = status.stdout.split(separator: "\n").first(where: { $0.contains("app.log offset ") }),
              let range = line.range(of: "offset ") else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }

    @Test("SIGTERM or SIGINT: in-flight batches delivered, offsets committed, exit 0; the rest once on restart",
          arguments: [SIGTERM, SIGINT])
    func gracefulStop(signal: Int32) throws {
        let dir = try TempDir()
        let receiver = try AtomReceiver()
        defer { receiver.stop() }
        // Slow answers: when the signal comes, requests are in flight and most lines are unread.
        receiver.plan(Array(repeating: .delay(seconds: 0.4), count: 20))
        let written = Self.lines(0..<3000)
        let writer = AppendingWriter(path: dir.file("app.log"))
        for line in written { writer.write(line) }
        let config = try Self.config(dir, endpoint: receiver.endpoint, shutdownMs: 60000)

        let shipper = try ShipperBinary.start(["run", "--config", config])
        #expect(receiver.waitForRequests(count: 1, timeout: 30))
        let requestsBefore = receiver.requests.count
        shipper.signal(signal)
        let result = shipper.finish(timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("stopping: no more reading"), "\(result.stderr)")
        // The requests that were in flight at the signal were answered and not abandoned.
        #expect(receiver.requests.count > requestsBefore)
        #expect(!result.stderr.contains("not delivered"), "\(result.stderr)")
        let first = Self.messages(receiver)
        #expect(first.count < written.count, "the whole file went before the signal")
        #expect(first == Array(written.prefix(first.count)) || Set(first).isSubset(of: written))

        // Everything delivered is below the committed offset: the restart sends only the rest.
        let offset = try #require(try Self.committedOffset(config: config))
        let deliveredBytes = first.reduce(0) { $0 + $1.utf8.count + 1 }
        #expect(offset == deliveredBytes, "committed \(offset), delivered \(deliveredBytes) bytes")
        let restart = try ShipperBinary.run(["run", "--config", config, "--once"])
        #expect(restart.status == 0, "\(restart.stderr)")
        #expect(multiset(Self.messages(receiver)) == multiset(written))
    }

    @Test("the drain waits no longer than shutdownTimeoutMs; undelivered lines are read again")
    func drainDeadline() throws {
        let dir = try TempDir()
        let receiver = try AtomReceiver()
        defer { receiver.stop() }
        receiver.plan(Array(repeating: .stall(seconds: 30), count: 100))
        let written = Self.lines(0..<500)
        let writer = AppendingWriter(path: dir.file("app.log"))
        for line in written { writer.write(line) }
        let config = try Self.config(dir, endpoint: receiver.endpoint, shutdownMs: 1000)
        let shipper = try ShipperBinary.start(["run", "--config", config])
        #expect(receiver.waitForRequests(count: 1, timeout: 30))
        shipper.signal(SIGTERM)
        // The stalled requests would hold it for 30 s and more; the deadline is 1 s.
        let result = shipper.finish(timeout: 20)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("stopped with events not delivered"), "\(result.stderr)")
        #expect(try Self.committedOffset(config: config) ?? 0 == 0)

        let second = try AtomReceiver()
        defer { second.stop() }
        let retry = try Self.config(dir, endpoint: second.endpoint, shutdownMs: 1000)
        let restart = try ShipperBinary.run(["run", "--config", retry, "--once"])
        #expect(restart.status == 0, "\(restart.stderr)")
        #expect(multiset(Self.messages(second)) == multiset(written))
    }

    @Test("a second signal during the drain exits at once, committing what was acknowledged")
    func secondSignal() throws {
        let dir = try TempDir()
        let receiver = try AtomReceiver()
        defer { receiver.stop() }
        // Three batches are answered; every request after them hangs. One worker sends the batches
        // in file order.
        receiver.plan([.status(200), .status(200), .status(200)] + Array(repeating: .stall(seconds: 60), count: 200))
        let written = Self.lines(0..<2000)
        let writer = AppendingWriter(path: dir.file("app.log"))
        for line in written { writer.write(line) }
        let config = try Self.config(dir, endpoint: receiver.endpoint, shutdownMs: 300_000, workers: 1)
        let shipper = try ShipperBinary.start(["run", "--config", config])
        #expect(receiver.waitForEvents(count: 150, timeout: 30))
        #expect(receiver.waitForRequests(count: 4, timeout: 30))
        shipper.signal(SIGTERM)
        #expect(eventually { shipper.stderr.contains("stopping: no more reading") })
        usleep(200_000)
        shipper.signal(SIGTERM)
        let result = shipper.finish(timeout: 30)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("second signal"), "\(result.stderr)")

        // The three answered batches, the first 150 lines, are delivered; the offset committed
        // covers the chunks (4 KiB reads) wholly inside them.
        let first = Self.messages(receiver)
        #expect(first == Array(written.prefix(150)), "\(first.count) delivered")
        let offset = try #require(try Self.committedOffset(config: config))
        let deliveredBytes = written.prefix(150).reduce(0) { $0 + $1.utf8.count + 1 }
        #expect(offset > 0 && offset <= deliveredBytes, "committed \(offset) of \(deliveredBytes) delivered bytes")

        let second = try AtomReceiver()
        defer { second.stop() }
        let retry = try Self.config(dir, endpoint: second.endpoint, shutdownMs: 5000)
        let restart = try ShipperBinary.run(["run", "--config", retry, "--once"])
        #expect(restart.status == 0, "\(restart.stderr)")
        let again = Self.messages(second)
        // Nothing below the committed offset comes again; nothing is lost.
        var end = 0
        let belowOffset = Set(written.prefix { line in
            end += line.utf8.count + 1
            return end <= offset
        })
        #expect(!belowOffset.isEmpty)
        #expect(Set(again).isDisjoint(with: belowOffset))
        #expect(Set(first + again) == Set(written))
    }
}
