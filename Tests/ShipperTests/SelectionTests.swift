import Foundation
import Glibc
import Testing
import TestSupport

/// Which files and which part of them an input reads: startAt, exclude, ignoreOlderThan, `**`,
/// and standard input.
@Suite("Choosing what to read, end to end")
struct SelectionTests {
    @Test("startAt end skips what files found at start hold; appended lines and new files are read whole")
    func startAtEnd() throws {
        let c = try FileCase(#"paths: ["*.log"], startAt: "end""#)
        try c.write("existing.log", lines: taggedLines("before start", 50))
        let run = try c.start()
        #expect(c.waitForLog(run, "file opened"))
        let appended = taggedLines("appended", 5)
        c.append("existing.log", lines: appended)
        let created = taggedLines("in a new file", 7)
        try c.write("created.log", lines: created)
        #expect(c.waitForEvents(appended.count + created.count))
        usleep(300_000)
        _ = run.terminate()
        c.expectDelivered(appended + created)

        // A restart skips nothing more and repeats nothing.
        let more = taggedLines("while stopped", 3)
        c.append("existing.log", lines: more)
        #expect(try c.runOnce().status == 0)
        c.expectDelivered(appended + created + more)
    }

    @Test("startAt beginning (the default) reads files found at start from their first line")
    func startAtBeginning() throws {
        let c = try FileCase(#"paths: ["*.log"], startAt: "beginning""#)
        let lines = taggedLines("existing", 30)
        try c.write("existing.log", lines: lines)
        #expect(try c.runOnce().status == 0)
        c.expectDelivered(lines)
    }

    @Test("exclude drops files by name, or by path when the pattern has a slash")
    func excludes() throws {
        let c = try FileCase(#"paths: ["logs/*.log", "logs/old/*.log"], exclude: ["debug*", "*/logs/old/*"]"#)
        let kept = taggedLines("kept", 4)
        try c.write("logs/app.log", lines: kept)
        try c.write("logs/debug.log", lines: taggedLines("excluded by name", 4))
        try c.write("logs/old/app.log", lines: taggedLines("excluded by path", 4))
        #expect(try c.runOnce().status == 0)
        c.expectDelivered(kept)
    }

    @Test("ignoreOlderThan leaves old files unread until they change; then only what was added is read")
    func ignoreOlderThan() throws {
        let c = try FileCase(#"paths: ["*.log"], ignoreOlderThan: "1h""#)
        try c.write("old.log", lines: taggedLines("old content", 20))
        try c.age("old.log", seconds: 7200)
        let fresh = taggedLines("fresh", 6)
        try c.write("fresh.log", lines: fresh)
        let run = try c.start()
        #expect(c.waitForEvents(fresh.count))
        #expect(run.stderr.contains("files older than ignoreOlderThan are not read until they change"))

        let added = taggedLines("added to the old file", 4)
        c.append("old.log", lines: added)
        #expect(c.waitForEvents(fresh.count + added.count))
        usleep(300_000)
        _ = run.terminate()
        c.expectDelivered(fresh + added)

        // The old file is known now: a restart reads neither its old content nor its additions again.
        #expect(try c.runOnce().status == 0)
        c.expectDelivered(fresh + added)
    }

    @Test("** matches files at any depth (hidden folders left out), and files in folders made later")
    func recursiveGlob() throws {
        let c = try FileCase(#"paths: ["logs/**/*.log"]"#)
        let top = taggedLines("top", 2)
        let one = taggedLines("one deep", 2)
        let two = taggedLines("two deep", 2)
        try c.write("logs/top.log", lines: top)
        try c.write("logs/a/one.log", lines: one)
        try c.write("logs/a/b/two.log", lines: two)
        try c.write("logs/.hidden/no.log", lines: ["hidden"])
        try c.write("logs/a/not-a-log.txt", lines: ["other"])
        let run = try c.start()
        #expect(c.waitForEvents(6))

        // A folder tree created while running: inotify sees the new folder, the rescan walks it.
        let later = taggedLines("made later", 3)
        try c.write("logs/new/deeper/later.log", lines: later)
        #expect(c.waitForEvents(9))
        usleep(300_000)
        _ = run.terminate()
        c.expectDelivered(top + one + two + later)
    }

    @Test("--stdin reads standard input through the input's mapping; nothing is checkpointed, so twice is twice")
    func standardInput() throws {
        let c = try FileCase(#"paths: ["never/*.log"]"#)
        let lines = taggedLines("piped", 1000) + ["last without newline"]
        let text = lines.joined(separator: "\n")
        for _ in 0..<2 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ShipperBinary.path)
            process.arguments = ["run", "--config", c.configPath, "--stdin"]
            let input = Pipe()
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            input.fileHandleForWriting.write(Data(text.utf8))
            try input.fileHandleForWriting.close()
            let summary = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            #expect(summary.contains("\(lines.count) events delivered"), "summary: \(summary)")
        }
        c.expectDelivered(lines + lines)
        #expect(!FileManager.default.fileExists(atPath: c.path("state/cp.sqlite")),
                "stdin runs do not touch the checkpoint database")
    }

    @Test("--stdin with several inputs needs --input NAME, and names the inputs when it is missing")
    func standardInputNeedsInputName() throws {
        let c = try FileCase(#"paths: ["never/*.log"] }, { name: "other", paths: ["x/*.log"]"#)
        let result = try ShipperBinary.run(["run", "--config", c.configPath, "--stdin"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("--input NAME") && result.stderr.contains("case, other"))
    }
}
