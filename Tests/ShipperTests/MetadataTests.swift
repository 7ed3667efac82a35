import Foundation
import Glibc
import Testing
import TestSupport

/// Source metadata fields through the real binary, each checked against what the test knows:
/// the lines it wrote, their offsets, the file's first bytes, the host and the clock.
@Suite("Source metadata and event ids")
struct MetadataTests {
    static func config(_ dir: TempDir, name: String, paths: String) throws -> String {
        let path = dir.file("\(name).json5")
        try writeText("""
            {
              output: { directory: "out-\(name)" },
              checkpoints: { path: "state-\(name)/cp.sqlite" },
              inputs: [{
                name: "app", paths: ["\(paths)"], stream: "app",
                metadata: { host: true, path: "file", input: "source_input", offset: true,
                            ingestTime: true, eventId: "event_id" },
              }],
            }
            """, to: path)
        return path
    }

    /// The first 128 bits of SHA-256 over the file's first 1024 bytes, as `sha256sum` computes it.
    static func fingerprint(of path: String, in dir: TempDir) throws -> String {
        let head = dir.file("head.bin")
        let bytes = try #require(FileManager.default.contents(atPath: path))
        try Data(bytes.prefix(1024)).write(to: URL(fileURLWithPath: head))
        let sum = try tool("/usr/bin/sha256sum", [head])
        return String(sum.prefix(32))
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        _ = gethostname(&buffer, buffer.count - 1)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func date(_ text: String?) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return text.flatMap { formatter.date(from: $0) }
    }

    @Test("every field as the file has it; the same ids after a rename and gzip, and across runs")
    func everyFieldAndStableIDs() throws {
        let dir = try TempDir()
        let log = dir.file("app.log")
        let lines = (0..<40).map { "metadata line \($0) \(String(repeating: "m", count: $0 % 7 * 5))" }
        try writeText(lines.map { $0 + "\n" }.joined(), to: log)
        var offsets: [String: Int] = [:]
        var at = 0
        for line in lines {
            offsets[line] = at
            at += line.utf8.count + 1
        }
        #expect(at > 1024, "the file must be longer than the fingerprint")
        let fingerprint = try Self.fingerprint(of: log, in: dir)

        let before = Date().addingTimeInterval(-1)
        let first = try ShipperBinary.run(["run", "--once", "--config",
                                           try Self.config(dir, name: "a", paths: "app.log")])
        let after = Date().addingTimeInterval(1)
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let events = dir.lines(of: "out-a/app.jsonl").map(decode)
        #expect(events.map { $0["message"] as? String ?? "" } == lines)
        var ids: [String: String] = [:]
        for event in events {
            let message = event["message"] as? String ?? ""
            let offset = try #require(offsets[message])
            #expect(Set(event.keys) == ["message", "host", "file", "source_input", "offset", "ingest_time",
                                        "event_id"])
            #expect(event["host"] as? String == Self.hostName())
            #expect(event["file"] as? String == log)
            #expect(event["source_input"] as? String == "app")
            #expect((event["offset"] as? NSNumber)?.intValue == offset && !(event["offset"] is String))
            #expect(event["event_id"] as? String == "\(fingerprint)-\(offset)")
            let read = try #require(Self.date(event["ingest_time"] as? String))
            #expect(read >= before && read <= after)
            ids[message] = event["event_id"] as? String
        }
        #expect(Set(ids.values).count == lines.count)

        // Renamed, then compressed, and read from scratch (as after a crash that lost the
        // checkpoints): every line gets the id it had.
        try FileManager.default.moveItem(atPath: log, toPath: dir.file("app.log.1"))
        try tool("/bin/gzip", [dir.file("app.log.1")])
        let second = try ShipperBinary.run(["run", "--once", "--config",
                                            try Self.config(dir, name: "b", paths: "app.log*")])
        #expect(second.status == 0, "stderr: \(second.stderr)")
        let again = dir.lines(of: "out-b/app.jsonl").map(decode)
        #expect(again.count == lines.count)
        for event in again {
            let message = event["message"] as? String ?? ""
            #expect(event["event_id"] as? String == ids[message], "\(message)")
            #expect(event["file"] as? String == dir.file("app.log.1.gz"))
        }

        // The same checkpoints again: nothing is read twice, so no id repeats.
        let third = try ShipperBinary.run(["run", "--once", "--config",
                                           try Self.config(dir, name: "b", paths: "app.log*")])
        #expect(third.status == 0, "stderr: \(third.stderr)")
        #expect(dir.lines(of: "out-b/app.jsonl").count == lines.count)
    }
}
