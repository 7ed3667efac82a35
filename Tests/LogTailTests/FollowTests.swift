import AtomBase
import Foundation
import Glibc
@testable import LogTail
import Testing

/// An O_APPEND writer that keeps its descriptor, as a logging process does.
final class AppendWriter {
    private let fd: Int32

    init(_ path: String) throws { fd = try Sys.open(path, O_WRONLY | O_CREAT | O_APPEND, mode: 0o644) }

    deinit { Sys.close(fd) }

    func write(_ lines: [String]) throws {
        for line in lines {
            let bytes = Array((line + "\n").utf8)
            try bytes.withUnsafeBytes { try Sys.writeAll(fd, $0) }
        }
    }
}

@Suite("Tailer follow mode")
struct FollowTests {
    @Test("appends, a rename rotation and a new file: every line arrives exactly once; stop returns",
          arguments: ["app.log", "app.log*"])
    func appendRotateCreate(pattern: String) throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let a = makeLines("old A", 5)
        try scratch.write("app.log", lines: a)
        let follower = Follower(try harness.tailer([pattern]) { $0.commitInterval = 0 })
        var stopped = false
        defer { if !stopped { _ = follower.stop() } }
        #expect(follower.waitForLines(a.count))

        // Appends by separate opens, then by a writer that keeps its descriptor across the rotation.
        let b = makeLines("old B", 20)
        for line in b { try scratch.append("app.log", line + "\n") }
        let writer = try AppendWriter(scratch.file("app.log"))
        let c = makeLines("old C", 3)
        try writer.write(c)
        #expect(follower.waitForLines(a.count + b.count + c.count))

        try scratch.rename("app.log", "app.log.1")
        let d = makeLines("old D after rename", 4)
        try writer.write(d)
        let newWriter = try AppendWriter(scratch.file("app.log"))
        let e = makeLines("new E", 6)
        try newWriter.write(e)
        let f = makeLines("old F before reopen", 2)
        try writer.write(f)
        let g = makeLines("new G", 3)
        try newWriter.write(g)

        let oldLines = a + b + c + d + f
        let newLines = e + g
        let total = oldLines.count + newLines.count
        #expect(follower.waitForLines(total))
        usleep(300_000)  // room for a duplicate to show up
        stopped = true
        #expect(follower.stop(), "run did not return after stop()")

        let seen = follower.recorder.lines
        #expect(seen.count == total)
        let oldSeen = seen.filter { $0.text.hasPrefix("old") }
        let newSeen = seen.filter { $0.text.hasPrefix("new") }
        #expect(oldSeen.map(\.text) == oldLines)
        #expect(oldSeen.map(\.offset) == offsets(of: oldLines))
        #expect(newSeen.map(\.text) == newLines)
        #expect(newSeen.map(\.offset) == offsets(of: newLines))
        #expect(newSeen.allSatisfy { $0.path == scratch.file("app.log") })
        if pattern == "app.log*" {
            #expect(oldSeen.suffix(f.count).allSatisfy { $0.path == scratch.file("app.log.1") })
        }

        follower.tailer.commit()
        let stored = try harness.store.load(input: "test").map(\.offset).sorted()
        #expect(stored == [byteCount(newLines), byteCount(oldLines)].sorted())
    }

    @Test("checkpoints are committed while following, as acknowledgements settle")
    func commitsWhileFollowing() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let lines = makeLines("live", 10)
        try scratch.write("app.log", lines: lines)
        let follower = Follower(try harness.tailer(["app.log"]) { $0.commitInterval = 0 })
        defer { #expect(follower.stop()) }
        #expect(follower.waitForLines(lines.count))
        let committed = poll(limit: 15) {
            (try? harness.store.load(input: "test").first?.offset) == byteCount(lines)
        }
        #expect(committed)
    }

    @Test("a partial line is emitted after partialLineTimeout; its completion arrives as a new line")
    func partialLineTimeout() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        try scratch.write("app.log", lines: ["whole"])
        let follower = Follower(try harness.tailer(["app.log"]) { $0.partialLineTimeout = 0.2 })
        defer { #expect(follower.stop()) }
        #expect(follower.waitForLines(1))
        try scratch.append("app.log", "half")
        #expect(follower.waitForLines(2))
        try scratch.append("app.log", " and the rest\nnext\n")
        #expect(follower.waitForLines(4))
        #expect(follower.recorder.texts == ["whole", "half", " and the rest", "next"])
        #expect(follower.recorder.lines.map(\.offset) == [0, 6, 10, 24])
    }

    @Test("copytruncate while following: the lines written after the truncation arrive once")
    func copyTruncateWhileFollowing() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let old = makeLines("before", 30, width: 40)
        try scratch.write("app.log", lines: old)
        let follower = Follower(try harness.tailer(["app.log"]))
        defer { #expect(follower.stop()) }
        #expect(follower.waitForLines(old.count))

        try tool("cp", [scratch.file("app.log"), scratch.file("app.log.1")])
        try tool("truncate", ["-s", "0", scratch.file("app.log")])
        let new = makeLines("after", 3)
        for line in new { try scratch.append("app.log", line + "\n") }
        #expect(follower.waitForLines(old.count + new.count))
        usleep(300_000)  // room for a duplicate to show up
        #expect(follower.recorder.texts == old + new)
        #expect(follower.recorder.lines.suffix(new.count).map(\.offset) == offsets(of: new))
    }

    @Test("a file deleted while followed is read to its end")
    func deletedWhileFollowed() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        try scratch.write("app.log", lines: ["first"])
        let follower = Follower(try harness.tailer(["app.log"]))
        defer { #expect(follower.stop()) }
        #expect(follower.waitForLines(1))
        try scratch.append("app.log", "written just before the delete\n")
        try scratch.remove("app.log")
        #expect(follower.waitForLines(2))
        #expect(follower.recorder.texts == ["first", "written just before the delete"])
    }

    @Test("a partial last line is emitted when its file is rotated away, and the idle file is released")
    func partialLineAtRotation() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        try scratch.write("app.log", lines: ["complete"])
        let follower = Follower(try harness.tailer(["app.log"]) {
            $0.partialLineTimeout = 600
            $0.rotateIdle = 0.2
        })
        defer { #expect(follower.stop()) }
        #expect(follower.waitForLines(1))
        try scratch.append("app.log", "unfinished")
        try scratch.rename("app.log", "app.log.1")
        #expect(follower.waitForLines(2))
        #expect(follower.recorder.texts == ["complete", "unfinished"])
        #expect(follower.recorder.lines.map(\.offset) == [0, 9])
        #expect(poll(limit: 15) {
            harness.logger.capturedLines.contains { $0.contains("rotated file idle; released") }
        })
    }
}
