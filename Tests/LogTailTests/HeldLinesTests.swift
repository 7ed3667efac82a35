import AtomBase
import Foundation
@testable import LogTail
import Testing

/// A consumer that joins a line ending in `+` with the lines after it, up to one that does not:
/// the smallest grouping that holds lines across chunks, to check the tailer's side of holding.
final class Joiner: LineConsumer, @unchecked Sendable {
    // Safe: the state is touched by the tailer's thread and read by the test under `lock`.
    enum Reason: Equatable, Sendable { case line, quiet, released }

    struct Event: Equatable, Sendable {
        var lines: [String]
        var offset: Int64
        var reason: Reason
    }

    private struct Pending {
        var lines: [String]
        var offset: Int64
    }

    private let lock = NSLock()
    private var pending: [UInt32: Pending] = [:]
    private var made: [Event] = []
    private let quietAfter: Double
    weak var tailer: Tailer?

    init(quietAfter: Double) { self.quietAfter = quietAfter }

    var events: [Event] { lock.withLock { made } }
    var holding: Bool { lock.withLock { !pending.isEmpty } }

    func consume(_ chunk: LineChunk) -> Int {
        var count = 0
        for i in 0..<chunk.count {
            let text = String(decoding: chunk.line(i), as: UTF8.self)
            var group = pending[chunk.file.id] ?? Pending(lines: [], offset: chunk.offset(i))
            group.lines.append(text)
            if text.hasSuffix("+") {
                lock.withLock { pending[chunk.file.id] = group }
            } else {
                lock.withLock { pending[chunk.file.id] = nil }
                emit(group, .line, token: chunk.token)
                count += 1
            }
        }
        return count
    }

    func caughtUp() {}

    func heldOffset(of file: FileDescription) -> Int64? { lock.withLock { pending[file.id]?.offset } }

    func fileQuiet(_ file: FileDescription, quietSeconds: Double, token: UInt64) -> Int {
        guard quietSeconds >= quietAfter else { return 0 }
        return flush(file, .quiet, token: token)
    }

    func fileReleased(_ file: FileDescription, token: UInt64) -> Int { flush(file, .released, token: token) }

    private func flush(_ file: FileDescription, _ reason: Reason, token: UInt64) -> Int {
        guard let group = lock.withLock({ pending.removeValue(forKey: file.id) }) else { return 0 }
        emit(group, reason, token: token)
        return 1
    }

    private func emit(_ group: Pending, _ reason: Reason, token: UInt64) {
        lock.withLock { made.append(Event(lines: group.lines, offset: group.offset, reason: reason)) }
        tailer?.acknowledge(token: token, count: 1)
    }
}

/// Runs a tailer in follow mode with a `Joiner`.
final class JoinFollower: @unchecked Sendable {
    // Safe: set in init, read afterwards; `done` is thread-safe.
    let tailer: Tailer
    let joiner: Joiner
    private let done = DispatchSemaphore(value: 0)

    init(_ tailer: Tailer, quietAfter: Double) {
        self.tailer = tailer
        joiner = Joiner(quietAfter: quietAfter)
        joiner.tailer = tailer
        Thread { [tailer, joiner, done] in
            tailer.run(consumer: joiner, once: false)
            done.signal()
        }.start()
    }

    func stop() -> Bool {
        tailer.stop()
        return done.wait(timeout: .now() + 10) == .success
    }
}

@Suite("Lines a consumer holds")
struct HeldLinesTests {
    @Test("the checkpoint stops at the first held line and passes the group once its event settles")
    func checkpointStopsAtHeldLines() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let path = try scratch.write("app.log", lines: ["one", "two+"])
        let follower = JoinFollower(try harness.tailer(["app.log"]), quietAfter: 1000)
        #expect(poll(limit: 15) { follower.joiner.events.count == 1 && follower.joiner.holding })
        // Give the tailer passes in which it could (wrongly) settle the held line.
        usleep(300_000)
        #expect(follower.tailer.settledOffsets()[path] == 4)

        try scratch.append("app.log", "three\n")
        #expect(poll(limit: 15) { follower.joiner.events.count == 2 })
        #expect(poll(limit: 15) { follower.tailer.settledOffsets()[path] == 15 })
        #expect(follower.stop())
        #expect(follower.joiner.events == [
            .init(lines: ["one"], offset: 0, reason: .line),
            .init(lines: ["two+", "three"], offset: 4, reason: .line),
        ])
    }

    @Test("a quiet file gets its held lines emitted without waiting for another line")
    func quietFileFlushes() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let path = try scratch.write("app.log", lines: ["a", "b+", "c+"])
        let follower = JoinFollower(try harness.tailer(["app.log"]), quietAfter: 0.3)
        #expect(poll(limit: 15) { follower.joiner.events.count == 2 })
        #expect(poll(limit: 15) { follower.tailer.settledOffsets()[path] == 8 })
        #expect(follower.stop())
        #expect(follower.joiner.events == [
            .init(lines: ["a"], offset: 0, reason: .line),
            .init(lines: ["b+", "c+"], offset: 2, reason: .quiet),
        ])
    }

    @Test("the end of a --once run releases what is held, and the checkpoint covers it")
    func onceReleases() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        try scratch.write("app.log", lines: ["x", "y+"])
        let tailer = try harness.tailer(["app.log"])
        let joiner = Joiner(quietAfter: 1000)
        joiner.tailer = tailer
        let done = DispatchSemaphore(value: 0)
        Thread {
            tailer.run(consumer: joiner, once: true)
            done.signal()
        }.start()
        #expect(done.wait(timeout: .now() + onceLimit) == .success)
        tailer.commit()
        #expect(joiner.events == [
            .init(lines: ["x"], offset: 0, reason: .line),
            .init(lines: ["y+"], offset: 2, reason: .released),
        ])
        #expect(try harness.store.load(input: "test").first?.offset == 5)
    }

    @Test("a stop mid-group checkpoints before the group, so the next run reads it whole")
    func stopMidGroupRereads() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        try scratch.write("app.log", lines: ["first", "start+", "middle+"])
        let follower = JoinFollower(try harness.tailer(["app.log"]), quietAfter: 1000)
        #expect(poll(limit: 15) { follower.joiner.events.count == 1 && follower.joiner.holding })
        #expect(follower.stop())
        follower.tailer.commit()
        #expect(try harness.store.load(input: "test").first?.offset == 6)

        try scratch.append("app.log", "end\n")
        let again = JoinFollower(try harness.tailer(["app.log"]), quietAfter: 1000)
        #expect(poll(limit: 15) { again.joiner.events.count == 1 })
        #expect(again.stop())
        #expect(again.joiner.events == [.init(lines: ["start+", "middle+", "end"], offset: 6, reason: .line)])
    }

    @Test("a file rotated away releases what is held")
    func rotationReleases() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        try scratch.write("app.log", lines: ["r1", "r2+"])
        let follower = JoinFollower(try harness.tailer(["app.log"]) { $0.rescanInterval = 0.05 }, quietAfter: 1000)
        #expect(poll(limit: 15) { follower.joiner.events.count == 1 && follower.joiner.holding })
        try scratch.rename("app.log", "app.log.1")
        #expect(poll(limit: 15) { follower.joiner.events.count == 2 })
        #expect(follower.stop())
        #expect(follower.joiner.events.last == .init(lines: ["r2+"], offset: 3, reason: .released))
    }

    @Test("a file truncated under held lines releases them before it is read from the start")
    func truncationReleases() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let path = try scratch.write("app.log", lines: ["t1", "t2+"])
        let follower = JoinFollower(try harness.tailer(["app.log"]), quietAfter: 1000)
        #expect(poll(limit: 15) { follower.joiner.events.count == 1 && follower.joiner.holding })
        try tool("truncate", ["-s", "0", path])
        try scratch.append("app.log", "new\n")
        #expect(poll(limit: 15) { follower.joiner.events.count == 3 })
        #expect(follower.stop())
        #expect(follower.joiner.events == [
            .init(lines: ["t1"], offset: 0, reason: .line),
            .init(lines: ["t2+"], offset: 3, reason: .released),
            .init(lines: ["new"], offset: 0, reason: .line),
        ])
    }
}
