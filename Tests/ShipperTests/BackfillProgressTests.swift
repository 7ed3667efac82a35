import Foundation
import Glibc
import Testing
import TestSupport

/// `--once` shows its progress redrawn in place on a terminal (run under a pty with `script`),
/// and as plain log lines otherwise.
@Suite("Backfill progress", .serialized)
struct BackfillProgressTests {
    /// Appends `count` lines of exactly 100 bytes (99 characters and a line feed).
    static func appendLines(_ path: String, from start: Int, count: Int) {
        let writer = AppendingWriter(path: path)
        for n in start..<start + count {
            let head = "backfill line \(n) "
            writer.write(head + String(repeating: "b", count: 99 - head.utf8.count))
        }
    }

    static func config(_ dir: TempDir, inputKeys: String = "") throws -> String {
        let path = dir.file("shipper.json5")
        try writeText("""
        {
          output: { directory: "out" },
          checkpoints: { path: "state/cp.sqlite" },
          inputs: [{ name: "app", paths: ["app.log"], \(inputKeys) }],
        }
        """, to: path)
        return path
    }

    @Test("a file rotated and compressed since its checkpoint does not count as unread in the total")
    func compressedRotationNotCounted() throws {
        let dir = try TempDir()
        Self.appendLines(dir.file("app.log"), from: 0, count: 10_000)
        let path = dir.file("shipper.json5")
        try writeText("""
        {
          output: { directory: "out" },
          checkpoints: { path: "state/cp.sqlite" },
          inputs: [{ name: "app", paths: ["app.log*"] }],
        }
        """, to: path)
        #expect(try ShipperBinary.run(["run", "--config", path, "--once"]).status == 0)
        try FileManager.default.moveItem(atPath: dir.file("app.log"), toPath: dir.file("app.log.1"))
        try tool("/bin/gzip", [dir.file("app.log.1")])
        Self.appendLines(dir.file("app.log"), from: 10_000, count: 2500)  // 250,000 new bytes

        let second = try ShipperBinary.run(["run", "--config", path, "--once"])
        #expect(second.status == 0, "\(second.stderr)")
        let start = second.stderr.split(separator: "\n").first { $0.contains("backfill: reading") } ?? ""
        #expect(start.contains(" bytes=250000 "), "\(second.stderr)")
        #expect(second.stderr.contains("bytesDone=250000 bytesTotal=250000 percent=100"), "\(second.stderr)")
        #expect(try fileLines(dir.file("out/app.jsonl")).count == 12_500)
    }

    @Test("on a terminal, a backfill that takes seconds redraws bytes done, rate and the time left")
    func terminalTimeLeft() throws {
        let dir = try TempDir()
        Self.appendLines(dir.file("app.log"), from: 0, count: 10_000)  // 1,000,000 bytes
        // Capped at 400 KB/s, reading takes about 2.5 s: several redraws, each 0.25 s apart.
        let config = try Self.config(dir, inputKeys: "maxReadBytesPerSecond: 400000")
        let command = "'\(ShipperBinary.path)' run --config '\(config)' --once"
        let output = try tool("/usr/bin/script", ["-qec", command, "/dev/null"])
        let pattern = try NSRegularExpression(pattern: #"backfill: ([0-9.]+) (K?B|MB) of 1\.0 MB \(([0-9]+)%\), "#
                                              + #"([0-9.]+) (K?B|MB)/s, ([0-9]+) s left"#)
        let redraws = pattern.matches(in: output, range: NSRange(output.startIndex..., in: output))
        #expect(redraws.count >= 3, "\(output)")
        func number(_ match: NSTextCheckingResult, _ group: Int) -> Double {
            Range(match.range(at: group), in: output).flatMap { Double(output[$0]) } ?? -1
        }
        func scale(_ match: NSTextCheckingResult, _ group: Int) -> Double {
            switch Range(match.range(at: group), in: output).map({ String(output[$0]) }) {
            case "KB": 1e3
            case "MB": 1e6
            default: 1
            }
        }
        for match in redraws {
            let done = number(match, 1) * scale(match, 2)
            let rate = number(match, 4) * scale(match, 5)
            let left = number(match, 6)
            #expect(number(match, 3) < 100 && rate > 0, "\(output)")
            // The time left is what remains at the shown rate, rounded up (the figures are rounded
            // to three digits, so allow a second either way).
            let expected = (1_000_000 - done) / rate
            #expect(abs(left - expected) <= 1.5, "left \(left) s, expected about \(expected) s: \(output)")
        }
        #expect(output.contains("1 file, 10000 lines, 1000000 bytes"))
    }

    @Test("on a terminal: one line redrawn with bytes done of the total, rate and time")
    func terminal() throws {
        let dir = try TempDir()
        Self.appendLines(dir.file("app.log"), from: 0, count: 10_000)  // 1,000,000 bytes
        let config = try Self.config(dir)
        let command = "'\(ShipperBinary.path)' run --config '\(config)' --once"
        let output = try tool("/usr/bin/script", ["-qec", command, "/dev/null"])
        #expect(output.contains("\r\u{1B}[Kbackfill: 1.0 MB of 1.0 MB (100%), "), "\(output)")
        #expect(output.range(of: #"\(100%\), [0-9.]+ [KMG]?B/s, read in [0-9]+ s"#, options: .regularExpression)
                != nil, "\(output)")
        #expect(output.contains("1 file, 10000 lines, 1000000 bytes"))
    }

    @Test("not a terminal: plain log lines, no redraws; the total counts only what is beyond the checkpoints")
    func plain() throws {
        let dir = try TempDir()
        Self.appendLines(dir.file("app.log"), from: 0, count: 10_000)
        let config = try Self.config(dir)
        let first = try ShipperBinary.run(["run", "--config", config, "--once"])
        #expect(first.status == 0)
        #expect(!first.stderr.contains("\r"))
        let lines = first.stderr.split(separator: "\n")
        let start = lines.first { $0.contains("backfill: reading what the inputs' files hold") } ?? ""
        #expect(start.contains("config=\(config)") && start.contains(" bytes=1000000 "), "\(first.stderr)")
        let end = lines.first { $0.contains("backfill: everything read") } ?? ""
        #expect(end.contains("bytesDone=1000000 bytesTotal=1000000 percent=100"), "\(first.stderr)")

        Self.appendLines(dir.file("app.log"), from: 10_000, count: 2500)
        let second = try ShipperBinary.run(["run", "--config", config, "--once"])
        #expect(second.stderr.contains("bytesDone=250000 bytesTotal=250000 percent=100"), "\(second.stderr)")
    }
}
