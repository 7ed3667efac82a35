import AtomBase
import Foundation
import Glibc
@testable import LogTail
import Testing

// MARK: Temporary folder

/// A folder made with mkdtemp under /tmp, removed with everything in it on deinit.
final class Scratch {
    let path: String

    init() throws {
        // mkdtemp(3) fills in the six trailing template characters.
        var template = Array(("/tmp/logtail-test." + String(repeating: "X", count: 6)).utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            return mkdtemp(base) != nil
        }
        guard made else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    /// Creates (or replaces) `name` with `bytes`.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let target = file(name)
        let fd = try Sys.open(target, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644)
        defer { Sys.close(fd) }
        try bytes.withUnsafeBytes { try Sys.writeAll(fd, $0, path: target) }
        return target
    }

    @discardableResult
    func write(_ name: String, lines: [String], terminator: String = "\n") throws -> String {
        try write(name, Array(lines.map { $0 + terminator }.joined().utf8))
    }

    /// Appends with O_APPEND, as a well-behaved log writer does.
    func append(_ name: String, _ text: String) throws {
        let target = file(name)
        let fd = try Sys.open(target, O_WRONLY | O_CREAT | O_APPEND, mode: 0o644)
        defer { Sys.close(fd) }
        let bytes = Array(text.utf8)
        try bytes.withUnsafeBytes { try Sys.writeAll(fd, $0, path: target) }
    }

    func rename(_ from: String, _ to: String) throws { try Sys.rename(file(from), file(to)) }

    func remove(_ name: String) throws { try Sys.unlink(file(name)) }

    func inode(_ name: String) throws -> UInt64 { try Sys.stat(path: file(name)).inode }

    func size(_ name: String) throws -> Int64 { try Sys.stat(path: file(name)).size }
}

// MARK: External tools

/// Runs a tool found on PATH (gzip, cp, truncate) and returns its standard output.
@discardableResult
func tool(_ name: String, _ arguments: [String]) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [name] + arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        let command = ([name] + arguments).joined(separator: " ")
        throw ToolFailure(command: command, status: process.terminationStatus)
    }
    return Array(data)
}

struct ToolFailure: Error, CustomStringConvertible {
    var command: String
    var status: Int32
    var description: String { "\(command) exited with status \(status)" }
}

/// The output of the real gzip(1) for `bytes` (no name or time stored, so the output is reproducible).
func gzipped(_ bytes: [UInt8], in scratch: Scratch) throws -> [UInt8] {
    let input = try scratch.write("gzip-input-\(UUID().uuidString)", bytes)
    defer { unlink(input) }
    return try tool("gzip", ["-c", "-n", input])
}

// MARK: Lines the tests write

/// `count` distinct lines; `width` pads each to a fixed length so that tests can reach
/// fingerprint sizes with few lines.
func makeLines(_ tag: String, _ count: Int, width: Int = 0) -> [String] {
    (1...count).map { i in
        let base = "\(tag) line \(i)"
        return base.count >= width ? base : base + String(repeating: ".", count: width - base.count)
    }
}

/// Offsets of each line's first byte when `lines` are written one after another with `terminator`.
func offsets(of lines: [String], terminator: String = "\n", from start: Int64 = 0) -> [Int64] {
    var result: [Int64] = []
    var at = start
    for line in lines {
        result.append(at)
        at += Int64(line.utf8.count + terminator.utf8.count)
    }
    return result
}

func byteCount(_ lines: [String], terminator: String = "\n") -> Int64 {
    Int64(lines.reduce(0) { $0 + $1.utf8.count + terminator.utf8.count })
}

// MARK: Consumer

/// One line as the consumer saw it.
struct SeenLine: Equatable, Sendable, CustomStringConvertible {
    var text: String
    var offset: Int64
    var truncated: Bool
    var path: String
    var isGzip: Bool

    var description: String { "\(Path.base(of: path))@\(offset):\(text)\(truncated ? " (cut)" : "")" }
}

/// One chunk as the consumer saw it: its token and the index range of its lines in `lines`.
struct SeenChunk: Sendable {
    var token: UInt64
    var lines: Range<Int>
}

/// Records every line with its offset and file, and acknowledges each chunk's events at once
/// (`acknowledgeAtOnce`) or leaves that to the test (`acknowledge(chunk:)`).
final class Recorder: LineConsumer, @unchecked Sendable {
    // Safe: the mutable state is only touched under `lock`; `tailer` is set once before `run`.
    private let lock = NSLock()
    private var seen: [SeenLine] = []
    private var seenChunks: [SeenChunk] = []
    private var caughtUpCount = 0
    let acknowledgeAtOnce: Bool
    weak var tailer: Tailer?

    init(acknowledgeAtOnce: Bool = true) {
        self.acknowledgeAtOnce = acknowledgeAtOnce
    }

    func consume(_ chunk: LineChunk) -> Int {
        var batch: [SeenLine] = []
        for i in 0..<chunk.count {
            batch.append(SeenLine(text: String(decoding: chunk.line(i), as: UTF8.self), offset: chunk.offset(i),
                                  truncated: chunk.isTruncated(i), path: chunk.file.path,
                                  isGzip: chunk.file.isGzip))
        }
        lock.withLock {
            seenChunks.append(SeenChunk(token: chunk.token, lines: seen.count..<(seen.count + batch.count)))
            seen += batch
        }
        if acknowledgeAtOnce { tailer?.acknowledge(token: chunk.token, count: chunk.count) }
        return chunk.count
    }

    func caughtUp() { lock.withLock { caughtUpCount += 1 } }

    var lines: [SeenLine] { lock.withLock { seen } }
    var texts: [String] { lines.map(\.text) }
    var chunks: [SeenChunk] { lock.withLock { seenChunks } }
    var caughtUps: Int { lock.withLock { caughtUpCount } }

    func texts(in file: String) -> [String] { lines.filter { Path.base(of: $0.path) == file }.map(\.text) }
    func lines(in file: String) -> [SeenLine] { lines.filter { Path.base(of: $0.path) == file } }

    /// Acknowledges every event of chunk `index` (one event per line).
    func acknowledge(chunk index: Int) {
        let chunk = chunks[index]
        tailer?.acknowledge(token: chunk.token, count: chunk.lines.count)
    }
}

// MARK: Running a tailer

/// A tailer over its own checkpoint database in `scratch`, with quiet logs captured for inspection.
struct Harness {
    let scratch: Scratch
    let store: CheckpointStore
    let logger = Logger(level: .debug, fd: -1, captureLines: true)

    init(scratch: Scratch) throws {
        self.scratch = scratch
        store = try CheckpointStore(path: scratch.file("state/checkpoints.db"))
    }

    func options(_ patterns: [String], configure: (inout TailOptions) -> Void = { _ in }) -> TailOptions {
        var options = TailOptions(input: "test", paths: patterns.map { scratch.file($0) })
        configure(&options)
        return options
    }

    func tailer(_ patterns: [String], configure: (inout TailOptions) -> Void = { _ in }) throws -> Tailer {
        try Tailer(options: options(patterns, configure: configure), store: store, logger: logger)
    }

    /// Runs `tailer` once with a fresh recorder and returns what it saw; commits at the end when
    /// every chunk was acknowledged at once.
    func once(_ tailer: Tailer, acknowledgeAtOnce: Bool = true, commit: Bool = true) -> Recorder {
        let recorder = Recorder(acknowledgeAtOnce: acknowledgeAtOnce)
        recorder.tailer = tailer
        let returned = runOnce(tailer, recorder)
        #expect(returned, "Tailer.run(once: true) did not return within \(onceLimit) s")
        if commit { tailer.commit() }
        return recorder
    }
}

let onceLimit = 15.0

/// Runs `tailer.run(once: true)` on a thread; if it has not returned within `onceLimit` seconds it is
/// stopped and false is returned (so that a hang fails the test instead of the whole run).
func runOnce(_ tailer: Tailer, _ consumer: Recorder) -> Bool {
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        tailer.run(consumer: consumer, once: true)
        done.signal()
    }
    thread.start()
    if done.wait(timeout: .now() + onceLimit) == .success { return true }
    tailer.stop()
    _ = done.wait(timeout: .now() + 10)
    return false
}

/// A tailer following on its own thread until `stop()`.
final class Follower: @unchecked Sendable {
    // Safe: the fields are set in init and only read afterwards; `done` is thread-safe.
    let tailer: Tailer
    let recorder: Recorder
    private let done = DispatchSemaphore(value: 0)

    init(_ tailer: Tailer, recorder: Recorder = Recorder()) {
        self.tailer = tailer
        self.recorder = recorder
        recorder.tailer = tailer
        let thread = Thread { [tailer, recorder, done] in
            tailer.run(consumer: recorder, once: false)
            done.signal()
        }
        thread.start()
    }

    /// Waits (polling, up to `limit` seconds) until the recorder has at least `count` lines.
    @discardableResult
    func waitForLines(_ count: Int, limit: Double = 15) -> Bool {
        poll(limit: limit) { recorder.lines.count >= count }
    }

    /// Stops the tailer and returns whether `run` returned within `limit` seconds.
    func stop(limit: Double = 10) -> Bool {
        tailer.stop()
        return done.wait(timeout: .now() + limit) == .success
    }
}

/// Polls `condition` every 10 ms until it holds or `limit` seconds pass.
@discardableResult
func poll(limit: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(limit)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
