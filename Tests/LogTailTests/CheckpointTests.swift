import AtomBase
import Foundation
@testable import LogTail
import Testing

/// Offset just past line `index` of `lines` written with LF.
func lineEnd(_ lines: [String], _ index: Int, from start: Int64 = 0) -> Int64 {
    offsets(of: lines, from: start)[index] + Int64(lines[index].utf8.count + 1)
}

@Suite("Checkpoints and acknowledgements")
struct CheckpointTests {
    @Test("after everything is acknowledged and committed, a new tailer re-reads nothing, then only new lines",
          arguments: [3, 60])
    func resumeAfterCommit(lineCount: Int) throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let first = makeLines("first", lineCount, width: 40)
        try scratch.write("app.log", lines: first)
        #expect(harness.once(try harness.tailer(["app.log"])).texts == first)

        let stored = try harness.store.load(input: "test")
        #expect(stored.count == 1)
        #expect(stored.first?.offset == byteCount(first))
        #expect(stored.first?.path == scratch.file("app.log"))

        #expect(harness.once(try harness.tailer(["app.log"])).texts == [])

        let more = makeLines("more", 2)
        for line in more { try scratch.append("app.log", line + "\n") }
        let seen = harness.once(try harness.tailer(["app.log"]))
        #expect(seen.texts == more)
        #expect(seen.lines.map(\.offset) == offsets(of: more, from: byteCount(first)))

        #expect(harness.once(try harness.tailer(["app.log"])).texts == [])
    }

    @Test(
        "a short file that grows past fingerprintBytes while stopped is not read again from the start"
    )
    func shortFileGrowsBetweenRuns() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let first = makeLines("short", 3)
        try scratch.write("app.log", lines: first)
        #expect(harness.once(try harness.tailer(["app.log"])).texts == first)

        let more = makeLines("grown", 40, width: 60)
        for line in more { try scratch.append("app.log", line + "\n") }
        #expect(try scratch.size("app.log") > 1024)
        let seen = harness.once(try harness.tailer(["app.log"]))
        #expect(seen.texts == more)
    }

    @Test("a short file that grows past fingerprintBytes while followed keeps one checkpoint row")
    func shortFileGrowsWhileRead() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let first = makeLines("short", 3)
        try scratch.write("app.log", lines: first)
        let tailer = try harness.tailer(["app.log"])
        #expect(harness.once(tailer).texts == first)
        let st = try Sys.stat(path: scratch.file("app.log"))
        #expect(try harness.store.load(input: "test").map(\.key) == ["\(st.device):\(st.inode)"])

        // The same tailer runs again after the file grew past the fingerprint size.
        let more = makeLines("grown", 40, width: 60)
        for line in more { try scratch.append("app.log", line + "\n") }
        #expect(harness.once(tailer).texts == more)
        let rows = try harness.store.load(input: "test")
        #expect(rows.count == 1)
        #expect(rows.first?.fingerprintLength == 1024)
        #expect(rows.first?.offset == byteCount(first + more))
        #expect(harness.once(try harness.tailer(["app.log"])).texts == [])
    }

    @Test("a checkpoint does not pass lines whose events are not acknowledged; a new tailer re-reads them")
    func heldBackAcknowledgements() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let lines = makeLines("held", 30, width: 20)
        try scratch.write("app.log", lines: lines)
        let tailer = try harness.tailer(["app.log"]) { $0.readBufferBytes = 64 }
        let seen = harness.once(tailer, acknowledgeAtOnce: false, commit: false)
        #expect(seen.texts == lines)
        let chunks = seen.chunks
        #expect(chunks.count >= 3)
        #expect(!tailer.isSettled)

        for index in 0..<(chunks.count - 1) { seen.acknowledge(chunk: index) }
        tailer.commit()
        let last = chunks[chunks.count - 1].lines
        let settledEnd = offsets(of: lines)[last.lowerBound]
        #expect(tailer.settledOffsets()[scratch.file("app.log")] == settledEnd)
        #expect(try harness.store.load(input: "test").first?.offset == settledEnd)

        let again = harness.once(try harness.tailer(["app.log"]))
        #expect(again.texts == Array(lines[last]))
        #expect(again.lines.map(\.offset) == Array(offsets(of: lines)[last]))
    }

    @Test("out-of-order acknowledgements settle only up to the first chunk still pending")
    func outOfOrderAcknowledgements() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let lines = makeLines("ooo", 40, width: 20)
        try scratch.write("app.log", lines: lines)
        let tailer = try harness.tailer(["app.log"]) { $0.readBufferBytes = 64 }
        let seen = harness.once(tailer, acknowledgeAtOnce: false, commit: false)
        #expect(seen.texts == lines)
        let chunks = seen.chunks
        try #require(chunks.count >= 5)

        let order = [2, 4, 0, 1, 3] + Array(5..<chunks.count)
        var acked = Set<Int>()
        for index in order {
            seen.acknowledge(chunk: index)
            acked.insert(index)
            var contiguous = -1
            while acked.contains(contiguous + 1) { contiguous += 1 }
            let expected = contiguous < 0 ? 0 : lineEnd(lines, chunks[contiguous].lines.upperBound - 1)
            #expect(tailer.settledOffsets()[scratch.file("app.log")] == expected, "after acknowledging \(index)")
        }
        #expect(tailer.isSettled)
        tailer.commit()
        #expect(try harness.store.load(input: "test").first?.offset == byteCount(lines))
    }

    @Test("an acknowledgement split over several calls settles only when the count is reached")
    func partialAcknowledgement() throws {
        let scratch = try Scratch()
        let harness = try Harness(scratch: scratch)
        let lines = makeLines("split", 4)
        try scratch.write("app.log", lines: lines)
        let tailer = try harness.tailer(["app.log"])
        let seen = harness.once(tailer, acknowledgeAtOnce: false, commit: false)
        try #require(seen.chunks.count == 1)
        let token = seen.chunks[0].token
        #expect(token >> 56 == 0)
        tailer.acknowledge(token: token, count: 3)
        #expect(tailer.settledOffsets()[scratch.file("app.log")] == 0)
        tailer.acknowledge(token: token, count: 1)
        #expect(tailer.settledOffsets()[scratch.file("app.log")] == byteCount(lines))
    }
}

@Suite("Progress")
struct ProgressTests {
    func progress(at offset: Int64 = 5) -> LogTail.Progress {
        LogTail.Progress(id: 7, key: "k", fingerprint: Fingerprint(hex: "00", length: 1), device: 1, inode: 2,
                         path: "/p", offset: offset)
    }

    @Test("the settled offset advances only over contiguous settled chunks, zero-event chunks included")
    func contiguous() {
        let p = progress()
        let a = p.open(), b = p.open(), c = p.open()
        p.close(a, end: 10, events: 2)
        p.close(b, end: 20, events: 1)
        p.close(c, end: 30, events: 0)
        #expect(p.settled == 5)
        #expect(p.readTo == 30)
        p.acknowledge(b, count: 1)
        #expect(p.settled == 5)
        p.acknowledge(a, count: 1)
        #expect(p.settled == 5)
        #expect(!p.isIdle)
        p.acknowledge(a, count: 1)
        #expect(p.settled == 30)
        #expect(p.isIdle)
        #expect(p.dirty)
    }

    @Test("acknowledgements that arrive before a chunk is closed count once it closes")
    func acknowledgedBeforeClose() {
        let p = progress(at: 0)
        let a = p.open()
        let b = p.open()
        p.acknowledge(a, count: 2)
        #expect(p.settled == 0)  // still open: its event count is unknown
        p.close(b, end: 20, events: 1)
        p.acknowledge(b, count: 1)
        #expect(p.settled == 0)
        p.close(a, end: 10, events: 2)
        #expect(p.settled == 20)
    }

    @Test("acknowledgements for unknown or old sequences change nothing")
    func strayAcknowledgements() {
        let p = progress(at: 0)
        let a = p.open()
        p.close(a, end: 10, events: 1)
        p.acknowledge(a + 100, count: 1)
        #expect(p.settled == 0)
        p.acknowledge(a, count: 1)
        #expect(p.settled == 10)
        let b = p.open()  // the table restarts: `a` is now older than its first sequence
        p.close(b, end: 20, events: 1)
        p.acknowledge(a, count: 1)
        #expect(p.settled == 10)
        p.acknowledge(b, count: 1)
        #expect(p.settled == 20)
    }

    @Test("a long stream with a window of pending chunks settles right through table compaction")
    func compaction() {
        let p = progress(at: 0)
        var sequences: [UInt64] = []
        let window = 3
        for i in 0..<20_000 {
            sequences.append(p.open())
            p.close(sequences[i], end: Int64(i + 1) * 10, events: 1)
            if i >= window {
                p.acknowledge(sequences[i - window], count: 1)
                #expect(p.settled == Int64(i - window + 1) * 10, "at chunk \(i)")
                if p.settled != Int64(i - window + 1) * 10 { return }
            }
        }
        for i in (20_000 - window)..<20_000 { p.acknowledge(sequences[i], count: 1) }
        #expect(p.settled == 200_000)
        #expect(p.isIdle)
    }

    @Test("reset moves the settled and read offsets and marks the progress dirty")
    func reset() {
        let p = progress(at: 100)
        p.reset(to: 0)
        #expect(p.settled == 0 && p.readTo == 0 && p.dirty)
    }

    @Test("tokens carry the id and sequence and leave the top eight bits free",
          arguments: [(UInt32(1), UInt64(0)), (0xFFFF, 0xFF_FFFF_FFFF), (0x1234, 0x12_3456_789A)])
    func tokens(id: UInt32, sequence: UInt64) {
        let token = LogTail.Progress.token(id: id, sequence: sequence)
        #expect(token >> 56 == 0)
        #expect(LogTail.Progress.split(token) == (id, sequence))
        #expect(LogTail.Progress.split(token | 0xAB00_0000_0000_0000) == (id, sequence))
    }
}
