import Foundation
import Glibc
import Testing
import TestSupport

@Suite("Rotation while the shipper runs", .serialized)
struct RotationTests {
    /// Writes `count` lines at a steady pace through `writer`, recording them.
    func write(_ count: Int, tag: String, to writer: AppendingWriter, into written: inout [String]) {
        for n in 0..<count {
            let line = "\(tag) line \(n) \(String(repeating: "r", count: 40 + n % 30))"
            writer.write(line)
            written.append(line)
            if n % 50 == 0 { usleep(5_000) }
        }
    }

    @Test("logrotate create, then copytruncate, under a steady O_APPEND writer: every line in a file is delivered once")
    func renameThenCopytruncate() throws {
        let dir = try TempDir()
        let receiver = try AtomReceiver()
        defer { receiver.stop() }
        let log = dir.file("app.log")
        let writer = AppendingWriter(path: log)
        var written: [String] = []
        let config = dir.file("shipper.json5")
        try """
        {
          atom: { endpoint: "\(receiver.endpoint)" },
          checkpoints: { path: "state/cp.sqlite", commitIntervalMs: 100 },
          deadLetter: { path: "state/dead.jsonl" },
          tracker: { batchSize: 200, flushIntervalMs: 100 },
          inputs: [{ name: "app", paths: ["app.log*"], rotateIdleMs: 500, rescanIntervalMs: 200, stream: "app" }],
        }
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let createConf = dir.file("create.conf")
        try writeText("\(log) {\n  rotate 5\n  create\n  missingok\n}\n", to: createConf)
        let copyConf = dir.file("copytruncate.conf")
        try writeText("\(log) {\n  rotate 5\n  copytruncate\n  missingok\n}\n", to: copyConf)
        let state = dir.file("logrotate.state")

        let shipper = try ShipperBinary.start(["run", "--config", config])
        write(1500, tag: "before", to: writer, into: &written)
        #expect(eventually { receiver.allEvents.count >= 500 })

        // Rename and create: app.log becomes app.log.1; the writer reopens the new app.log.
        try tool("/usr/sbin/logrotate", ["-f", "-s", state, createConf])
        write(100, tag: "late-to-old", to: writer, into: &written)  // still going to the renamed file
        writer.reopen()
        write(1500, tag: "after-create", to: writer, into: &written)

        // Copytruncate: app.log is copied to app.log.1 (the older ones shift) and truncated in place;
        // the writer keeps its descriptor.
        try tool("/usr/sbin/logrotate", ["-f", "-s", state, copyConf])
        write(1500, tag: "after-copytruncate", to: writer, into: &written)

        // Expected: every line present in the live file or a rotated copy (lines logrotate itself
        // loses between its copy and its truncate are in neither).
        var expected: [String] = []
        let names = ["app.log", "app.log.1", "app.log.2", "app.log.3"]
        for name in names where FileManager.default.fileExists(atPath: dir.file(name)) {
            expected += try fileLines(dir.file(name))
        }
        #expect(Set(expected).count == expected.count, "the files themselves hold repeated lines")
        #expect(eventually(timeout: 60) { receiver.allEvents.count >= expected.count })
        usleep(1_500_000)  // any repeat would arrive now
        let result = shipper.terminate()
        #expect(result.status == 0, "stderr: \(result.stderr)")

        let delivered = receiver.events(stream: "app").map { decode($0)["message"] as? String ?? "" }
        let counts = multiset(delivered)
        let repeated = counts.filter { $0.value > 1 }.map(\.key)
        let missing = Set(expected).subtracting(counts.keys)
        let unexpected = Set(counts.keys).subtracting(expected)
        #expect(repeated.isEmpty, "repeated: \(repeated.prefix(5))")
        #expect(missing.isEmpty, "missing: \(missing.prefix(5))")
        #expect(unexpected.isEmpty, "unexpected: \(unexpected.prefix(5))")
        #expect(delivered.count == expected.count)
        #expect(expected.count >= written.count - 200, "logrotate lost more lines than its copy window allows")
        #expect(result.stderr.contains("file truncated"))
    }
}
