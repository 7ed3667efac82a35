import Foundation
import Glibc
import Testing
import TestSupport

/// A writer thread appending with O_APPEND at a steady rate while the real logrotate runs, as in
/// production: nothing waits for anything. The writer reopens the path when it no longer names the
/// file it holds (as Python's WatchedFileHandler does), so between a rename and its reopen its lines
/// land in the renamed file. Expected: every line found in a file at the end (gzip decompressed) is
/// delivered exactly once; lines the tools themselves lost (appended to a renamed file after gzip read
/// it, or between copytruncate's copy and its truncate) and a copy's torn last line may or may not
/// arrive, but only once; nothing else arrives that was not written.
@Suite("Logrotate while a writer appends", .serialized)
struct LogrotateConcurrentTests {
    @Test("a rotation every 150 ms under a writer at about 2,000 lines/s: file lines arrive once",
          arguments: [["create", "compress"], ["create", "compress", "delaycompress"],
                      ["copytruncate", "compress", "delaycompress"], ["copytruncate"]])
    func rotationsUnderWriter(directives: [String]) throws {
        let scenario = try LogrotateScenario()
        let conf = try scenario.logrotateConfig("mode.conf", ["rotate 50"] + directives)
        try scenario.start()
        let writer = SteadyWriter(path: scenario.log, reopen: !directives.contains("copytruncate"))
        writer.start()
        defer { writer.stop() }
        #expect(scenario.waitForEvents(200))

        for _ in 1...8 {
            usleep(150_000)
            try tool("/usr/sbin/logrotate", ["-f", "-s", scenario.state, conf])
        }
        usleep(150_000)
        writer.stop()
        try verify(scenario, written: writer.written, context: directives.joined(separator: ", "))
    }

    @Test("""
        copytruncate's copy lacks the lines written between its copy and its truncate, which the shipper \
        read from the live file: the copy is not read again
        """)
    func copyShorterThanWhatWasRead() throws {
        let c = try FileCase(#"paths: ["app.log*"], rotateIdleMs: 500, rescanIntervalMs: 100"#)
        let first = taggedLines("before-copy", 100, width: 60)
        try c.write("app.log", lines: first)
        let run = try c.start()
        #expect(c.waitForEvents(100))

        // What copytruncate does, with the writer faster than it: copy, lines appended, truncate.
        try tool("/bin/cp", [c.path("app.log"), c.path("app.log.1")])
        let late = taggedLines("between-copy-and-truncate", 5, width: 60)
        c.append("app.log", lines: late)
        #expect(c.waitForEvents(105))
        try tool("/usr/bin/truncate", ["-s", "0", c.path("app.log")])
        #expect(c.waitForLog(run, "file is shorter than what was read of it"), "stderr: \(run.stderr)")
        let after = taggedLines("after-truncate", 20, width: 60)
        c.append("app.log", lines: after)
        #expect(c.waitForEvents(125))
        usleep(1_000_000)  // rescans and rotateIdle: a repeat of the copy would arrive now

        let result = run.terminate()
        #expect(result.status == 0, "stderr: \(result.stderr)")
        c.expectDelivered(first + late + after, "stderr: \(result.stderr)")
    }

    /// Waits until every line of the final files arrived (and a little longer for any repeat), stops
    /// the shipper and checks the delivered set against the files and the writer's own record.
    func verify(_ scenario: LogrotateScenario, written: [String], context: String,
                sourceLocation: SourceLocation = #_sourceLocation) throws {
        let writtenSet = Set(written)
        var inFiles: [String] = []
        // copytruncate copies the live file while the writer appends, and a read can see part of a
        // write that crosses a page: a copy can end inside a line. Such a torn end (a prefix of a
        // written line, never written itself) may arrive once or not at all.
        var torn: Set<String> = []
        for name in scenario.finalNames {
            var lines = try fileLines(scenario.dir.file(name))
            if let last = lines.last, !writtenSet.contains(last), written.contains(where: { $0.hasPrefix(last) }) {
                torn.insert(last)
                lines.removeLast()
            }
            inFiles += lines
        }
        let expected = Set(inFiles)
        #expect(expected.count == inFiles.count, "\(context): the files themselves repeat lines",
                sourceLocation: sourceLocation)
        #expect(expected.isSubset(of: writtenSet), "\(context): files hold lines never written",
                sourceLocation: sourceLocation)
        #expect(expected.count > written.count / 2, "\(context): \(expected.count) of \(written.count) in files",
                sourceLocation: sourceLocation)

        let arrived = eventually(timeout: 60) { Set(scenario.delivered).isSuperset(of: expected) }
        usleep(1_500_000)  // past rotateIdle and a few rescans: any repeat arrives now
        let result = scenario.stop()
        let stderr = result?.stderr.suffix(3000) ?? ""
        let counts = multiset(scenario.delivered)
        let missing = expected.subtracting(counts.keys).sorted()
        let repeated = counts.filter { $0.value > 1 }.map(\.key).sorted()
        let invented = Set(counts.keys).subtracting(writtenSet).subtracting(torn).sorted()
        #expect(arrived && missing.count == 0,
                "\(context): \(missing.count) file lines never delivered, e.g. \(missing.prefix(3))\n\(stderr)",
                sourceLocation: sourceLocation)
        #expect(repeated.count == 0,
                "\(context): \(repeated.count) delivered twice, e.g. \(repeated.prefix(3))\n\(stderr)",
                sourceLocation: sourceLocation)
        #expect(invented.count == 0, "\(context): \(invented.count) never written, e.g. \(invented.prefix(3))",
                sourceLocation: sourceLocation)
        #expect(result?.status == 0, "\(context): exit status \(result?.status ?? -1)\n\(stderr)",
                sourceLocation: sourceLocation)
    }
}

/// Appends numbered lines from a thread of its own, about 2,000 a second, each one write(2) on an
/// O_APPEND descriptor. With `reopen`, before each line it checks that the path still names the
/// file it holds and opens the path again if not.
final class SteadyWriter: @unchecked Sendable {
    let path: String
    let reopen: Bool
    private let lock = NSLock()
    private var lines: [String] = []
    private var stopping = false
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)

    init(path: String, reopen: Bool) {
        self.path = path
        self.reopen = reopen
    }

    var written: [String] { lock.withLock { lines } }

    func start() {
        let thread = Thread { [self] in run() }
        self.thread = thread
        thread.start()
    }

    func stop() {
        let wasRunning = lock.withLock { () -> Bool in
            defer { stopping = true }
            return !stopping && thread != nil
        }
        if wasRunning { done.wait() }
    }

    private func run() {
        var fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        var number = 0
        while !lock.withLock({ stopping }) {
            if reopen {
                var held = stat()
                var named = stat()
                if fstat(fd, &held) != 0 || stat(path, &named) != 0 || held.st_ino != named.st_ino {
                    close(fd)
                    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
                }
            }
            for _ in 0..<10 {
                let line = "steady \(number) \(String(repeating: "w", count: 30 + number % 40))"
                number += 1
                let bytes = Array((line + "\n").utf8)
                let wrote = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if wrote == bytes.count { lock.withLock { lines.append(line) } }
            }
            usleep(5_000)
        }
        close(fd)
        done.signal()
    }
}
