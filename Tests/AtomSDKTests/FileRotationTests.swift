import AtomBase
import AtomSDK
import Foundation
import Testing
import TestSupport

@Suite("Rotation of output and dead-letter files by size")
struct FileRotationTests {
    /// `path` and its rotated files, oldest first, as they are on disk.
    private func chain(_ path: String) -> [String] {
        var files: [String] = []
        var number = 1
        while FileManager.default.fileExists(atPath: "\(path).\(number)") {
            files.insert("\(path).\(number)", at: 0)
            number += 1
        }
        return files + [path]
    }

    private func size(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? -1
    }

    @Test("a stream's output file is rotated by size and the oldest files go beyond the total bound")
    func outputRotation() throws {
        let folder = try TempDir()
        let logger = Logger(level: .info, fd: -1, captureLines: true)
        let transport = try FileTransport(directory: folder.path,
                                          rotation: FileRotation(maxFileBytes: 100, maxTotalBytes: 250),
                                          logger: logger)
        // Each batch: two events of 18 bytes, 38 bytes with their line feeds.
        let events = (0..<40).map { String(format: "{\"n\":%03d,\"pad\":\"\"}", $0) }
        for pair in stride(from: 0, to: events.count, by: 2) {
            let batch = EventBatch(stream: "web", authKey: nil, events: Array(events[pair..<pair + 2]))
            #expect(transport.send(batch) == .delivered)
        }

        // Files of two batches (a third would pass 100 bytes). Rotated files are kept while they
        // leave a full live file room under 250 bytes: one of 76 (76 + 100 ≤ 250; 152 + 100 > 250).
        let files = chain(folder.file("web.jsonl"))
        let lines = files.flatMap { TempDir.lines(atPath: $0) }
        #expect(files.map(size) == [76, 76])
        #expect(lines == Array(events.suffix(8)), "what is kept is the newest events, in order")
        // Ten files were written; the two kept stay, the first rotation deleted nothing.
        let deletions = logger.capturedLines.filter { $0.contains("rotated output file deleted") }
        #expect(deletions.count == 8)
        #expect(deletions.allSatisfy { $0.contains("bytes=76") })
    }

    @Test("without a total bound every rotated file is kept")
    func rotationWithoutBound() throws {
        let folder = try TempDir()
        let transport = try FileTransport(directory: folder.path, rotation: FileRotation(maxFileBytes: 64))
        let events = (0..<9).map { "{\"n\":\($0),\"x\":\"01234567890123456\"}" }  // 32 bytes each with LF
        for event in events {
            #expect(transport.send(EventBatch(stream: "app", authKey: nil, events: [event])) == .delivered)
        }

        let files = chain(folder.file("app.jsonl"))
        #expect(files.count == 5)
        #expect(files.flatMap { TempDir.lines(atPath: $0) } == events)
        #expect(files.dropLast().allSatisfy { size($0) == 64 })
    }

    @Test("the dead-letter file rotates too, lists its files oldest first, and warns about deletions")
    func deadLetterRotation() throws {
        let folder = try TempDir()
        let path = folder.file("dl/dead.jsonl")
        let logger = Logger(level: .info, fd: -1, captureLines: true)
        let writer = try DeadLetterWriter(path: path, rotation: FileRotation(maxFileBytes: 300, maxTotalBytes: 700),
                                          logger: logger)
        for batch in 0..<12 {
            try writer.write(stream: "web", status: 400, message: "HTTP 400", events: ["{\"batch\":\(batch)}"])
        }

        // Lines of 108 bytes (109 from batch 10): two per file of 300 bytes, six files in all; one
        // rotated file of 216 bytes is kept (216 + 300 ≤ 700), so four rotations deleted one each.
        #expect(writer.files == chain(path))
        let kept = writer.files.flatMap { TempDir.lines(atPath: $0) }.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["events"] as? [[String: Int]]
        }
        #expect(kept.map { $0.first?["batch"] ?? -1 } == [8, 9, 10, 11])
        #expect(writer.files.map(size) == [216, 218])
        let warnings = logger.capturedLines.filter { $0.contains(" warn rotated dead-letter file deleted") }
        #expect(warnings.count == 4)
        for file in writer.files {
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
            #expect(mode == 0o600, "\(file)")
        }
    }

    @Test("an output or dead-letter file deleted or moved away while open is written anew at its path, with a warning")
    func reopenedWhenMoved() throws {
        let folder = try TempDir()
        let logger = Logger(level: .info, fd: -1, captureLines: true)
        let transport = try FileTransport(directory: folder.path, logger: logger)
        let path = folder.file("web.jsonl")
        #expect(transport.send(EventBatch(stream: "web", authKey: nil, events: ["{\"n\":1}"])) == .delivered)
        try FileManager.default.removeItem(atPath: path)
        #expect(transport.send(EventBatch(stream: "web", authKey: nil, events: ["{\"n\":2}"])) == .delivered)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"n\":2}\n")
        try FileManager.default.moveItem(atPath: path, toPath: folder.file("kept.jsonl"))
        #expect(transport.send(EventBatch(stream: "web", authKey: nil, events: ["{\"n\":3}"])) == .delivered)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"n\":3}\n")
        #expect(try String(contentsOfFile: folder.file("kept.jsonl"), encoding: .utf8) == "{\"n\":2}\n")
        let warnings = logger.capturedLines.filter { $0.contains("output file was deleted or moved away") }
        #expect(warnings.count == 2 && warnings.allSatisfy { $0.contains(path) }, "\(logger.capturedLines)")

        let deadPath = folder.file("state/dead.jsonl")
        let dead = try DeadLetterWriter(path: deadPath, logger: logger)
        try dead.write(stream: "web", status: 400, message: "bad", events: ["{\"n\":4}"])
        try FileManager.default.removeItem(atPath: deadPath)
        try dead.write(stream: "web", status: 400, message: "bad", events: ["{\"n\":5}"])
        let lines = try String(contentsOfFile: deadPath, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.contains(#""events":[{"n":5}]"#) == true, "\(lines)")
        #expect(logger.capturedLines.contains { $0.contains("dead-letter file was deleted or moved away") })
    }
}
