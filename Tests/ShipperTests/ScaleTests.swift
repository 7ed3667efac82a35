import Foundation
import Glibc
import Synchronization
import Testing
import TestSupport

/// Ten thousand files: every line once, never more descriptors than the bound (idle files are
/// closed and opened again when they change), and an inotify queue overflow recovered by a rescan.
@Suite("Ten thousand files", .serialized)
struct ScaleTests {
    static let files = 10_000
    static let bound = 64

    /// Writes `line(i)` to each file with one O_APPEND write (a plain loop of system calls, so
    /// that the test's own cost stays small).
    static func appendToAll(_ c: FileCase, _ line: (Int) -> String) {
        for i in 0..<files {
            let fd = open(c.path("logs/f\(i).log"), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { continue }
            let bytes = Array((line(i) + "\n").utf8)
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
    }

    @Test("""
        10,000 files: every line once, descriptors (from /proc) never above maxOpenFiles, closed files \
        reopened when written, and an inotify overflow recovered by a rescan
        """, .timeLimit(.minutes(4)))
    func tenThousandFiles() throws {
        let c = try FileCase(#"paths: ["logs/*.log"], maxOpenFiles: \#(Self.bound)"#,
                             top: "log: { level: \"warn\" },")
        try FileManager.default.createDirectory(atPath: c.path("logs"), withIntermediateDirectories: true)
        Self.appendToAll(c) { "file \($0) first line, long enough to be told apart from the others" }
        var expected = (0..<Self.files).map { "file \($0) first line, long enough to be told apart from the others" }

        let run = try c.start()
        let pid = run.process.processIdentifier
        let folder = c.dir.path
        let peakBox = PeakBox()
        let sampler = Thread {
            while kill(pid, 0) == 0 && !peakBox.stopped {
                peakBox.note(FileCase.descriptors(of: pid, in: folder))
                usleep(5_000)
            }
        }
        sampler.start()
        #expect(c.waitForEvents(expected.count, timeout: 120))

        // Most files are closed now; a write to one opens it again.
        let touched = stride(from: 7, to: Self.files, by: 97).map { $0 }
        for i in touched {
            let line = "file \(i) written after it was closed"
            c.append("logs/f\(i).log", lines: [line])
            expected.append(line)
        }
        #expect(c.waitForEvents(expected.count, timeout: 60))

        // Stopped, the shipper cannot drain inotify: more events than the kernel queues overflow it.
        let queued = Int((try? String(contentsOfFile: "/proc/sys/fs/inotify/max_queued_events", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 16384
        let rounds = queued / Self.files + 1
        try #require(rounds <= 20, "max_queued_events is \(queued): too many writes needed to overflow it")
        run.signal(SIGSTOP)
        for round in 0..<rounds {
            Self.appendToAll(c) { "file \($0) round \(round) while stopped" }
            expected += (0..<Self.files).map { "file \($0) round \(round) while stopped" }
        }
        run.signal(SIGCONT)
        #expect(c.waitForEvents(expected.count, timeout: 120))
        usleep(500_000)
        let result = run.terminate()
        peakBox.stop()
        let peak = peakBox.peak
        c.expectDelivered(expected)
        #expect(result.stderr.contains("inotify queue overflowed; rescanning"))
        #expect(peak > 0 && peak <= Self.bound, "peak descriptors on the logs: \(peak) (bound \(Self.bound))")
    }
}

/// The most descriptors seen, shared with the sampling thread.
final class PeakBox: Sendable {
    private let state = Mutex((peak: 0, stopped: false))
    var peak: Int { state.withLock { $0.peak } }
    var stopped: Bool { state.withLock { $0.stopped } }
    func note(_ value: Int) { state.withLock { $0.peak = max($0.peak, value) } }
    func stop() { state.withLock { $0.stopped = true } }
}
