import Foundation
import Glibc
import Testing
import TestSupport

/// One end-to-end case of the real binary on files in a temporary folder, delivering to the file
/// transport (`out/case.jsonl`, one event per line): the test writes, renames, truncates and
/// compresses files, runs the shipper, and compares the delivered lines with the lines it wrote.
final class FileCase {
    let dir: TempDir
    let configPath: String
    private var runs: [RunningShipper] = []

    /// - Parameters:
    ///   - input: the input's keys besides `name` and `stream` (JSON5), e.g. `paths: ["*.log"]`.
    ///   - top: more top-level keys (JSON5, each followed by a comma).
    ///   - tracker: the tracker's keys.
    init(_ input: String, top: String = "", tracker: String = "flushIntervalMs: 50",
         prefix: String = "atom-case") throws {
        dir = try TempDir(prefix: prefix)
        configPath = dir.file("shipper.json5")
        try writeText("""
            {
              output: { directory: "out" },
              checkpoints: { path: "state/cp.sqlite", commitIntervalMs: 50 },
              deadLetter: { path: "state/dead.jsonl" },
              tracker: { \(tracker) },
              \(top)
              inputs: [{ name: "case", stream: "case", \(input) }],
            }
            """, to: configPath)
    }

    deinit {
        for run in runs where run.process.isRunning {
            kill(run.process.processIdentifier, SIGKILL)
            run.process.waitUntilExit()
        }
    }

    func path(_ name: String) -> String { dir.file(name) }

    /// Creates (or replaces) `name` with `bytes`, making its folders.
    func write(_ name: String, bytes: [UInt8]) throws {
        let target = path(name)
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: target).deletingLastPathComponent().path,
                                                withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: target, contents: Data(bytes)) else {
            throw ToolError(description: "cannot write \(target)")
        }
    }

    func write(_ name: String, _ text: String) throws { try write(name, bytes: Array(text.utf8)) }

    /// Writes `lines`, each followed by a line feed.
    func write(_ name: String, lines: [String]) throws { try write(name, lines.map { $0 + "\n" }.joined()) }

    /// Appends with O_APPEND, as a log writer does.
    func append(_ name: String, _ text: String) {
        let writer = AppendingWriter(path: path(name))
        var text = text
        if text.hasSuffix("\n") { text.removeLast() }
        writer.write(text)
    }

    func append(_ name: String, lines: [String]) {
        let writer = AppendingWriter(path: path(name))
        for line in lines { writer.write(line) }
    }

    /// `atom-shipper run --once` (plus `arguments`).
    func runOnce(_ arguments: [String] = [], timeout: Double = 60) throws -> ShipperBinary.Result {
        try ShipperBinary.run(["run", "--once", "--config", configPath] + arguments, timeout: timeout)
    }

    /// Starts `atom-shipper run` in follow mode; it is killed when the case ends if still running.
    @discardableResult
    func start() throws -> RunningShipper {
        let run = try ShipperBinary.start(["run", "--config", configPath])
        runs.append(run)
        return run
    }

    /// The events delivered so far, decoded.
    var events: [[String: Any]] {
        ((try? fileLines(path("out/case.jsonl"))) ?? []).map(decode)
    }

    /// The `message` of every delivered event, in the order they were written out.
    var messages: [String] { events.map { $0["message"] as? String ?? "" } }

    /// The raw JSON lines delivered so far.
    var rawEvents: [String] { (try? fileLines(path("out/case.jsonl"))) ?? [] }

    /// Waits until at least `count` events are delivered.
    @discardableResult
    func waitForEvents(_ count: Int, timeout: Double = 30) -> Bool {
        eventually(timeout: timeout) { messages.count >= count }
    }

    /// Waits until `run`'s standard error contains `text`.
    @discardableResult
    func waitForLog(_ run: RunningShipper, _ text: String, timeout: Double = 30) -> Bool {
        eventually(timeout: timeout) { run.stderr.contains(text) }
    }

    /// Checks that exactly `expected` was delivered: the same count, each line as often as in
    /// `expected` (so nothing repeated, nothing missing, nothing else).
    func expectDelivered(_ expected: [String], _ context: String = "",
                         sourceLocation: SourceLocation = #_sourceLocation) {
        let got = messages
        let expectedCounts = multiset(expected)
        let gotCounts = multiset(got)
        let lacking = expectedCounts.filter { gotCounts[$0.key, default: 0] < $0.value }.map(\.key).sorted()
        let extra = gotCounts.filter { expectedCounts[$0.key, default: 0] < $0.value }.map(\.key).sorted()
        #expect(got.count == expected.count && lacking.isEmpty && extra.isEmpty,
                """
                \(context) delivered \(got.count) of \(expected.count) expected events; \
                missing or short: \(lacking.prefix(5)); repeated or unexpected: \(extra.prefix(5))
                """, sourceLocation: sourceLocation)
    }

    /// The descriptors `run` holds on files inside the case's folder (from /proc/PID/fd).
    func descriptorsInFolder(_ run: RunningShipper) -> Int {
        Self.descriptors(of: run.process.processIdentifier, in: dir.path)
    }

    /// The descriptors process `pid` holds on files inside `folder`, its `out/` and `state/` aside.
    static func descriptors(of pid: Int32, in folder: String) -> Int {
        let fdFolder = "/proc/\(pid)/fd"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: fdFolder) else { return 0 }
        var count = 0
        for entry in entries {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: fdFolder + "/" + entry)
            else { continue }
            guard target.hasPrefix(folder + "/") && !target.hasPrefix(folder + "/out/")
                && !target.hasPrefix(folder + "/state/") else { continue }
            // A folder being listed by a rescan is not a file held open.
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: target, isDirectory: &isFolder) && isFolder.boolValue { continue }
            count += 1
        }
        return count
    }

    /// Sets a file's modification time `seconds` into the past.
    func age(_ name: String, seconds: Double) throws {
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-seconds)],
                                              ofItemAtPath: path(name))
    }

    func inode(_ name: String) -> UInt64 {
        var st = stat()
        return stat(path(name), &st) == 0 ? UInt64(st.st_ino) : 0
    }
}

/// `count` distinct lines tagged `tag`, each padded to at least `width` bytes.
func taggedLines(_ tag: String, _ count: Int, width: Int = 0) -> [String] {
    (0..<count).map { i in
        let base = "\(tag) line \(i)"
        return base.count >= width ? base : base + String(repeating: "-", count: width - base.count)
    }
}
