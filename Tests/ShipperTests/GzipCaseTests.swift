import Foundation
import Glibc
import Testing
import TestSupport

/// gzip archives as they come: still being written, empty, misnamed, corrupt.
@Suite("gzip archives, end to end")
struct GzipCaseTests {
    /// The bytes gzip(1) makes of `lines`.
    static func gzipped(_ lines: [String], in c: FileCase, name: String) throws -> [UInt8] {
        try c.write("src/\(name)", lines: lines)
        try tool("/bin/gzip", ["-n", c.path("src/\(name)")])
        return Array(try Data(contentsOf: URL(fileURLWithPath: c.path("src/\(name).gz"))))
    }

    @Test("an archive still being written is waited for, then read whole, once")
    func archiveStillBeingWritten() throws {
        let c = try FileCase(#"paths: ["archive/*.gz"], gzipSettleMs: 60000"#)
        let lines = taggedLines("archived", 3000, width: 50)
        let archive = try Self.gzipped(lines, in: c, name: "live.log")
        let cut = archive.count * 2 / 5
        try c.write("archive/live.log.gz", bytes: Array(archive[..<cut]))

        let run = try ShipperBinary.start(["run", "--once", "--config", c.configPath])
        // The shipper holds the archive open, waiting for the rest.
        #expect(eventually { c.descriptorsInFolder(run) == 1 })
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: c.path("archive/live.log.gz")))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(archive[cut...]))
        try handle.close()

        let result = run.finish()
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(!result.stderr.contains("broken"))
        c.expectDelivered(lines)
    }

    @Test("an empty archive, a text file named .gz and a gzip file named .log: each read as what it is")
    func namesAndMagic() throws {
        let c = try FileCase(#"paths: ["archive/*"]"#)
        try c.write("archive/empty.gz", bytes: try Self.gzipped([], in: c, name: "empty"))
        let text = taggedLines("plain text named gz", 5)
        try c.write("archive/plain.gz", lines: text)
        let hidden = taggedLines("gzip named log", 40)
        try c.write("archive/hidden.log", bytes: try Self.gzipped(hidden, in: c, name: "hidden"))
        let result = try c.runOnce()
        #expect(result.status == 0, "stderr: \(result.stderr)")
        c.expectDelivered(text + hidden)
    }

    @Test("a corrupt archive is reported with its path and compressed offset; the other files ship whole")
    func corruptReportedOthersContinue() throws {
        let c = try FileCase(#"paths: ["archive/*"]"#)
        var corrupt = try Self.gzipped(taggedLines("corrupt", 500), in: c, name: "corrupt.log")
        // The first byte of the deflate data: block type 3 does not exist, so zlib stops at once.
        corrupt[10] = 0xFF
        try c.write("archive/corrupt.log.gz", bytes: corrupt)
        let good = taggedLines("good archive", 2000)
        try c.write("archive/good.log.gz", bytes: try Self.gzipped(good, in: c, name: "good.log"))
        let plain = taggedLines("plain", 100)
        try c.write("archive/plain.log", lines: plain)

        let result = try c.runOnce()
        #expect(result.status == 1, "a broken archive fails the run")
        let report = result.stderr.split(separator: "\n").first { $0.contains("gzip archive is corrupt") } ?? ""
        #expect(report.contains(c.path("archive/corrupt.log.gz")) && report.contains("compressed offset"),
                "report: \(report)")
        #expect(result.stdout.contains("corrupt.log.gz"))
        c.expectDelivered(good + plain)
    }
}
