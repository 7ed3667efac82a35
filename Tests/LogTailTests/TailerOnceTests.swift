import AtomBase
import Foundation
@testable import LogTail
import Testing

@Suite("Tailer once-mode reading")
struct TailerOnceTests {
    @Test("plain files are read completely, each line once, with its offset and file")
    func plainFiles() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let a = makeLines("a", 50)
        let b = makeLines("b", 3)
        try scratch.write("a.log", lines: a)
        try scratch.write("b.log", lines: b)
        let tailer = try harness.tailer(["*.log"]) { $0.readBufferBytes = 64 }
        let seen = harness.once(tailer)

        #expect(seen.texts(in: "a.log") == a)
        #expect(seen.lines(in: "a.log").map(\.offset) == offsets(of: a))
        #expect(seen.texts(in: "b.log") == b)
        #expect(seen.lines(in: "b.log").map(\.offset) == offsets(of: b))
        #expect(seen.lines.count == a.count + b.count)
        #expect(seen.lines.allSatisfy { !$0.truncated && !$0.isGzip })
        #expect(tailer.linesRead == a.count + b.count)
        #expect(tailer.failures.isEmpty)
        #expect(tailer.isSettled)
        #expect(tailer.settledOffsets()[scratch.file("a.log")] == byteCount(a))
    }

    @Test("a .gz file made by gzip(1) is read decompressed, with decompressed offsets")
    func gzipFile() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let lines = makeLines("zipped", 400)
        try scratch.write("app.log.1", lines: lines)
        try tool("gzip", ["-n", scratch.file("app.log.1")])
        let seen = harness.once(try harness.tailer(["app.log*"]))

        #expect(seen.texts == lines)
        #expect(seen.lines.map(\.offset) == offsets(of: lines))
        #expect(seen.lines.allSatisfy { $0.isGzip && $0.path == scratch.file("app.log.1.gz") })
    }

    @Test("a file named .gz that is not gzip is read as text")
    func gzNameButText() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let lines = ["not really", "compressed"]
        try scratch.write("plain.gz", lines: lines)
        let seen = harness.once(try harness.tailer(["*.gz"]))
        #expect(seen.texts == lines)
        #expect(seen.lines.allSatisfy { !$0.isGzip })
    }

    @Test("a gzip file not named .gz is read decompressed")
    func gzipWithoutName() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let lines = makeLines("hidden gzip", 20)
        let archive = try gzipped(Array(lines.map { $0 + "\n" }.joined().utf8), in: scratch)
        try scratch.write("data.log", archive)
        let seen = harness.once(try harness.tailer(["*.log"]))
        #expect(seen.texts == lines)
        #expect(seen.lines.allSatisfy { $0.isGzip })
    }

    @Test("a multi-member archive is read as one stream")
    func multiMemberArchive() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let first = makeLines("member one", 30)
        let second = makeLines("member two", 30)
        let archive = try gzipped(Array(first.map { $0 + "\n" }.joined().utf8), in: scratch)
            + gzipped(Array(second.map { $0 + "\n" }.joined().utf8), in: scratch)
        try scratch.write("joined.gz", archive)
        let seen = harness.once(try harness.tailer(["*.gz"]))
        #expect(seen.texts == first + second)
        #expect(seen.lines.map(\.offset) == offsets(of: first + second))
    }

    @Test("an archive whose last line has no newline still yields that line")
    func gzipPartialLastLine() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        try scratch.write("tail.gz", try gzipped(Array("one\ntwo\nthree without newline".utf8), in: scratch))
        let seen = harness.once(try harness.tailer(["*.gz"]))
        #expect(seen.texts == ["one", "two", "three without newline"])
        #expect(seen.lines.map(\.offset) == [0, 4, 8])
    }

    @Test(
        "an empty file does not keep a once run from returning"
    )
    func emptyFile() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        try scratch.write("empty.log", [])
        try scratch.write("full.log", lines: ["only line"])
        let tailer = try harness.tailer(["*.log"])
        let recorder = Recorder()
        recorder.tailer = tailer
        #expect(runOnce(tailer, recorder), "run(once: true) did not return")
        #expect(recorder.texts == ["only line"])
    }

    @Test("a file holding only a partial line yields it at the end of the once run")
    func onlyPartialLine() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        try scratch.write("partial.log", Array("no newline here".utf8))
        let tailer = try harness.tailer(["partial.log"])
        let seen = harness.once(tailer)
        #expect(seen.lines == [SeenLine(text: "no newline here", offset: 0, truncated: false,
                                        path: scratch.file("partial.log"), isGzip: false)])
        #expect(tailer.settledOffsets()[scratch.file("partial.log")] == 15)
    }

    @Test("CRLF lines lose their CR; offsets count it", arguments: [3, 1000])
    func crlf(readBufferBytes: Int) throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let lines = ["first", "", "third line", "x"]
        try scratch.write("dos.log", lines: lines, terminator: "\r\n")
        let seen = harness.once(try harness.tailer(["dos.log"]) { $0.readBufferBytes = readBufferBytes })
        #expect(seen.texts == lines)
        #expect(seen.lines.map(\.offset) == offsets(of: lines, terminator: "\r\n"))
    }

    @Test("an over-long line is cut, flagged and counted; the next line is intact")
    func longLine() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let long = String(repeating: "0123456789", count: 10)
        try scratch.write("long.log", lines: ["before", long, "after"])
        let tailer = try harness.tailer(["long.log"]) {
            $0.maxLineBytes = 32
            $0.readBufferBytes = 20
        }
        let seen = harness.once(tailer)
        #expect(seen.texts == ["before", String(long.prefix(32)), "after"])
        #expect(seen.lines.map(\.truncated) == [false, true, false])
        #expect(seen.lines.map(\.offset) == [0, 7, 108])
        #expect(tailer.linesCut == 1)
        #expect(harness.logger.capturedLines.contains { $0.contains("line longer than maxLineBytes was cut") })
    }

    @Test("exclude patterns drop files by name, or by path when the pattern has a slash")
    func excludes() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        try FileManager.default.createDirectory(atPath: scratch.file("old"), withIntermediateDirectories: false)
        try scratch.write("keep.log", lines: ["kept"])
        try scratch.write("debug.log", lines: ["excluded by name"])
        try scratch.write("old/keep.log", lines: ["excluded by path"])
        try scratch.write("old/other.log", lines: ["also excluded by path"])
        let tailer = try harness.tailer(["*.log", "old/*.log"]) {
            $0.exclude = ["debug.*", scratch.file("old") + "/*"]
        }
        let seen = harness.once(tailer)
        #expect(seen.texts == ["kept"])
        #expect(tailer.filesOpened == 1)
    }

    @Test("brace globs match each alternative, and a file matched twice is read once")
    func braceGlobs() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        try scratch.write("api.log", lines: ["api"])
        try scratch.write("web.log", lines: ["web"])
        try scratch.write("db.log", lines: ["db"])
        let seen = harness.once(try harness.tailer(["{api,web}.log", "web.log"]))
        #expect(seen.texts.sorted() == ["api", "web"])
    }

    @Test("caughtUp is reported at the end of a once run")
    func caughtUpReported() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        try scratch.write("a.log", lines: ["x"])
        let seen = harness.once(try harness.tailer(["a.log"]))
        #expect(seen.texts == ["x"])
        #expect(seen.caughtUps >= 1)
    }

    @Test(
        "two files sharing their first fingerprintBytes do not keep a once run from returning"
    )
    func sharedHead() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let header = makeLines("csv header", 30, width: 40)  // 1230 bytes: more than fingerprintBytes
        try scratch.write("a.csv", lines: header + ["a row"])
        try scratch.write("b.csv", lines: header + ["b row"])
        let tailer = try harness.tailer(["*.csv"])
        let recorder = Recorder()
        recorder.tailer = tailer
        #expect(runOnce(tailer, recorder), "run(once: true) did not return")
    }

    @Test(
        "NUL bytes left by a writer without O_APPEND are skipped and counted"
    )
    func nulBytesSkipped() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let nul: [UInt8] = Array(repeating: 0, count: 20)
        try scratch.write("app.log", Array("first\n".utf8) + nul + Array("second\n".utf8))
        let seen = harness.once(try harness.tailer(["app.log"]))
        #expect(seen.texts == ["first", "second"])
    }

    @Test("a truncated archive older than gzipSettle is reported broken; what could be read is shipped")
    func truncatedArchive() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let lines = makeLines("archived", 2000)
        let archive = try gzipped(Array(lines.map { $0 + "\n" }.joined().utf8), in: scratch)
        try scratch.write("old.gz", Array(archive[..<(archive.count * 2 / 3)]))
        try tool("touch", ["-d", "2020-01-01 00:00:00", scratch.file("old.gz")])
        let tailer = try harness.tailer(["*.gz"])
        let seen = harness.once(tailer)
        let texts = seen.texts
        try #require(texts.count > 1 && texts.count < lines.count)
        #expect(Array(texts.dropLast()) == Array(lines.prefix(texts.count - 1)))
        #expect(lines[texts.count - 1].hasPrefix(texts[texts.count - 1]))
        #expect(tailer.failures.count == 1)
        #expect(tailer.failures.first?.contains("ends early") == true)
    }

    @Test("a corrupt archive is reported as a failure and the once run returns")
    func corruptArchive() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        var archive = try gzipped(noisyText(lines: 3000, seed: 9), in: scratch)
        archive[archive.count / 2] ^= 0xFF
        try scratch.write("bad.gz", archive)
        try scratch.write("good.log", lines: ["fine"])
        let tailer = try harness.tailer(["bad.gz", "good.log"])
        let seen = harness.once(tailer)
        #expect(seen.texts(in: "good.log") == ["fine"])
        #expect(tailer.failures.count == 1)
        #expect(tailer.failures.first?.hasPrefix(scratch.file("bad.gz")) == true)
    }

    func symlink(_ target: String, _ path: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
    }

    @Test("a symlinked path is read through to its target; a new target is a new file")
    func symlinkedPath() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        try scratch.write("one.txt", lines: ["from one"])
        try scratch.write("two.txt", lines: ["from two"])
        try symlink("one.txt", scratch.file("current.log"))
        #expect(harness.once(try harness.tailer(["current.log"])).texts == ["from one"])
        try scratch.remove("current.log")
        try symlink("two.txt", scratch.file("current.log"))
        #expect(harness.once(try harness.tailer(["current.log"])).texts == ["from two"])
    }
}
