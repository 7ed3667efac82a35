import Foundation
import Testing
import TestSupport

/// `config/examples/real-java-stacktrace.json5` on the Kafka controller log (a copy in Fixtures,
/// Apache-2.0), through the real binary.
@Suite("Java stack traces: the real Kafka controller log")
struct JavaStackTraceTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../config/examples/real-java-stacktrace.json5").standardizedFileURL.path

    /// The example config, reading the fixture copy and writing into `dir`.
    static func config(in dir: TempDir) throws -> String {
        var text = try String(contentsOfFile: example, encoding: .utf8)
        let swaps = [
            ("../../../shared/data/real/java_stacktrace.log", dir.file("controller.log")),
            ("../../out/real-java-stacktrace", dir.file("out")),
            ("../../data/real-java-stacktrace.sqlite", dir.file("state/cp.sqlite")),
        ]
        for (from, to) in swaps {
            #expect(text.contains(from), "the example config no longer names \(from)")
            text = text.replacingOccurrences(of: from, with: to)
        }
        let path = dir.file("java.json5")
        try writeText(text, to: path)
        return path
    }

    /// The events the README's rule makes of the file, each field taken from the text by hand:
    /// an event starts at a line matching `^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}\] `.
    static func expectedEvents(_ lines: [String]) throws -> [[String: String]] {
        let start = try NSRegularExpression(pattern: #"^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}\] "#)
        var groups: [[String]] = []
        for line in lines {
            let range = NSRange(line.startIndex..., in: line)
            if start.firstMatch(in: line, range: range) != nil || groups.isEmpty {
                groups.append([line])
            } else {
                groups[groups.count - 1].append(line)
            }
        }
        return groups.map { group in
            let first = group[0]
            guard first.hasPrefix("["), let close = first.firstIndex(of: "]"),
                  let open = first.range(of: " (", options: .backwards), first.hasSuffix(")") else {
                Issue.record("not a log4j first line: \(first)")
                return [:]
            }
            // `[time] LEVEL message (logger)`
            let afterTime = first[first.index(close, offsetBy: 2)...]
            let level = afterTime.prefix { $0 != " " }
            let message = afterTime.dropFirst(level.count + 1)[..<open.lowerBound]
            var event = [
                "time": String(first[first.index(after: first.startIndex)..<close]),
                "level": String(level),
                "message": String(message),
                "logger": String(first[open.upperBound...].dropLast()),
            ]
            if group.count > 1 { event["exception"] = group[1] }
            if group.count > 2 { event["stack"] = group[2...].joined(separator: "\n") }
            return event
        }
    }

    @Test("803 events with the README's counts, and every field of every event as the text has it")
    func countsAndFields() throws {
        let dir = try TempDir()
        try FileManager.default.copyItem(atPath: Self.fixtures.appendingPathComponent("java_stacktrace.log").path,
                                         toPath: dir.file("controller.log"))
        let result = try ShipperBinary.run(["run", "--once", "--config", try Self.config(in: dir)])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("1032 lines"), "summary: \(result.stdout)")

        let plain = dir.lines(of: "out/real_kafka.jsonl").map(decode)
        let traced = dir.lines(of: "out/real_kafka_exceptions.jsonl").map(decode)
        let events = plain + traced
        #expect(events.count == 803)
        #expect(traced.count == 32)
        #expect(traced.allSatisfy { $0["exception"] != nil && $0["stack"] != nil })
        #expect(plain.allSatisfy { $0["exception"] == nil && $0["stack"] == nil })

        let stacks = traced.compactMap { $0["stack"] as? String }.flatMap { $0.components(separatedBy: "\n") }
        #expect(stacks.count == 197)
        #expect(stacks.allSatisfy { $0.hasPrefix("\tat ") })
        #expect(traced.count + stacks.count == 229, "continuation lines")
        #expect(multiset(events.map { $0["level"] as? String ?? "" })
                == ["DEBUG": 428, "INFO": 189, "WARN": 137, "TRACE": 49])

        let shipped = events.map { event in event.mapValues { $0 as? String ?? "(not a string)" } }
        let expected = try Self.expectedEvents(try fileLines(dir.file("controller.log")))
        #expect(expected.count == 803)
        #expect(multiset(shipped) == multiset(expected))
        // File order within a stream: the first event with a trace, as the text has it.
        #expect(traced.first?["exception"] as? String
                == "java.io.IOException: Connection to 1 was disconnected before the response was read")
    }
}
