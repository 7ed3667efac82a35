import Foundation
import Glibc
import Testing
import TestSupport

/// kill -9 while a log is written and rotated. The README promises that no line is lost and that
/// the repeats are at most the batches in flight plus those acknowledged since the last commit.
/// Every event carries its deterministic id (`metadata.eventId`): after dropping repeated ids, the
/// receiver holds each written line exactly once.
@Suite("Crash and restart", .serialized)
struct CrashTests {
    // The shipper's settings, used both in its config and in the bound on repeats below.
    static let batchSize = 100
    static let workers = 2
    static let commitIntervalMs = 200
    static let linesPerSecond = 1000.0

    /// Longest time no shipper runs between a kill and the restart.
    static let maxPause = 0.3

    /// The schedule's seed; `CRASH_TEST_SEED=<n>` tries another one.
    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["CRASH_TEST_SEED"].flatMap { UInt64($0) } ?? 0xC4A5_0001
    }

    /// When one run is killed, drawn from the seeded generator.
    struct Kill {
        /// Seconds from the start to SIGKILL.
        var uptime: Double
        /// Seconds from the start to the rename rotation, when this run sees one.
        var rotateAt: Double?
        /// Rotate after the kill, before the restart (while no shipper runs).
        var rotateAfter = false
        /// Seconds without a shipper after the kill.
        var pause: Double
    }

    /// Five kills at random moments. Runs 1 and 2 live a few seconds. The first rotation happens
    /// while no shipper runs, and run 3 is killed during its start-up and catch-up, with both
    /// files to read. Run 4 sees the second rotation a few seconds in and is killed shortly
    /// after it, while the renamed file is drained and the new one is young. Run 5 is killed
    /// during its catch-up.
    static func schedule() -> [Kill] {
        var rng = SeededGenerator(seed: seed)
        func within(_ range: ClosedRange<Double>) -> Double {
            Double.random(in: range, using: &rng)
        }
        let longRun = 2.5...8.0
        let startUp = 0.05...0.8
        let first = Kill(uptime: within(longRun), pause: within(0...maxPause))
        let second = Kill(uptime: within(longRun), rotateAfter: true, pause: within(0...maxPause))
        let third = Kill(uptime: within(startUp), pause: within(0...maxPause))
        let rotateAt = within(1.0...4.0)
        let fourth = Kill(uptime: rotateAt + within(0.05...1.0), rotateAt: rotateAt,
                          pause: within(0...maxPause))
        let fifth = Kill(uptime: within(startUp), pause: within(0...maxPause))
        return [first, second, third, fourth, fifth]
    }

    /// The repeats one kill may cause, generously.
    ///
    /// The guarantee allows the batches in flight plus the events acknowledged since the last
    /// checkpoint commit:
    /// - in flight: each worker holds at most one request, and a request the receiver recorded
    ///   but whose answer the killed process never saw is sent again: `workers × batchSize`;
    /// - acknowledged since the last commit: the tailer commits between its passes once
    ///   `commitIntervalMs` has passed, and an idle pass waits up to 250 ms for the files to
    ///   change, so the last commit is at most 0.2 + 0.25 s old; we allow 0.6 s. In steady state
    ///   events are acknowledged at the write rate;
    /// - after a restart, the lines written while no shipper ran (the pause, at most 0.3 s, and
    ///   the start-up, allowed 0.4 s) are read in large chunks and acknowledged in one burst; a
    ///   chunk's offset is committed only once all its events are acknowledged, so a kill right
    ///   after the burst may repeat all of them.
    /// So `workers × batchSize + linesPerSecond × (0.6 + 0.3 + 0.4) s` = 200 + 1300 lines.
    static var repeatBoundPerKill: Int {
        let inFlight = workers * batchSize
        let window = 0.6 + maxPause + 0.4
        return inFlight + Int((linesPerSecond * window).rounded(.up))
    }

    /// One run of the shipper, for the analysis.
    struct Run {
        var startLine: Int
        var endLine: Int
        var firstEvent: Int
        var endEvent: Int
        var stderr: String
        var killed: Bool
    }

    @Test("kill -9 five times while the log is written and rotated twice: no line lost, few repeats",
          .timeLimit(.minutes(3)))
    func killNineLosesNoLine() throws {
        let dir = try TempDir(prefix: "atom-crash")
        let receiver = try AtomReceiver()
        defer { receiver.stop() }
        let config = dir.file("shipper.json5")
        try """
        {
          atom: { endpoint: "\(receiver.endpoint)" },
          checkpoints: { path: "state/cp.sqlite", commitIntervalMs: \(Self.commitIntervalMs) },
          deadLetter: { path: "state/dead.jsonl" },
          tracker: { batchSize: \(Self.batchSize), workers: \(Self.workers) },
          inputs: [{ name: "app", paths: ["app.log*"], stream: "app", metadata: { eventId: true } }],
        }
        """.write(toFile: config, atomically: true, encoding: .utf8)

        let writer = CrashWriter(folder: dir.path, linesPerSecond: Self.linesPerSecond)
        writer.start()
        defer { _ = writer.stop() }
        var runs: [Run] = []
        let schedule = Self.schedule()
        for (index, kill) in schedule.enumerated() {
            let startLine = writer.written
            let firstEvent = receiver.allEvents.count
            let shipper = try ShipperBinary.start(["run", "--config", config])
            if let rotateAt = kill.rotateAt {
                usleep(UInt32(rotateAt * 1e6))
                #expect(writer.rotate(), "the writer did not rotate")
                usleep(UInt32((kill.uptime - rotateAt) * 1e6))
            } else {
                usleep(UInt32(kill.uptime * 1e6))
            }
            shipper.signal(SIGKILL)
            let result = shipper.finish(timeout: 30)
            Self.removeOutput(of: shipper)
            let killed = shipper.process.terminationReason == .uncaughtSignal
                && result.status == SIGKILL
            runs.append(Run(startLine: startLine, endLine: writer.written, firstEvent: firstEvent,
                            endEvent: receiver.allEvents.count, stderr: result.stderr,
                            killed: killed))
            #expect(killed, "run \(index + 1) ended by itself (\(result.status)): \(result.stderr)")
            if kill.rotateAfter { #expect(writer.rotate(), "the writer did not rotate") }
            usleep(UInt32(kill.pause * 1e6))
        }

        // The last run: the writer has stopped; wait until every written line has arrived.
        let total = writer.stop()
        let written = Set((0..<total).map(CrashWriter.line))
        let firstEvent = receiver.allEvents.count
        let last = try ShipperBinary.start(["run", "--config", config])
        var seen = Set<String>()
        var decoded = 0
        let arrived = Self.waitUntil(timeout: 60) {
            let events = receiver.allEvents
            for index in decoded..<events.count {
                seen.insert(decode(events[index].event)["message"] as? String ?? "")
            }
            decoded = events.count
            return written.isSubset(of: seen)
        }
        let final = last.terminate()
        Self.removeOutput(of: last)
        runs.append(Run(startLine: total, endLine: total, firstEvent: firstEvent,
                        endEvent: receiver.allEvents.count, stderr: final.stderr, killed: false))
        #expect(final.status == 0, "the last run did not stop cleanly: \(final.stderr)")

        let events = receiver.events(stream: "app").map(decode)
        let messages = events.map { $0["message"] as? String ?? "" }
        // A receiver that drops repeated ids: the first event with each id is kept.
        var kept: [String: String] = [:]
        var idConflicts: [String] = []
        for event in events {
            let id = event["event_id"] as? String ?? ""
            let message = event["message"] as? String ?? ""
            if let earlier = kept[id] {
                if earlier != message { idConflicts.append("\(id): \(earlier) / \(message)") }
            } else {
                kept[id] = message
            }
        }
        let counts = multiset(messages)
        let missing = written.subtracting(counts.keys).compactMap(CrashWriter.number).sorted()
        let unexpected = Set(counts.keys).subtracting(written)
        let repeats = messages.count - counts.count
        let bound = schedule.count * Self.repeatBoundPerKill
        let report = Self.describe(schedule: schedule, runs: runs, messages: messages,
                                   rotations: writer.rotationLines, missing: missing, total: total)
        if ProcessInfo.processInfo.environment["CRASH_TEST_VERBOSE"] != nil {
            FileHandle.standardError.write(Data((report + "\n").utf8))
        }

        #expect(writer.rotationLines.count == 2, "rotations at lines \(writer.rotationLines)")
        #expect(writer.renameFailures.isEmpty, "renames failed: \(writer.renameFailures)")
        #expect(arrived, "not every line had arrived 60 s after the last start")
        #expect(missing.isEmpty, "lost \(missing.count) of \(total) lines\n\(report)")
        #expect(unexpected.isEmpty, "never written but arrived: \(unexpected.sorted().prefix(5))")
        #expect(repeats <= bound, "\(repeats) repeats, more than \(bound)\n\(report)")
        #expect(!kept.keys.contains(""), "an event without an id")
        #expect(idConflicts.isEmpty, "one id for two lines: \(idConflicts.prefix(5))")
        #expect(multiset(kept.values) == multiset(written.sorted()),
                "after dropping repeated ids: \(kept.count) events for \(written.count) lines")
    }

    // MARK: Helpers

    /// Removes the folder the harness made for a run's stdout and stderr (once they are read).
    static func removeOutput(of shipper: RunningShipper) {
        let folder = URL(fileURLWithPath: shipper.stderrPath).deletingLastPathComponent().path
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Polls `condition` until it holds or `timeout` seconds pass on the monotonic clock.
    static func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = CrashWriter.monotonicSeconds() + timeout
        while CrashWriter.monotonicSeconds() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }

    /// The runs, the repeats each kill caused, and for each lost line the file it went to and
    /// which run was alive when it was written, with the stderr of every run.
    static func describe(schedule: [Kill], runs: [Run], messages: [String], rotations: [Int],
                         missing: [Int], total: Int) -> String {
        let repeats = messages.count - Set(messages).count
        var lines = ["seed \(seed); \(total) lines written; rotations (rename) at lines "
                     + "\(rotations); \(messages.count) events received, \(repeats) repeats"]
        for (index, run) in runs.enumerated() {
            let delivered = Set(messages[run.firstEvent..<min(run.endEvent, messages.count)])
            var again = 0
            if index + 1 < runs.count {
                let next = runs[index + 1]
                let later = messages[next.firstEvent..<min(next.endEvent, messages.count)]
                again = delivered.intersection(later).count
            }
            var ending = "SIGTERM"
            if index < schedule.count {
                ending = "SIGKILL after " + String(format: "%.2f s", schedule[index].uptime)
                if let rotateAt = schedule[index].rotateAt {
                    ending += String(format: " (rotation at %.2f s)", rotateAt)
                }
                if !run.killed { ending += " (but it had ended by itself)" }
            }
            lines.append("run \(index + 1): lines \(run.startLine)..<\(run.endLine) written "
                         + "meanwhile; \(run.endEvent - run.firstEvent) events received; \(ending); "
                         + "\(again) of them arrived again in the next run")
        }
        guard !missing.isEmpty else { return lines.joined(separator: "\n") }

        for number in missing.prefix(50) {
            // The late lines written right after a rename went to the renamed file.
            let generation = rotations.filter { number >= $0 + CrashWriter.lateLines }.count
            let age = rotations.count - generation
            let file = age == 0 ? "app.log" : "app.log.\(age)"
            let during = runs.firstIndex { $0.startLine <= number && number < $0.endLine }
            let alive = during.map { "while run \($0 + 1) lived" } ?? "while no shipper ran"
            lines.append("lost line \(number): now in \(file), written \(alive)")
        }
        if missing.count > 50 { lines.append("… and \(missing.count - 50) more lost lines") }
        for (index, run) in runs.enumerated() {
            lines.append("--- stderr of run \(index + 1) ---")
            lines.append(run.stderr.trimmingCharacters(in: .newlines))
        }
        return lines.joined(separator: "\n")
    }
}
