import Foundation
import Glibc
import Testing
import TestSupport

/// A rotated file compressed later by the real gzip (`app.log.1` → `app.log.1.gz`), while the
/// shipper runs or while it is stopped: the archive keeps the plain file's progress, so no line
/// arrives twice and none is lost.
@Suite("Logrotate: rotated files compressed later", .serialized)
struct LogrotateLateCompressionTests {
    @Test("app.log.1 gzipped while the shipper is still reading it: every line arrives once")
    func compressedWhileRunning() throws {
        let scenario = try LogrotateScenario(slowReceiver: true)
        let conf = try scenario.logrotateConfig("create.conf", ["rotate 5", "create"])
        try scenario.start()
        scenario.write(2000, tag: "first")
        #expect(scenario.waitForEvents(50))

        try scenario.rotate(conf)
        scenario.write(100, tag: "late-to-renamed")
        scenario.writer.reopen()
        scenario.write(500, tag: "after-rotation")
        // The slow receiver keeps the shipper behind, most likely still inside app.log.1 now.
        try tool("/bin/gzip", [scenario.dir.file("app.log.1")])
        scenario.write(500, tag: "after-gzip")

        // A second rotation: app.log becomes the new app.log.1 beside app.log.1.gz.
        try scenario.rotate(conf)
        scenario.writer.reopen()
        scenario.write(500, tag: "after-second-rotation")

        #expect(scenario.finalNames == ["app.log", "app.log.1", "app.log.1.gz"])
        try scenario.finishAndVerify()
    }

    @Test("part of app.log.1 shipped, SIGTERM, gzip it, start again: every line arrives once")
    func compressedWhileStopped() throws {
        let scenario = try LogrotateScenario(slowReceiver: true)
        let conf = try scenario.logrotateConfig("create.conf", ["rotate 5", "create"])
        scenario.write(6000, tag: "first")
        try scenario.rotate(conf)
        scenario.writer.reopen()

        try scenario.start()
        #expect(scenario.waitForEvents(300))
        let first = scenario.stop()
        #expect(first?.status == 0, "stderr: \(first?.stderr ?? "")")
        let shippedBefore = scenario.receiver.allEvents.count
        #expect(shippedBefore < 6000, "the first run should have stopped part-way through app.log.1")

        let archive = scenario.dir.file("app.log.1.gz")
        try tool("/bin/gzip", [scenario.dir.file("app.log.1")])
        scenario.write(500, tag: "second-run")
        try scenario.start()
        #expect(scenario.finalNames == ["app.log", "app.log.1.gz"])
        let outcome = try scenario.finishAndVerify()

        // The archive continued from the plain file's checkpoint rather than from its start.
        let stderr = outcome.result?.stderr ?? ""
        let restored = stderr.split(separator: "\n").contains {
            $0.contains("checkpoint restored") && $0.contains(archive) && $0.contains("gzip=true")
        }
        #expect(restored, "stderr:\n\(stderr)")
    }
}
