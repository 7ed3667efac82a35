import AtomBase
import Foundation
import Glibc
@testable import LogTail
import Testing

/// Line counts for a file shorter than the fingerprint (tracked by device and inode) and one longer
/// (tracked by content), with 41-byte lines.
let shortAndLong = [3, 60]

@Suite("File identity across runs")
struct IdentityTests {
    @Test("a renamed file (app.log to app.log.1) is not read again; the new app.log is", arguments: shortAndLong)
    func rename(lineCount: Int) throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let first = makeLines("first", lineCount, width: 40)
        try scratch.write("app.log", lines: first)
        #expect(harness.once(try harness.tailer(["app.log*"])).texts == first)

        try scratch.rename("app.log", "app.log.1")
        let second = makeLines("second", 2)
        try scratch.write("app.log", lines: second)
        let seen = harness.once(try harness.tailer(["app.log*"]))
        #expect(seen.texts == second)
        #expect(seen.lines.allSatisfy { $0.path == scratch.file("app.log") })
    }

    @Test("a fully read app.log.1 compressed to app.log.1.gz by gzip(1) is not read again")
    func compressFullyRead() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let lines = makeLines("rotated", 60, width: 40)
        try scratch.write("app.log", lines: lines)
        #expect(harness.once(try harness.tailer(["app.log*"])).texts == lines)

        try scratch.rename("app.log", "app.log.1")
        #expect(harness.once(try harness.tailer(["app.log*"])).texts == [])
        try tool("gzip", ["-n", scratch.file("app.log.1")])
        #expect(!Path.exists(scratch.file("app.log.1")))
        let tailer = try harness.tailer(["app.log*"])
        let seen = harness.once(tailer)
        #expect(seen.texts == [])
        #expect(tailer.failures.isEmpty)
        #expect(tailer.filesOpened == 1)
    }

    @Test("a partly read file, compressed, yields only the lines after its checkpoint")
    func compressPartlyRead() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let lines = makeLines("partly", 80, width: 40)
        try scratch.write("app.log", lines: lines)
        let first = try harness.tailer(["app.log*"]) { $0.readBufferBytes = 256 }
        let seen = harness.once(first, acknowledgeAtOnce: false, commit: false)
        #expect(seen.texts == lines)
        let chunks = seen.chunks
        try #require(chunks.count >= 4)
        let acked = chunks.count / 2
        for index in 0..<acked { seen.acknowledge(chunk: index) }
        first.commit()
        let resumeLine = chunks[acked].lines.lowerBound
        #expect(try harness.store.load(input: "test").first?.offset == offsets(of: lines)[resumeLine])

        try scratch.rename("app.log", "app.log.1")
        try tool("gzip", ["-n", scratch.file("app.log.1")])
        let rest = harness.once(try harness.tailer(["app.log*"]))
        #expect(rest.texts == Array(lines[resumeLine...]))
        #expect(rest.lines.map(\.offset) == Array(offsets(of: lines)[resumeLine...]))
        #expect(rest.lines.allSatisfy { $0.isGzip && $0.path == scratch.file("app.log.1.gz") })
        #expect(try harness.store.load(input: "test").first?.offset == byteCount(lines))
    }

    @Test("two different 40-byte files are both read, and so are two identical ones")
    func smallFiles() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let a = String(repeating: "a", count: 39)
        let b = String(repeating: "b", count: 39)
        try scratch.write("a.log", lines: [a])
        try scratch.write("b.log", lines: [b])
        try scratch.write("c.log", lines: [b])
        #expect(try scratch.size("a.log") == 40)
        let seen = harness.once(try harness.tailer(["*.log"]))
        #expect(seen.texts(in: "a.log") == [a])
        #expect(seen.texts(in: "b.log") == [b])
        #expect(seen.texts(in: "c.log") == [b])
        #expect(seen.lines.count == 3)
        #expect(harness.once(try harness.tailer(["*.log"])).texts == [])
    }

    @Test("a deleted file replaced by a new one (reusing the inode or not) is read from its start",
          arguments: shortAndLong)
    func deleteAndCreate(lineCount: Int) throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let old = makeLines("old", lineCount, width: 40)
        try scratch.write("app.log", lines: old)
        let oldInode = try scratch.inode("app.log")
        #expect(harness.once(try harness.tailer(["app.log"])).texts == old)

        try scratch.remove("app.log")
        let new = makeLines("new", lineCount, width: 40)
        try scratch.write("app.log", lines: new)
        let reused = try scratch.inode("app.log") == oldInode
        let seen = harness.once(try harness.tailer(["app.log"]))
        #expect(seen.texts == new, "inode reused: \(reused)")
        #expect(seen.lines.map(\.offset) == offsets(of: new))
    }

    @Test("copytruncate between runs: only the lines written after the truncation are read",
          arguments: [(3, "app.log"), (60, "app.log"), (60, "app.log*")])
    func copyTruncateBetweenRuns(lineCount: Int, pattern: String) throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let old = makeLines("old", lineCount, width: 40)
        try scratch.write("app.log", lines: old)
        #expect(harness.once(try harness.tailer([pattern])).texts == old)

        try tool("cp", [scratch.file("app.log"), scratch.file("app.log.1")])
        try tool("truncate", ["-s", "0", scratch.file("app.log")])
        let new = makeLines("after truncate", 2)
        for line in new { try scratch.append("app.log", line + "\n") }
        let seen = harness.once(try harness.tailer([pattern]))
        #expect(seen.texts == new)
        #expect(seen.lines.allSatisfy { $0.path == scratch.file("app.log") })
        #expect(seen.lines.map(\.offset) == offsets(of: new))
    }

    @Test("copytruncate seen by the same tailer: shorter or longer new content is read from 0, once",
          arguments: [2, 80])
    func copyTruncateSameTailer(newCount: Int) throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let old = makeLines("old", 30, width: 40)
        try scratch.write("app.log", lines: old)
        let tailer = try harness.tailer(["app.log"])
        #expect(harness.once(tailer).texts == old)

        try tool("cp", [scratch.file("app.log"), scratch.file("app.log.1")])
        try tool("truncate", ["-s", "0", scratch.file("app.log")])
        let new = makeLines("rewritten", newCount, width: 40)
        for line in new { try scratch.append("app.log", line + "\n") }
        let seen = harness.once(tailer)
        #expect(seen.texts == new)
        #expect(seen.lines.map(\.offset) == offsets(of: new))
        #expect(harness.once(try harness.tailer(["app.log"])).texts == [])
    }
}

extension IdentityTests {
    @Test(
        "a new file that reuses the inode of a finished archive is read"
    )
    func inodeOfFinishedArchiveReused() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        try scratch.write("app.log.2.gz", try gzipped(Array("archived\n".utf8), in: scratch))
        let tailer = try harness.tailer(["app.log*"])
        #expect(harness.once(tailer).texts == ["archived"])

        // logrotate deletes the oldest archive and creates the new app.log in one go; ext4 hands the
        // freed inode to the new file. Try a few names until one gets it.
        let oldInode = try scratch.inode("app.log.2.gz")
        try scratch.remove("app.log.2.gz")
        var reused = false
        for attempt in 0..<20 {
            try scratch.write("candidate", lines: ["fresh line"])
            if try scratch.inode("candidate") == oldInode {
                try scratch.rename("candidate", "app.log")
                reused = true
                break
            }
            try scratch.rename("candidate", "other-\(attempt).txt")  // keep its inode taken
        }
        guard reused else { return }  // this filesystem did not reuse the inode: nothing to check
        #expect(harness.once(tailer).texts == ["fresh line"])
    }
}

@Suite("startAt end")
struct StartAtEndTests {
    @Test("a pre-existing file with no checkpoint is skipped to its end in the first discovery")
    func skipsExisting() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let old = makeLines("old", 10)
        try scratch.write("app.log", lines: old)
        let tailer = try harness.tailer(["app.log"]) { $0.startAt = .end }
        #expect(harness.once(tailer).texts == [])
        #expect(tailer.settledOffsets()[scratch.file("app.log")] == byteCount(old))
    }

    @Test("with startAt end, lines appended later and files created later are read")
    func followsAfterSkipping() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let old = makeLines("old", 10)
        try scratch.write("app.log", lines: old)
        let follower = Follower(try harness.tailer(["*.log"]) { $0.startAt = .end })
        defer { #expect(follower.stop()) }
        // Wait until the tailer has positioned the file.
        #expect(poll(limit: 15) { follower.tailer.settledOffsets()[scratch.file("app.log")] != nil })

        try scratch.append("app.log", "appended\n")
        try scratch.write("new.log", lines: ["created later"])
        #expect(follower.waitForLines(2))
        #expect(follower.recorder.texts(in: "app.log") == ["appended"])
        #expect(follower.recorder.lines(in: "app.log").map(\.offset) == [byteCount(old)])
        #expect(follower.recorder.texts(in: "new.log") == ["created later"])
    }

    @Test(
        "with startAt end, lines appended while the shipper was stopped are read after a restart"
    )
    func restartKeepsSkipPosition() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        try scratch.write("app.log", lines: makeLines("old", 10))
        #expect(harness.once(try harness.tailer(["app.log"]) { $0.startAt = .end }).texts == [])
        try scratch.append("app.log", "written while stopped\n")
        let seen = harness.once(try harness.tailer(["app.log"]) { $0.startAt = .end })
        #expect(seen.texts == ["written while stopped"])
    }
}
