import Foundation
import Glibc
import Testing
import TestSupport

/// What lines look like in real files: unterminated, CRLF, NUL bytes, bad UTF-8, Latin-1, too long,
/// and files that are empty, short, or share a header.
@Suite("Lines and small files, end to end")
struct LineCaseTests {
    @Test("a last line without newline is emitted at the end of a --once run")
    func partialLineAtEndOfOnce() throws {
        let c = try FileCase(#"paths: ["*.log"], partialLineTimeoutMs: 600000"#)
        try c.write("a.log", "one\ntwo\nthree without newline")
        try c.write("partial.log", "only a partial line")
        try c.write("empty.log", "")
        let result = try c.runOnce()
        #expect(result.status == 0, "stderr: \(result.stderr)")
        c.expectDelivered(["one", "two", "three without newline", "only a partial line"])
        // A second run finds nothing new: the partial lines were checkpointed whole.
        #expect(try c.runOnce().status == 0)
        c.expectDelivered(["one", "two", "three without newline", "only a partial line"])
    }

    @Test("a last line without newline is emitted when its file is rotated away")
    func partialLineAtRotation() throws {
        let c = try FileCase(#"paths: ["app.log"], partialLineTimeoutMs: 600000, rotateIdleMs: 300"#)
        try c.write("app.log", "whole\nunfinished at rotation")
        let run = try c.start()
        #expect(c.waitForEvents(1))
        try renameReplacing(c.path("app.log"), c.path("app.log.1"))
        #expect(c.waitForEvents(2))
        _ = run.terminate()
        c.expectDelivered(["whole", "unfinished at rotation"])
    }

    @Test("a last line without newline is emitted after partialLineTimeoutMs; its completion is a new event")
    func partialLineAfterTimeout() throws {
        let c = try FileCase(#"paths: ["app.log"], partialLineTimeoutMs: 300"#)
        try c.write("app.log", "whole\nhalf")
        let run = try c.start()
        #expect(c.waitForEvents(2))
        c.append("app.log", " and the rest\nnext\n")
        #expect(c.waitForEvents(4))
        usleep(300_000)
        _ = run.terminate()
        #expect(c.messages == ["whole", "half", " and the rest", "next"])
    }

    @Test("CRLF lines lose their CR; NUL bytes before a line are skipped and counted")
    func crlfAndNul() throws {
        let c = try FileCase(#"paths: ["*.log"]"#)
        try c.write("dos.log", "first\r\n\r\nthird\r\n")
        try c.write("nul.log", bytes: Array("before\n".utf8) + Array(repeating: 0, count: 64) + Array("after\n".utf8))
        let result = try c.runOnce()
        #expect(result.status == 0)
        c.expectDelivered(["first", "", "third", "before", "after"])
        #expect(result.stderr.contains("NUL bytes skipped") && result.stderr.contains("bytes=64"))
    }

    @Test("invalid UTF-8 is replaced by U+FFFD, or escaped as \\u00XX, by config", arguments: ["replace", "escape"])
    func invalidUTF8(mode: String) throws {
        let c = try FileCase(#"paths: ["bad.log"], invalidUTF8: "\#(mode)""#)
        try c.write("bad.log", bytes: Array("caf".utf8) + [0xE9] + Array(" ok\n".utf8) + [0xFF, 0xFE, 0x0A]
                    + Array("fine\n".utf8))
        let result = try c.runOnce()
        #expect(result.status == 0)
        if mode == "replace" {
            c.expectDelivered(["caf\u{FFFD} ok", "\u{FFFD}\u{FFFD}", "fine"])
        } else {
            #expect(c.rawEvents == [#"{"message":"caf\u00e9 ok"}"#, #"{"message":"\u00ff\u00fe"}"#,
                                    #"{"message":"fine"}"#])
        }
    }

    @Test("Latin-1 input is converted to UTF-8 when the input says encoding: latin-1")
    func latin1() throws {
        let c = try FileCase(#"paths: ["legacy.log"], encoding: "latin-1""#)
        try c.write("legacy.log", bytes: Array("caf".utf8) + [0xE9, 0x20, 0xFC, 0x62, 0x65, 0x72, 0x0A]
                    + [0xA9, 0x20, 0x32, 0x30, 0x32, 0x36, 0x0D, 0x0A] + Array("ascii\n".utf8))
        let result = try c.runOnce()
        #expect(result.status == 0)
        c.expectDelivered(["café über", "© 2026", "ascii"])
    }

    @Test("a line over maxLineBytes is cut, flagged in its event and counted; the next line is intact")
    func overLongLine() throws {
        let c = try FileCase(#"paths: ["long.log"], maxLineBytes: 64, readBufferBytes: 4096"#)
        let long = String(repeating: "0123456789", count: 2000)
        try c.write("long.log", lines: ["before", long, "after"])
        let result = try c.runOnce()
        #expect(result.status == 0)
        c.expectDelivered(["before", String(long.prefix(64)), "after"])
        let flags = c.events.map { $0["truncated"] as? Bool ?? false }
        #expect(flags == [false, true, false])
        #expect(result.stdout.contains("1 lines cut at maxLineBytes"))
    }

    @Test("two different 40-byte files are both read whole, and so are two identical ones")
    func smallFiles() throws {
        let c = try FileCase(#"paths: ["*.log"]"#)
        let a = "aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa"
        let b = "bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb"
        try c.write("a.log", a + "\n")
        try c.write("b.log", b + "\n")
        try c.write("same1.log", "the same forty bytes in two files here\n")
        try c.write("same2.log", "the same forty bytes in two files here\n")
        #expect(try c.runOnce().status == 0)
        c.expectDelivered([a, b, "the same forty bytes in two files here", "the same forty bytes in two files here"])
    }

    @Test("many CSV files with the same 200-byte header and different rows: each is its own file",
          arguments: [5, 40])
    func sharedCSVHeader(rows: Int) throws {
        let c = try FileCase(#"paths: ["csv/*.csv"]"#)
        let header = "id,timestamp,host,service,level,region,zone,cluster,tenant,request,status,bytes,latency,"
            + "user_agent,referrer,trace_id,span_id,parent_id,message,extra_field_one,extra_field_two,extra3,"
            + "checksum,owner,priority"
        #expect(header.utf8.count >= 200)
        var expected: [String] = []
        for file in 0..<60 {
            let lines = [header] + (0..<rows).map { "\(file),2026-12-04T10:00:\(String(format: "%02d", $0)),row \($0)" }
            try c.write("csv/part-\(file).csv", lines: lines)
            expected += lines
        }
        #expect(try c.runOnce().status == 0)
        c.expectDelivered(expected)
    }

    @Test("""
        two files with a header longer than fingerprintBytes: the second is named as not read and the run \
        fails; with fingerprintBytes raised, both are read
        """)
    func headerLongerThanFingerprint() throws {
        let header = String(repeating: "h", count: 2000)
        func write(_ c: FileCase) throws -> [String: [String]] {
            var files: [String: [String]] = [:]
            for name in ["g1", "g2"] {
                let lines = [header] + (1...500).map { "\(name) row \($0)" }
                try c.write("logs/\(name).log", lines: lines)
                files[name] = lines
            }
            return files
        }
        let c = try FileCase(#"paths: ["logs/*.log"]"#)
        let files = try write(c)
        let result = try c.runOnce()
        #expect(result.status != 0, "stdout: \(result.stdout)")
        let delivered = Set(c.messages)
        let read = files.filter { delivered.isSuperset(of: $0.value) }.map(\.key)
        #expect(read.count == 1, "one of the two files is read whole")
        let skipped = files.keys.first { !read.contains($0) } ?? "?"
        let errors = result.stderr.split(separator: "\n").filter { $0.contains("file not read") }
        #expect(errors.count == 1 && errors.first?.contains("\(skipped).log") == true, "stderr: \(result.stderr)")
        #expect(errors.first?.contains("raise fingerprintBytes above 1024") == true)
        #expect(result.stdout.contains("\(skipped).log"), "the summary lists it as failed: \(result.stdout)")

        let raised = try FileCase(#"paths: ["logs/*.log"], fingerprintBytes: 4096"#)
        let both = try write(raised)
        #expect(try raised.runOnce().status == 0)
        raised.expectDelivered(both.values.flatMap { $0 })
    }
}
