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

    static func config(_ dir: TempDir) throws -> String {
        let path = dir.file("shipper.json5")
        try writeText("""
        {
          output: { directory: "out" },
          checkpoints: { path: "state/cp.sqlite" },
          inputs: [{ name: "app", paths: ["app.log"] }],
        }
        """, to: path)
        return path
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
