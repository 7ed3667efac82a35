import Foundation
import Glibc
import Testing
import TestSupport

/// The real logrotate rotates `app.log` two or three times while the shipper follows `app.log*`;
/// every line found at the end in a file (gzip decompressed) or in a snapshot taken just before a
/// rotation must be delivered exactly once, and nothing else.
@Suite("Logrotate modes while the shipper follows", .serialized)
struct LogrotateModeTests {
    @Test("create + compress: lines of app.log.N.gz, compressed while the shipper is behind, arrive once")
    func createAndCompress() throws {
        let scenario = try LogrotateScenario(slowReceiver: true)
        let conf = try scenario.logrotateConfig("compress.conf", ["rotate 5", "create", "compress"])
        try scenario.start()
        scenario.write(1000, tag: "first")
        #expect(scenario.waitForEvents(100))

        for round in 1...3 {
            try scenario.rotate(conf)
            // logrotate compressed and deleted the renamed file: the application reopens at once.
            scenario.writer.reopen()
            scenario.write(1000, tag: "after-rotation-\(round)")
        }

        #expect(scenario.finalNames == ["app.log", "app.log.1.gz", "app.log.2.gz", "app.log.3.gz"])
        try scenario.finishAndVerify()
    }

    @Test("delaycompress: lines appended to app.log.1 before the writer reopens, then compressed, arrive once")
    func delayCompress() throws {
        let scenario = try LogrotateScenario()
        let conf = try scenario.logrotateConfig(
            "delay.conf", ["rotate 5", "create", "compress", "delaycompress"])
        try scenario.start()
        scenario.write(1000, tag: "first")
        #expect(scenario.waitForEvents(100))

        for round in 1...3 {
            try scenario.rotate(conf)
            scenario.write(100, tag: "late-to-renamed-\(round)")  // still going to app.log.1
            scenario.writer.reopen()
            scenario.write(1000, tag: "after-rotation-\(round)")
        }

        #expect(scenario.finalNames == ["app.log", "app.log.1", "app.log.2.gz", "app.log.3.gz"])
        try scenario.finishAndVerify()
    }

    @Test("dateext with dateformat -%Y%m%d-%s: lines of every dated file arrive once")
    func dateExtension() throws {
        let scenario = try LogrotateScenario()
        let conf = try scenario.logrotateConfig(
            "dateext.conf", ["rotate 5", "create", "dateext", "dateformat -%Y%m%d-%s"])
        try scenario.start()
        scenario.write(1000, tag: "first")
        #expect(scenario.waitForEvents(100))

        var lastSecond = 0
        for round in 1...3 {
            // Two rotations within one second would want the same name, and logrotate would refuse.
            while time(nil) <= lastSecond { usleep(20_000) }
            lastSecond = time(nil)
            try scenario.rotate(conf)
            scenario.write(100, tag: "late-to-renamed-\(round)")
            scenario.writer.reopen()
            scenario.write(1000, tag: "after-rotation-\(round)")
        }

        let names = scenario.finalNames
        #expect(names.count == 4 && names.first == "app.log", "files: \(names)")
        #expect(names.dropFirst().allSatisfy { $0.hasPrefix("app.log-") }, "files: \(names)")
        try scenario.finishAndVerify()
    }

    @Test("rotate 2: the oldest file is deleted while the shipper is behind; its lines still arrive once")
    func rotateTwoDeletesOldest() throws {
        let scenario = try LogrotateScenario(slowReceiver: true)
        let conf = try scenario.logrotateConfig("rotate2.conf", ["rotate 2", "create"])
        try scenario.start()
        scenario.write(1000, tag: "first")
        #expect(scenario.waitForEvents(50))

        // Three quick rotations: the first file (1000 lines) is deleted by the third one, most
        // likely before the shipper has read all of it.
        for round in 1...3 {
            try scenario.rotate(conf)
            scenario.write(50, tag: "late-to-renamed-\(round)")
            scenario.writer.reopen()
            scenario.write(round == 3 ? 1000 : 200, tag: "after-rotation-\(round)")
        }

        #expect(scenario.finalNames == ["app.log", "app.log.1", "app.log.2"])
        let outcome = try scenario.finishAndVerify()
        #expect(outcome.deletedLines.count == 1050, "the first file's lines are only in the snapshots")
        #expect(outcome.result?.stderr.contains("file deleted") == true)
    }

    @Test("missingok: a rotation while app.log does not exist does nothing; every line arrives once")
    func missingOk() throws {
        let scenario = try LogrotateScenario()
        let conf = try scenario.logrotateConfig("missing.conf", ["rotate 5", "nocreate", "missingok"])
        try scenario.start()
        scenario.write(1000, tag: "first")
        #expect(scenario.waitForEvents(100))

        // nocreate: after this app.log is gone until the writer opens it again.
        try scenario.rotate(conf)
        scenario.write(300, tag: "late-to-renamed")
        #expect(!FileManager.default.fileExists(atPath: scenario.log))

        // app.log is missing: logrotate succeeds without touching anything.
        try scenario.rotate(conf)
        #expect(scenario.finalNames == ["app.log.1"])

        scenario.writer.reopen()  // creates app.log again
        scenario.write(1000, tag: "recreated")
        try scenario.rotate(conf)
        scenario.writer.reopen()
        scenario.write(1000, tag: "after-last-rotation")

        #expect(scenario.finalNames == ["app.log", "app.log.1", "app.log.2"])
        try scenario.finishAndVerify()
    }

    @Test("copytruncate + compress: the truncated live file and app.log.N.gz copies deliver each line once")
    func copytruncateAndCompress() throws {
        let scenario = try LogrotateScenario()
        let conf = try scenario.logrotateConfig("copy.conf", ["rotate 5", "copytruncate", "compress"])
        try scenario.start()
        scenario.write(1000, tag: "first")
        #expect(scenario.waitForEvents(100))

        for round in 1...3 {
            try scenario.rotate(conf)  // the writer keeps its descriptor
            scenario.write(1000, tag: "after-rotation-\(round)")
        }

        #expect(scenario.finalNames == ["app.log", "app.log.1.gz", "app.log.2.gz", "app.log.3.gz"])
        let outcome = try scenario.finishAndVerify()
        #expect(outcome.result?.stderr.contains("file truncated") == true)
    }
}
