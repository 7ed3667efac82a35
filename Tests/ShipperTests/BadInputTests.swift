import Foundation
import Glibc
import Testing
import TestSupport

/// Hostile input in one file never stops the others: binary garbage, a 1 GiB line, a file deleted
/// mid-read, a file the shipper may not read, a directory where a file was expected.
@Suite("Bad input", .serialized)
struct BadInputTests {
    static func lines(_ tag: String, _ count: Int) -> [String] {
        (0..<count).map { "\(tag) line \($0) " + String(repeating: "g", count: $0 % 40) }
    }

    static func write(_ lines: [String], to path: String) {
        let writer = AppendingWriter(path: path)
        for line in lines { writer.write(line) }
    }

    static func delivered(_ dir: TempDir, _ stream: String) -> [String] {
        dir.lines(of: "out/\(stream).jsonl").map { decode($0)["message"] as? String ?? "" }
    }

    static func metric(_ path: String, _ prefix: String) -> Double? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix(prefix + " ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test("binary files and a directory among the files: the good file arrives whole, the shipper goes on")
    func binaryAndDirectory() throws {
        let dir = try TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("logs/nested.log"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.file("dir.log"), withIntermediateDirectories: true)
        var rng = SeededGenerator(seed: 42)
        let garbage = (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        try Data(garbage).write(to: URL(fileURLWithPath: dir.file("logs/core.bin.log")))
        let good = Self.lines("good", 2000)
        Self.write(good, to: dir.file("logs/good.log"))
        let config = dir.file("shipper.json5")
        try writeText("""
        {
          output: { directory: "out" },
          checkpoints: { path: "state/cp.sqlite" },
          inputs: [{ name: "logs", paths: ["logs/*.log"], stream: "logs", maxLineBytes: 4096 },
                   { name: "dir", paths: ["dir.log"], stream: "dir" }],
        }
        """, to: config)
        let result = try ShipperBinary.run(["run", "--config", config, "--once"])
        #expect(result.stderr.contains(dir.file("logs/nested.log")), "\(result.stderr)")
        #expect(result.stderr.contains(dir.file("dir.log")), "\(result.stderr)")
        let messages = Self.delivered(dir, "logs")
        #expect(multiset(messages.filter { $0.hasPrefix("good line ") }) == multiset(good))
        // The garbage arrives as events too (its newlines split it), valid JSON all of them.
        #expect(messages.count > good.count + 100, "\(messages.count) events")
        #expect(dir.lines(of: "out/logs.jsonl").allSatisfy { !decode($0).isEmpty })
        #expect(result.stdout.contains("0 dead-lettered"), "\(result.stdout)")
    }

    @Test("a 1 GiB line is cut at maxLineBytes with memory flat, and the lines around it arrive",
          .timeLimit(.minutes(3)))
    func gigabyteLine() throws {
        // The line is streamed: the test appends it 16 MiB at a time and punches holes behind the
        // shipper's reading, so the file is 1 GiB long while the disk holds a few dozen MiB.
        let dir = try TempDir()
        let path = dir.file("long.log")
        let other = Self.lines("other", 500)
        let config = dir.file("shipper.json5")
        try writeText("""
        {
          output: { directory: "out" },
          checkpoints: { path: "state/cp.sqlite" },
          metrics: { path: "metrics.prom", intervalMs: 100 },
          inputs: [{ name: "long", paths: ["long.log"], stream: "long" },
                   { name: "other", paths: ["other.log"], stream: "other" }],
        }
        """, to: config)
        Self.write(["before the long line"], to: path)
        let shipper = try ShipperBinary.start(["run", "--config", config])
        let pid = shipper.process.processIdentifier
        #expect(eventually { Self.delivered(dir, "long") == ["before the long line"] })

        let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        defer { close(fd) }
        let block = [UInt8](repeating: UInt8(ascii: "x"), count: 16 << 20)
        let total = 1 << 30
        var appended = 0
        var punched = 0
        var peak = 0
        // The first MiB stays: the file's identity is its head (`fingerprintBytes`).
        let head = Int64(1 << 20)
        while appended < total {
            let n = block.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            #expect(n == block.count)
            appended += n
            // Wait until the shipper has read most of it, then give the disk space back.
            let metrics = dir.file("metrics.prom")
            let caughtUp = eventually(timeout: 60) {
                let read = Self.metric(metrics, "atom_shipper_bytes_read_total{input=\"long\"}") ?? 0
                return Int(read) >= appended - (16 << 20)
            }
            #expect(caughtUp, "the shipper stopped reading at \(appended >> 20) MiB")
            if !caughtUp { break }
            let end = Int64(appended - (16 << 20))
            if end > head + Int64(punched) {
                _ = Self.punchHole(fd, offset: head + Int64(punched), length: end - head - Int64(punched))
                punched = Int(end - head)
            }
            peak = max(peak, OutageTests.residentBytes(pid) ?? 0)
            if appended == total / 2 { Self.write(other, to: dir.file("other.log")) }
        }
        Self.write(["", "after the long line"], to: path)
        #expect(eventually(timeout: 60) { Self.delivered(dir, "long").last == "after the long line" })
        #expect(eventually { Self.delivered(dir, "other") == other })
        let result = shipper.terminate()
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")

        let long = Self.delivered(dir, "long")
        #expect(long.count == 3, "\(long.count) events")
        #expect(long.count == 3 && long[1].utf8.count == 1 << 20 && long[1].allSatisfy { $0 == "x" },
                "\(long.map { "\($0.utf8.count) bytes: \($0.prefix(30))" })")
        #expect(result.stderr.contains("line longer than maxLineBytes was cut"), "\(result.stderr.suffix(2000))")
        // The cut line never sat in memory whole: the shipper stays within tens of MiB.
        #expect(peak > 0 && peak < 96 << 20, "peak resident memory \(peak >> 20) MiB")
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_blocks * 512 < 128 << 20, "the test used too much disk")
    }

    @Test("a file deleted while it is being read is read to its end; the other input is not disturbed")
    func deletedMidRead() throws {
        let dir = try TempDir()
        let receiver = try AtomReceiver()
        defer { receiver.stop() }
        // Slow answers and a small backlog keep most of big.log unread when it is deleted.
        receiver.plan(Array(repeating: .delay(seconds: 0.05), count: 400), stream: "big")
        let big = Self.lines("big", 20_000)
        Self.write(big, to: dir.file("big.log"))
        let config = dir.file("shipper.json5")
        try writeText("""
        {
          atom: { endpoint: "\(receiver.endpoint)" },
          checkpoints: { path: "state/cp.sqlite" },
          deadLetter: { path: "state/dead.jsonl" },
          tracker: { batchSize: 100, backlogEvents: 300, flushIntervalMs: 100 },
          inputs: [{ name: "big", paths: ["big.log"], stream: "big", rotateIdleMs: 500 },
                   { name: "small", paths: ["small.log"], stream: "small" }],
        }
        """, to: config)
        let shipper = try ShipperBinary.start(["run", "--config", config])
        #expect(receiver.waitForEvents(count: 500, timeout: 30))
        try FileManager.default.removeItem(atPath: dir.file("big.log"))
        let small = Self.lines("small", 300)
        Self.write(small, to: dir.file("small.log"))
        #expect(eventually(timeout: 60) { receiver.events(stream: "big").count >= big.count })
        #expect(eventually { receiver.events(stream: "small").count == small.count })
        let result = shipper.terminate()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(multiset(receiver.events(stream: "big").map { decode($0)["message"] as? String ?? "" })
                == multiset(big))
        // Two workers: batches may arrive in any order.
        #expect(multiset(receiver.events(stream: "small").map { decode($0)["message"] as? String ?? "" })
                == multiset(small))
        #expect(result.stderr.contains("deleted"), "\(result.stderr)")
    }

    @Test("run as an unprivileged user: a file it may not read is reported by path, the others arrive")
    func permissionDenied() throws {
        let dir = try TempDir()
        let shared = Self.lines("shared", 200)
        Self.write(shared, to: dir.file("shared.log"))
        Self.write(Self.lines("secret", 50), to: dir.file("secret.log"))
        chmod(dir.file("secret.log"), 0o600)
        let state = dir.file("state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        // The folder is root's; nobody may read the logs in it and write only under state/.
        chmod(dir.path, 0o755)
        chown(state, 65534, 65534)
        let config = dir.file("shipper.json5")
        try writeText("""
        {
          output: { directory: "state/out" },
          checkpoints: { path: "state/cp.sqlite" },
          deadLetter: { path: "state/dead.jsonl" },
          inputs: [{ name: "logs", paths: ["*.log"], stream: "logs" }],
        }
        """, to: config)
        // Whatever the umask of this process was when they were written.
        for readable in [config, dir.file("shared.log")] { chmod(readable, 0o644) }
        let asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups", ShipperBinary.path]
        let result = try tool(asNobody: asNobody + ["run", "--config", config, "--once"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains(dir.file("secret.log")) && result.stderr.contains("Permission denied"),
                "\(result.stderr)")
        #expect(result.stdout.contains("failed: \(dir.file("secret.log"))"), "\(result.stdout)")
        let messages = dir.lines(of: "state/out/logs.jsonl").map { decode($0)["message"] as? String ?? "" }
        #expect(messages == shared)
    }

    /// fallocate(2) with FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE (Glibc's module does not
    /// export it, so it is looked up by name).
    static func punchHole(_ fd: Int32, offset: Int64, length: Int64) -> Int32 {
        typealias Fallocate = @convention(c) (Int32, Int32, Int64, Int64) -> Int32
        guard let symbol = dlsym(nil, "fallocate") else { return -1 }
        return unsafeBitCast(symbol, to: Fallocate.self)(fd, 0x03, offset, length)
    }

    /// Runs `setpriv` with `arguments` (the shipper as another user) and collects its output.
    func tool(asNobody arguments: [String]) throws -> ShipperBinary.Result {
        try ShipperBinary.collect("/usr/bin/setpriv", arguments)
    }
}
