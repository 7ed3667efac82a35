import Foundation
import Glibc
import Testing
import TestSupport

/// Files changed under a following shipper in the ways rotation tools and people change them: each
/// test writes the lines itself and checks that exactly those arrive, once each.
@Suite("Files changed while followed")
struct FileChangeTests {
    static let follow = #"paths: ["app.log"], rotateIdleMs: 300, partialLineTimeoutMs: 300"#

    @Test("a file deleted and a new one created on the freed inode is read from its start",
          .enabled(if: InodeReuse.happens, "this filesystem gives a deleted file's inode to no new file"),
          arguments: [10, 60])
    func inodeReuseWhileRunning(width: Int) throws {
        let c = try FileCase(Self.follow)
        let first = taggedLines("first", 20, width: width)
        try c.write("app.log", lines: first)
        let run = try c.start()
        #expect(c.waitForEvents(first.count))
        let inode = c.inode("app.log")
        try FileManager.default.removeItem(atPath: c.path("app.log"))
        #expect(c.waitForLog(run, "file deleted; read to its end and released"))

        let second = taggedLines("second", 20, width: width)
        #expect(try c.writeOnInode(inode, "app.log", lines: second), "no new file got inode \(inode)")
        #expect(c.waitForEvents(first.count + second.count))
        usleep(300_000)  // room for a repeat
        _ = run.terminate()
        c.expectDelivered(first + second)
    }

    @Test("a file replaced on the same inode while the shipper was stopped is read from its start",
          .enabled(if: InodeReuse.happens, "this filesystem gives a deleted file's inode to no new file"),
          arguments: [10, 60])
    func inodeReuseWhileStopped(width: Int) throws {
        let c = try FileCase(#"paths: ["app.log"]"#)
        let first = taggedLines("first", 20, width: width)
        try c.write("app.log", lines: first)
        #expect(try c.runOnce().status == 0)
        let inode = c.inode("app.log")
        try FileManager.default.removeItem(atPath: c.path("app.log"))
        let second = taggedLines("second", 25, width: width)
        #expect(try c.writeOnInode(inode, "app.log", lines: second), "no new file got inode \(inode)")
        let result = try c.runOnce()
        #expect(result.status == 0, "stderr: \(result.stderr)")
        c.expectDelivered(first + second)
    }

    @Test("cut shorter with its head kept (truncate -s), then written: only the new lines arrive, also after a restart")
    func cutShorterKeepingHead() throws {
        let c = try FileCase(Self.follow)
        let old = taggedLines("old", 1000, width: 13)  // 14 bytes a line: 14,000 bytes
        try c.write("app.log", lines: old)
        let run = try c.start()
        #expect(c.waitForEvents(old.count))
        try tool("/usr/bin/truncate", ["-s", "7000", c.path("app.log")])  // the first 500 lines stay
        #expect(c.waitForLog(run, "file cut shorter, its first bytes unchanged"), "stderr: \(run.stderr)")
        let new = taggedLines("new", 10, width: 13)
        c.append("app.log", lines: new)
        #expect(c.waitForEvents(old.count + new.count))
        usleep(500_000)  // room for a repeat
        let result = run.terminate()
        #expect(result.status == 0, "stderr: \(result.stderr)")
        c.expectDelivered(old + new)

        // The checkpoint points at the new end: a restart reads only what comes after it.
        let more = taggedLines("more", 5, width: 13)
        c.append("app.log", lines: more)
        #expect(try c.runOnce().status == 0)
        c.expectDelivered(old + new + more)
    }

    @Test("truncated to zero, then written: the new lines arrive once")
    func truncateToZero() throws {
        let c = try FileCase(Self.follow)
        let old = taggedLines("old", 30, width: 40)
        try c.write("app.log", lines: old)
        let run = try c.start()
        #expect(c.waitForEvents(old.count))
        try tool("/usr/bin/truncate", ["-s", "0", c.path("app.log")])
        let new = taggedLines("new", 5)
        c.append("app.log", lines: new)
        #expect(c.waitForEvents(old.count + new.count))
        usleep(300_000)
        _ = run.terminate()
        c.expectDelivered(old + new)
    }

    @Test("""
        truncated to a smaller size and written past the old offset before the shipper looks again, \
        with the same first fingerprintBytes: read again from the start
        """)
    func truncateSmallerThenPastOffset() throws {
        let c = try FileCase(Self.follow)
        // The first 1,230 bytes (more than fingerprintBytes) stay the same, so only the bytes just
        // before the old offset tell that the file was rewritten.
        let header = taggedLines("header", 30, width: 40)
        let old = taggedLines("old", 10, width: 40)
        try c.write("app.log", lines: header + old)
        let run = try c.start()
        #expect(c.waitForEvents(header.count + old.count))

        // The shipper cannot look while it is stopped: the truncation and the new lines land together.
        run.signal(SIGSTOP)
        let headerBytes = header.reduce(0) { $0 + $1.utf8.count + 1 }
        try tool("/usr/bin/truncate", ["-s", String(headerBytes), c.path("app.log")])
        let new = taggedLines("new", 20, width: 40)
        c.append("app.log", lines: new)
        run.signal(SIGCONT)

        let expected = header + old + header + new
        #expect(c.waitForEvents(expected.count))
        usleep(300_000)
        let result = run.terminate()
        c.expectDelivered(expected)
        #expect(result.stderr.contains("file truncated; reading it from the start"))
    }

    @Test("a file renamed over the followed one: both files' lines arrive once, late writes to the old one too")
    func renamedOver() throws {
        let c = try FileCase(Self.follow)
        let old = taggedLines("old", 30, width: 40)
        try c.write("app.log", lines: old)
        let run = try c.start()
        #expect(c.waitForEvents(old.count))

        let oldWriter = AppendingWriter(path: c.path("app.log"))
        let replacement = taggedLines("replacement", 30, width: 40)
        try c.write("staged.tmp", lines: replacement)
        try renameReplacing(c.path("staged.tmp"), c.path("app.log"))
        let late = taggedLines("late to the replaced file", 3)
        for line in late { oldWriter.write(line) }

        let expected = old + replacement + late
        #expect(c.waitForEvents(expected.count))
        #expect(c.waitForLog(run, "file deleted; read to its end and released"))
        let result = run.terminate()
        c.expectDelivered(expected)
        #expect(result.status == 0)
    }

    @Test("a file deleted while open is read to its end, writes after the delete included, then released")
    func deletedWhileOpen() throws {
        let c = try FileCase(Self.follow)
        let before = taggedLines("before", 40, width: 30)
        let writer = AppendingWriter(path: c.path("app.log"))
        for line in before { writer.write(line) }
        let run = try c.start()
        #expect(c.waitForEvents(before.count))
        #expect(eventually { c.descriptorsInFolder(run) == 1 })

        try FileManager.default.removeItem(atPath: c.path("app.log"))
        let after = taggedLines("after delete", 10)
        for line in after { writer.write(line) }
        #expect(c.waitForEvents(before.count + after.count))
        #expect(c.waitForLog(run, "file deleted; read to its end and released"))
        #expect(eventually { c.descriptorsInFolder(run) == 0 }, "the deleted file's descriptor is closed")
        _ = run.terminate()
        c.expectDelivered(before + after)
    }

    @Test("""
        a symlinked path whose target changes (ln -sfn): the old target is read to its end, the new \
        one from its start, and writes to targets in another folder are seen
        """)
    func symlinkTargetChanges() throws {
        let c = try FileCase(#"paths: ["logs/*.log"], rotateIdleMs: 1500"#)
        let a = taggedLines("target a", 10)
        let b = taggedLines("target b", 10)
        try c.write("targets/a.txt", lines: a)
        try c.write("targets/b.txt", lines: b)
        try FileManager.default.createDirectory(atPath: c.path("logs"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: c.path("logs/current.log"),
                                                   withDestinationPath: "../targets/a.txt")
        let run = try c.start()
        #expect(c.waitForEvents(a.count))

        let aMore = taggedLines("target a more", 5)
        c.append("targets/a.txt", lines: aMore)
        #expect(c.waitForEvents(a.count + aMore.count))

        // ln -sfn: a new link under a temporary name, renamed over the old one.
        try tool("/bin/ln", ["-sfn", "../targets/b.txt", c.path("logs/current.log")])
        let aLate = taggedLines("target a after the switch", 3)
        c.append("targets/a.txt", lines: aLate)
        #expect(c.waitForEvents(a.count + aMore.count + b.count + aLate.count))
        let bMore = taggedLines("target b more", 4)
        c.append("targets/b.txt", lines: bMore)

        let expected = a + aMore + aLate + b + bMore
        #expect(c.waitForEvents(expected.count))
        usleep(300_000)
        let result = run.terminate()
        c.expectDelivered(expected)
        #expect(result.status == 0)
    }
}

extension FileCase {
    /// Writes `lines` to a new file `name` that, if at all possible, has the freed `inode`: ext4
    /// gives a freed inode to the next file created near it, but a process creating files at the
    /// same moment may take it first. Candidates are made under names no pattern matches; the one
    /// on the inode is renamed to `name`. Returns whether the inode was reused.
    @discardableResult
    func writeOnInode(_ inode: UInt64, _ name: String, lines: [String]) throws -> Bool {
        for attempt in 0..<40 {
            let candidate = "candidate-\(attempt).tmp"
            try write(candidate, lines: lines)
            if self.inode(candidate) == inode {
                try renameReplacing(path(candidate), path(name))
                return true
            }
        }
        // Another process holds the inode now: the file is new on another inode, which is the
        // other case the identity rules cover.
        try write(name, lines: lines)
        return false
    }
}

/// Whether the temporary folder's filesystem hands a deleted file's inode to the next new file (ext4
/// and xfs do; tmpfs does not), probed once.
enum InodeReuse {
    static let happens: Bool = {
        guard let dir = try? TempDir(prefix: "atom-inode-probe") else { return false }
        for attempt in 0..<20 {
            let first = dir.file("probe-\(attempt)-a")
            let second = dir.file("probe-\(attempt)-b")
            guard FileManager.default.createFile(atPath: first, contents: Data("a".utf8)) else { return false }
            var st = stat()
            guard stat(first, &st) == 0 else { return false }
            let inode = st.st_ino
            unlink(first)
            guard FileManager.default.createFile(atPath: second, contents: Data("b".utf8)),
                  stat(second, &st) == 0 else { return false }
            if st.st_ino == inode { return true }
        }
        return false
    }()
}

/// rename(2) for the tests (Foundation's moveItem refuses to replace a file).
func renameReplacing(_ from: String, _ to: String) throws {
    guard rename(from, to) == 0 else { throw ToolError(description: "rename \(from) \(to): errno \(errno)") }
}
