import Foundation
import Glibc
import Testing
import TestSupport

/// One follow-mode run of the real shipper beside the real logrotate: a temporary folder holding
/// `app.log`, a loopback receiver, an O_APPEND writer, logrotate configs, and a copy of every
/// `app.log*` file taken just before each rotation (so that lines of files logrotate deletes still
/// count as expected).
///
/// The writer and the rotations run one after the other on the test's thread, so every line the
/// test wrote is in a file when logrotate runs; the shipper runs concurrently with both.
final class LogrotateScenario {
    let dir: TempDir
    let receiver: AtomReceiver
    /// `<dir>/app.log`.
    let log: String
    let writer: AppendingWriter
    let config: String
    /// logrotate's state file (inside the temporary folder, outside the glob).
    let state: String
    /// Every line the writer wrote, in order.
    private(set) var written: [String] = []
    /// The running shipper, if any.
    private(set) var shipper: RunningShipper?
    private var started: [RunningShipper] = []
    private var nextLine = 0
    private var snapshots = 0

    /// Sets up the folder, the receiver and the shipper's config (the shipper is not started yet).
    /// - Parameters:
    ///   - slowReceiver: the first `delayedAnswers` requests are answered `answerDelay` seconds
    ///     late and the tracker's backlog is small (300 events, batches of 50), so that the shipper
    ///     is still behind the writer when files are rotated, compressed or deleted.
    init(slowReceiver: Bool = false, delayedAnswers: Int = 40, answerDelay: Double = 0.1) throws {
        dir = try TempDir(prefix: "atom-logrotate")
        receiver = try AtomReceiver()
        log = dir.file("app.log")
        writer = AppendingWriter(path: log)
        config = dir.file("shipper.json5")
        state = dir.file("logrotate.state")
        var tracker = "batchSize: 200, flushIntervalMs: 100"
        if slowReceiver {
            tracker = "batchSize: 50, flushIntervalMs: 100, backlogEvents: 300"
            receiver.plan(Array(repeating: .delay(seconds: answerDelay), count: delayedAnswers))
        }
        try """
        {
          atom: { endpoint: "\(receiver.endpoint)" },
          checkpoints: { path: "state/cp.sqlite", commitIntervalMs: 100 },
          deadLetter: { path: "state/dead.jsonl" },
          tracker: { \(tracker) },
          inputs: [{ name: "app", paths: ["app.log*"], rotateIdleMs: 500, rescanIntervalMs: 200,
                     stream: "app" }],
        }
        """.write(toFile: config, atomically: true, encoding: .utf8)
    }

    deinit {
        for run in started {
            if run.process.isRunning {
                kill(run.process.processIdentifier, SIGKILL)
                run.process.waitUntilExit()
            }
            // The harness keeps the output files in a folder of their own; remove it.
            let folder = URL(fileURLWithPath: run.stderrPath).deletingLastPathComponent().path
            try? FileManager.default.removeItem(atPath: folder)
        }
        receiver.stop()
    }

    /// Starts `atom-shipper run` (follow mode) on the config.
    func start() throws {
        let run = try ShipperBinary.start(["run", "--config", config])
        started.append(run)
        shipper = run
    }

    /// Stops the running shipper with SIGTERM and waits for it to exit.
    func stop() -> ShipperBinary.Result? {
        defer { shipper = nil }
        return shipper?.terminate()
    }

    /// Writes a logrotate config for `app.log` with `directives`, one a line; returns its path.
    func logrotateConfig(_ name: String, _ directives: [String]) throws -> String {
        let path = dir.file(name)
        let body = directives.map { "  \($0)\n" }.joined()
        try "\(log) {\n\(body)}\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Appends `count` lines tagged `tag` through the writer, pausing briefly every ten lines
    /// (about 2000 lines a second).
    func write(_ count: Int, tag: String) {
        for n in 0..<count {
            let line = "\(tag) line \(nextLine) \(String(repeating: "r", count: 40 + nextLine % 30))"
            nextLine += 1
            writer.write(line)
            written.append(line)
            if n % 10 == 9 { usleep(5_000) }
        }
    }

    /// Copies every `app.log*` file to `snapshots/<n>/`, then runs
    /// `logrotate -f -s <state> <conf>` (failing the caller if logrotate fails).
    func rotate(_ conf: String) throws {
        snapshots += 1
        let folder = dir.file("snapshots/\(snapshots)")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in logFiles(in: dir.path) {
            try FileManager.default.copyItem(atPath: dir.file(name), toPath: folder + "/" + name)
        }
        try tool("/usr/sbin/logrotate", ["-f", "-s", state, conf])
    }

    /// The names of the `app.log*` files in `folder`, sorted.
    func logFiles(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasPrefix("app.log") }.sorted()
    }

    /// The names of the `app.log*` files in the temporary folder now, sorted.
    var finalNames: [String] { logFiles(in: dir.path) }

    /// Waits (up to `timeout` seconds) until at least `count` events have arrived.
    func waitForEvents(_ count: Int, timeout: Double = 30) -> Bool {
        eventually(timeout: timeout) { receiver.allEvents.count >= count }
    }

    /// The `message` of every event the receiver recorded, in arrival order.
    var delivered: [String] {
        receiver.events(stream: "app").map { decode($0)["message"] as? String ?? "" }
    }

    /// What `finishAndVerify` saw.
    struct Outcome {
        /// Lines of the files at the end.
        var finalLines: Set<String>
        /// Lines of the snapshots that are in no final file (files logrotate deleted).
        var deletedLines: Set<String>
        /// The last run's exit status and output.
        var result: ShipperBinary.Result?
    }

    /// Computes the expected lines (the `app.log*` files at the end, gzip decompressed, plus the
    /// snapshots), waits until that many events arrived and a little longer for any repeat, stops
    /// the shipper, and checks: every expected line delivered exactly once, nothing else.
    @discardableResult
    func finishAndVerify(sourceLocation: SourceLocation = #_sourceLocation) throws -> Outcome {
        var finalLines: [String] = []
        for name in finalNames { finalLines += try fileLines(dir.file(name)) }
        var snapshotLines = Set<String>()
        for n in stride(from: 1, through: snapshots, by: 1) {
            let folder = dir.file("snapshots/\(n)")
            for name in logFiles(in: folder) {
                snapshotLines.formUnion(try fileLines(folder + "/" + name))
            }
        }
        let finalSet = Set(finalLines)
        let expected = finalSet.union(snapshotLines)
        #expect(finalSet.count == finalLines.count, "the files themselves hold repeated lines",
                sourceLocation: sourceLocation)
        // The test's own bookkeeping: the writer and logrotate never run at the same time, so no
        // written line can be missing from every file and snapshot.
        let unfiled = Set(written).subtracting(expected).count
        let unwritten = expected.subtracting(written).count
        #expect(expected == Set(written),
                "\(unfiled) written lines are in no file, \(unwritten) lines in files were never written",
                sourceLocation: sourceLocation)

        let arrived = waitForEvents(expected.count)
        if arrived { usleep(1_500_000) }  // past rotateIdle and a few rescans: any repeat arrives now
        let result = stop()
        let stderr = result?.stderr ?? ""
        let count = receiver.allEvents.count
        #expect(arrived, "only \(count) of \(expected.count) events arrived; stderr:\n\(stderr)",
                sourceLocation: sourceLocation)
        #expect(result?.status == 0, "exit status \(result?.status ?? -1); stderr:\n\(stderr)",
                sourceLocation: sourceLocation)

        let counts = multiset(delivered)
        let repeated = counts.filter { $0.value > 1 }.map(\.key).sorted()
        let missing = expected.subtracting(counts.keys).sorted()
        let unexpected = Set(counts.keys).subtracting(expected).sorted()
        #expect(repeated.isEmpty,
                "\(repeated.count) delivered more than once, e.g. \(repeated.prefix(3))\nstderr:\n\(stderr)",
                sourceLocation: sourceLocation)
        #expect(missing.isEmpty,
                "\(missing.count) never delivered, e.g. \(missing.prefix(3))\nstderr:\n\(stderr)",
                sourceLocation: sourceLocation)
        #expect(unexpected.isEmpty,
                "\(unexpected.count) lines delivered that no file holds, e.g. \(unexpected.prefix(3))",
                sourceLocation: sourceLocation)
        let deleted = snapshotLines.subtracting(finalSet)
        return Outcome(finalLines: finalSet, deletedLines: deleted, result: result)
    }
}
