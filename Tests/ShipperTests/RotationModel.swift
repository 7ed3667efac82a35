import Foundation
import Glibc
import Synchronization
import TestSupport

/// The files of one model run and the model of what they mean for delivery.
///
/// `app.log` is written through one O_APPEND descriptor; its rotated files are `app.log.1`
/// (newest) to `app.log.N`, each plain or gzip-compressed. Every operation changes the real files
/// and, beside that, the model: which line numbers each file holds, which lines the shipper must
/// deliver (`required`) and which it may deliver or not (`optional`).
final class RotationModelFiles {
    let dir: TempDir
    let seed: UInt64
    /// Rotated files kept; a rotation beyond it first deletes the oldest (as logrotate's `rotate N`).
    let keep: Int
    private let writer: AppendingWriter
    /// Line numbers each file holds, by name, in file order.
    private(set) var content: [String: [Int]] = ["app.log": []]
    /// Whether each rotated file is compressed; index 0 is `app.log.1`.
    private(set) var compressed: [Bool] = []
    /// Lines that must be delivered: every line in a file the shipper could see.
    private(set) var required = Set<Int>()
    /// Lines that may be delivered or not: those a copytruncate loses between its copy and its
    /// truncate, and those of a file deleted while no shipper ran which had not arrived by then.
    private(set) var optional = Set<Int>()
    /// Lines written so far (line numbers are 0..<written).
    private(set) var written = 0

    init(dir: TempDir, seed: UInt64, keep: Int) {
        self.dir = dir
        self.seed = seed
        self.keep = keep
        writer = AppendingWriter(path: dir.file("app.log"))
    }

    /// The text of line `number`: unique within its first 20 bytes and at least 80 bytes long,
    /// so that with `fingerprintBytes: 64` every file that holds a line is identified by content.
    static func line(_ number: Int, seed: UInt64) -> String {
        let digits = String(number)
        let padded = String(repeating: "0", count: max(0, 6 - digits.count)) + digits
        let head = "model line \(padded) seed \(seed) "
        return head + String(repeating: "m", count: max(0, 80 - head.count) + number * 13 % 50)
    }

    /// The number of a line `line(_:seed:)` made, or nil.
    static func number(of message: String) -> Int? {
        let parts = message.split(separator: " ", maxSplits: 3)
        guard parts.count >= 3, parts[0] == "model", parts[1] == "line" else { return nil }
        return Int(parts[2])
    }

    /// `app.log.<index + 1>`, with `.gz` when that rotated file is compressed.
    func rotatedName(_ index: Int) -> String {
        "app.log.\(index + 1)" + (compressed[index] ? ".gz" : "")
    }

    /// The indices of the rotated files that are not compressed.
    var plainRotated: [Int] { compressed.indices.filter { !compressed[$0] } }

    /// Appends `count` lines to `app.log`, one `write` each.
    func write(_ count: Int) {
        for _ in 0..<count { content["app.log", default: []].append(append(to: writer)) }
    }

    /// Rename rotation: the rotated files move up one number, `app.log` becomes `app.log.1`,
    /// `late` lines still go to it through the open descriptor, then the writer opens a new
    /// `app.log`.
    func renameRotate(late: Int) throws {
        try makeRoomAndShift()
        try move("app.log", to: "app.log.1")
        compressed.insert(false, at: 0)
        for _ in 0..<late { content["app.log.1", default: []].append(append(to: writer)) }
        writer.reopen()
        content["app.log"] = []
    }

    /// Copytruncate: the rotated files move up one number, `app.log` is copied to `app.log.1`,
    /// `window` lines are appended to `app.log` after the copy, `beforeTruncate` is called with
    /// them (the test may wait there until the shipper has read them, so that the copy is shorter
    /// than what was read of the live file), then `app.log` is truncated to 0 (the writer keeps its
    /// descriptor). The window's lines are lost by the copytruncate itself.
    func copyTruncate(window: Int, beforeTruncate: (Set<Int>) -> Void = { _ in }) throws {
        try makeRoomAndShift()
        let live = dir.file("app.log")
        guard let bytes = FileManager.default.contents(atPath: live),
              FileManager.default.createFile(atPath: dir.file("app.log.1"), contents: bytes) else {
            throw ToolError(description: "cannot copy app.log to app.log.1")
        }
        compressed.insert(false, at: 0)
        content["app.log.1"] = content["app.log"] ?? []
        var windowLines = Set<Int>()
        for _ in 0..<window { windowLines.insert(append(to: writer, required: false)) }
        optional.formUnion(windowLines)
        beforeTruncate(windowLines)
        guard truncate(live, 0) == 0 else { throw ToolError(description: "truncate app.log: errno \(errno)") }
        content["app.log"] = []
    }

    /// Compresses rotated file `index` (plain) with the real `gzip`, which writes `NAME.gz` and
    /// removes `NAME`.
    func compress(_ index: Int) throws {
        let name = rotatedName(index)
        try tool("/bin/gzip", [dir.file(name)])
        compressed[index] = true
        content[rotatedName(index)] = content.removeValue(forKey: name) ?? []
    }

    /// The oldest rotated file's name and lines, if there is one.
    var oldest: (name: String, lines: [Int])? {
        guard !compressed.isEmpty else { return nil }
        let name = rotatedName(compressed.count - 1)
        return (name, content[name] ?? [])
    }

    /// Deletes the oldest rotated file. `givenUp` are its lines the shipper may never deliver
    /// (it was deleted while no shipper ran before they arrived).
    func deleteOldest(givenUp: Set<Int>) throws {
        guard let (name, _) = oldest else { return }
        guard unlink(dir.file(name)) == 0 else { throw ToolError(description: "unlink \(name): errno \(errno)") }
        compressed.removeLast()
        content[name] = nil
        required.subtract(givenUp)
        optional.formUnion(givenUp)
    }

    /// A one-line summary of the files (for failure reports).
    var summary: String {
        content.keys.sorted().map { "\($0): \(content[$0]?.count ?? 0) lines" }.joined(separator: ", ")
    }

    /// At `keep` rotated files, the oldest is deleted first (callers make sure its lines arrived
    /// or give them up; see `deleteOldest`), then each rotated file moves up one number.
    private func makeRoomAndShift() throws {
        precondition(compressed.count < keep, "the caller deletes the oldest first")
        for index in compressed.indices.reversed() {
            let name = rotatedName(index)
            let next = "app.log.\(index + 2)" + (compressed[index] ? ".gz" : "")
            try move(name, to: next)
        }
    }

    private func move(_ name: String, to target: String) throws {
        guard rename(dir.file(name), dir.file(target)) == 0 else {
            throw ToolError(description: "rename \(name) \(target): errno \(errno)")
        }
        content[target] = content.removeValue(forKey: name) ?? []
    }

    /// Writes the next line through `writer`; returns its number.
    private func append(to writer: AppendingWriter, required isRequired: Bool = true) -> Int {
        let number = written
        writer.write(Self.line(number, seed: seed))
        written += 1
        if isRequired { required.insert(number) }
        return number
    }
}

/// The events the receiver recorded, decoded once each, with the shipper run that was the latest
/// to start when each arrived.
final class ModelDeliveryLog {
    struct Event {
        var message: String
        var id: String?
        var number: Int?
        var run: Int
    }

    let receiver: AtomReceiver
    let stream: String
    private(set) var events: [Event] = []
    /// Distinct line numbers delivered so far.
    private(set) var numbers = Set<Int>()
    /// The current run (0 for the first start).
    private(set) var run = -1

    init(receiver: AtomReceiver, stream: String) {
        self.receiver = receiver
        self.stream = stream
    }

    /// Decodes the events that arrived since the last call.
    func update() {
        let all = receiver.events(stream: stream)
        guard all.count > events.count else { return }
        for text in all[events.count...] {
            let event = decode(text)
            let message = event["message"] as? String ?? ""
            let number = RotationModelFiles.number(of: message)
            if let number { numbers.insert(number) }
            events.append(Event(message: message, id: event["event_id"] as? String, number: number, run: run))
        }
    }

    /// Marks the start of a new run: later events are counted as its own.
    func beginRun() {
        update()
        run += 1
    }

    /// Waits until every line of `lines` has arrived; false after `timeout` seconds.
    func waitFor(_ lines: Set<Int>, timeout: Double) -> Bool {
        eventually(timeout: timeout) {
            update()
            return lines.isSubset(of: numbers)
        }
    }

    /// Waits until no event has arrived for `quiet` seconds (at most `timeout`): what a killed
    /// shipper had already sent is recorded.
    func settle(quiet: Double = 0.15, timeout: Double = 3) {
        let deadline = Date().addingTimeInterval(timeout)
        var count = receiver.events(stream: stream).count
        var since = Date()
        while Date() < deadline {
            usleep(20_000)
            let now = receiver.events(stream: stream).count
            if now != count {
                count = now
                since = Date()
            } else if Date().timeIntervalSince(since) >= quiet {
                break
            }
        }
        update()
    }
}

/// Samples the receiver's event count every 10 ms on a thread of its own, so that the count of
/// events that arrived in the last moments before a kill can be looked up afterwards.
final class DeliveryClock: Sendable {
    private struct State {
        var samples: [(time: Double, count: Int)] = []
        var stopRequested = false
        var finished = false
    }

    private let state = Mutex(State())
    private let receiver: AtomReceiver

    init(receiver: AtomReceiver) {
        self.receiver = receiver
        let thread = Thread { [self] in run() }
        thread.name = "delivery-clock"
        thread.start()
    }

    /// Seconds on the monotonic clock.
    static func now() -> Double { CrashWriter.monotonicSeconds() }

    /// Events that arrived in the `seconds` before now (from the latest sample at or before then).
    func arrivals(inLast seconds: Double) -> Int {
        let count = receiver.allEvents.count
        let since = Self.now() - seconds
        let before = state.withLock { state in
            state.samples.last { $0.time <= since }?.count ?? 0
        }
        return count - before
    }

    func stop() {
        state.withLock { $0.stopRequested = true }
        _ = eventually(timeout: 2) { state.withLock { $0.finished } }
    }

    private func run() {
        while !state.withLock({ $0.stopRequested }) {
            let sample = (time: Self.now(), count: receiver.allEvents.count)
            state.withLock { $0.samples.append(sample) }
            usleep(10_000)
        }
        state.withLock { $0.finished = true }
    }
}
