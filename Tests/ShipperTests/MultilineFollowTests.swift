import Foundation
import Glibc
import Testing
import TestSupport

/// Multiline grouping in the real binary while it follows a file.
@Suite("Multiline events while following", .serialized)
struct MultilineFollowTests {
    static func config(_ dir: TempDir, endpoint: String, flushTimeoutMs: Int, commitIntervalMs: Int = 1000) throws
        -> String {
        let path = dir.file("shipper.json5")
        try writeText("""
            {
              atom: { endpoint: "\(endpoint)" },
              checkpoints: { path: "state/cp.sqlite", commitIntervalMs: \(commitIntervalMs) },
              tracker: { flushIntervalMs: 100 },
              inputs: [{
                name: "app", paths: ["app.log"], stream: "app",
                multiline: { preset: "java", flushTimeoutMs: \(flushTimeoutMs) },
              }],
            }
            """, to: path)
        return path
    }

    static func messages(_ receiver: AtomReceiver) -> [String] {
        receiver.events(stream: "app").map { decode($0)["message"] as? String ?? "(no message)" }
    }

    static func event(_ tag: String, frames: Int) -> [String] {
        ["2024-05-01 12:00:00,000 ERROR [main] App - \(tag) failed", "java.lang.IllegalStateException: \(tag)"]
            + (0..<frames).map { "\tat com.example.\(tag).step\($0)(App.java:\($0 + 1))" }
    }

    @Test("a pending event goes out once the file is quiet for the flush timeout, with no line after it")
    func flushTimeoutWhileFollowing() throws {
        let dir = try TempDir()
        let receiver = try AtomReceiver()
        defer { receiver.stop() }
        let writer = AppendingWriter(path: dir.file("app.log"))
        let shipper = try ShipperBinary.start(["run", "--config",
                                                try Self.config(dir, endpoint: receiver.endpoint, flushTimeoutMs: 300)])
        let first = Self.event("first", frames: 3)
        for line in first { writer.write(line) }
        #expect(receiver.waitForEvents(count: 1, timeout: 30), "the quiet file's event was held back")
        #expect(Self.messages(receiver) == [first.joined(separator: "\n")])

        let second = Self.event("second", frames: 1)
        for line in second { writer.write(line) }
        #expect(receiver.waitForEvents(count: 2, timeout: 30))
        let result = shipper.terminate()
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(Self.messages(receiver) == [first, second].map { $0.joined(separator: "\n") })
    }

    @Test("kill -9 while an event is half written: after the restart it arrives once, whole")
    func killMidGroup() throws {
        let dir = try TempDir()
        let receiver = try AtomReceiver()
        defer { receiver.stop() }
        let log = dir.file("app.log")
        let writer = AppendingWriter(path: log)
        // The flush timeout is far away: the half-written event stays pending until the kill.
        let config = try Self.config(dir, endpoint: receiver.endpoint, flushTimeoutMs: 600_000, commitIntervalMs: 0)
        let a = Self.event("a", frames: 2)
        let b = Self.event("b", frames: 4)
        let c = Self.event("c", frames: 1)
        for line in a + b.prefix(2) { writer.write(line) }
        let bStart = a.reduce(0) { $0 + $1.utf8.count + 1 }

        let first = try ShipperBinary.start(["run", "--config", config])
        // b's first line completes a; b itself is held, so the checkpoint stops at its first line.
        #expect(receiver.waitForEvents(count: 1, timeout: 30))
        var status = ""
        let committed = eventually(timeout: 30) {
            status = (try? ShipperBinary.run(["status", "--config", config]).stdout) ?? ""
            return status.contains("\(log) offset \(bStart) ")
        }
        #expect(committed, "status: \(status)")
        first.signal(SIGKILL)
        _ = first.finish()

        for line in b.dropFirst(2) + c { writer.write(line) }
        let second = try ShipperBinary.start(["run", "--config", config])
        #expect(receiver.waitForEvents(count: 2, timeout: 30))
        let stopped = second.terminate()
        #expect(stopped.status == 0, "stderr: \(stopped.stderr)")

        // c is still pending at that stop; a --once run releases it at the end.
        let last = try ShipperBinary.run(["run", "--once", "--config", config])
        #expect(last.status == 0, "stderr: \(last.stderr)")
        #expect(multiset(Self.messages(receiver)) == multiset([a, b, c].map { $0.joined(separator: "\n") }))
    }
}
