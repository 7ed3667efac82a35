import AtomBase
import Foundation
import Shipper
import StreamMapping
import Testing

/// One example config run over its real sample in-process: every line mapped, as the shipper
/// would, with the events decoded by Foundation.
struct ExampleRun {
    var lines: [[UInt8]]
    /// Per line: the stream name (nil when dropped) and the decoded event.
    var events: [(stream: String?, event: [String: Any])]
    var parseFailures: Int
    /// Per line: the event's JSON text.
    var texts: [[UInt8]]

    static let skip = ProcessInfo.processInfo.environment["ATOM_SKIP_SHARED"] == "1"

    /// Loads `config/examples/<name>`, maps every line of the one file its input names (split
    /// on LF, a CR before it stripped, a last line without LF kept).
    init(_ name: String) throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../..").standardizedFileURL.path
        let config = try ConfigLoader.load(path: "\(repo)/config/examples/\(name)")
        let input = try #require(config.inputs.first)
        let shared = try #require(input.tail.paths.first)
        // The repository's copy when it has one (Tests/ShipperTests/Fixtures), else ../shared's.
        let copy = "\(repo)/Tests/ShipperTests/Fixtures/\(URL(fileURLWithPath: shared).lastPathComponent)"
        let path = FileManager.default.fileExists(atPath: copy) ? copy : shared
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false).map { line -> [UInt8] in
            var bytes = Array(line)
            if bytes.last == 0x0D { bytes.removeLast() }
            return bytes
        }
        if data.last == 0x0A { lines.removeLast() }
        let mapper = try EventMapper(spec: input.mapping)
        var events: [(String?, [String: Any])] = []
        var texts: [[UInt8]] = []
        for line in lines {
            let (stream, text) = line.withUnsafeBytes { raw -> (Int?, [UInt8]) in
                let stream = mapper.route(raw)
                let out = ByteBuffer(capacity: 1024)
                mapper.encode(into: out)
                return (stream, out.array)
            }
            let event = try JSONSerialization.jsonObject(with: Data(text)) as? [String: Any]
            events.append((stream.map { mapper.streams[$0].name }, try #require(event)))
            texts.append(text)
        }
        self.lines = lines
        self.events = events
        self.texts = texts
        parseFailures = mapper.parseFailures
    }

    /// Events per stream.
    var streams: [String: Int] {
        events.reduce(into: [:]) { counts, entry in counts[entry.stream ?? "(dropped)", default: 0] += 1 }
    }

    /// How many events have each value of `field` (as text; "(none)" when absent).
    func tally(_ field: String) -> [String: Int] {
        events.reduce(into: [:]) { counts, entry in
            counts[entry.event[field].map { "\($0)" } ?? "(none)", default: 0] += 1
        }
    }

    func text(_ index: Int) -> String { String(decoding: lines[index], as: UTF8.self) }
}

/// Every example config in config/examples/ against its file in ../shared/data/real, with the
/// counts from that folder's README and fields checked against the lines' text.
@Suite("Example configs on the real samples", .disabled(if: ExampleRun.skip, "ATOM_SKIP_SHARED=1"))
struct ExampleConfigTests {
    @Test("real-apache-access.json5: 8,463 events, methods and '-' byte counts as the README says")
    func apacheAccess() throws {
        let run = try ExampleRun("real-apache-access.json5")
        #expect(run.events.count == 8_463)
        #expect(run.parseFailures == 0)
        #expect(run.tally("method") == ["GET": 8_420, "HEAD": 39, "POST": 4])
        #expect(run.tally("bytes")["(none)"] == 613)
        #expect(Set(run.tally("status").keys) == ["200", "304", "404", "301", "206", "500", "416", "403"])
        #expect(run.streams == ["real_access": 8_463 - run.tally("status")["500", default: 0],
                                "real_access_5xx": run.tally("status")["500", default: 0]])
        // Every 50th line, each field against the line cut by hand: quotes and brackets.
        for index in stride(from: 0, to: run.lines.count, by: 50) {
            let text = run.text(index)
            let event = run.events[index].event
            let quoted = text.split(separator: "\"", omittingEmptySubsequences: false).map(String.init)
            let head = quoted[0].split(separator: " ").map(String.init)
            let request = quoted[1].split(separator: " ").map(String.init)
            let numbers = quoted[2].split(separator: " ").map(String.init)
            #expect(event["client"] as? String == head[0])
            #expect(event["time"] as? String == String(text.drop { $0 != "[" }.dropFirst().prefix { $0 != "]" }))
            #expect([event["method"], event["path"], event["protocol"]].compactMap { $0 as? String } == request)
            #expect(event["status"] as? Int == Int(numbers[0]))
            #expect(event["bytes"] as? Int == Int(numbers[1]))
            #expect(event["referrer"] as? String == quoted[3])
            #expect(event["agent"] as? String == quoted[5])
            #expect(event.count == (numbers[1] == "-" ? 10 : 11))
        }
    }

    @Test("real-apache-error.json5: 2,000 events, notice 1,405 and error 595, each to its stream")
    func apacheError() throws {
        let run = try ExampleRun("real-apache-error.json5")
        #expect(run.events.count == 2_000)
        #expect(run.parseFailures == 0)
        #expect(run.tally("level") == ["notice": 1_405, "error": 595])
        #expect(run.streams == ["real_apache_notices": 1_405, "real_apache_errors": 595])
        let states = (0..<run.lines.count).filter { run.text($0).contains(" in error state ") }.count
        #expect(states == 539)
        #expect(run.tally("state")["(none)"] == 2_000 - states)
        for (index, entry) in run.events.enumerated() {
            let text = run.text(index)
            let parts = text.split(separator: "]", maxSplits: 2).map(String.init)
            #expect(entry.event["time"] as? String == String(parts[0].dropFirst()))
            #expect(entry.event["level"] as? String == String(parts[1].dropFirst(2)))
            var message = String(parts[2].dropFirst())
            if message.hasPrefix("[client ") {
                let client = message.dropFirst(8).prefix { $0 != "]" }
                #expect(entry.event["client"] as? String == String(client))
                message = String(message.dropFirst(8 + client.count + 2))
            }
            #expect(entry.event["message"] as? String == message)
            if let state = entry.event["state"] {
                #expect(text.hasSuffix(" in error state \(state)"))
            }
        }
    }

    @Test("real-syslog-rfc3164.json5: 2,000 events; time has the timestamp's month, day and clock")
    func bsdSyslog() throws {
        let run = try ExampleRun("real-syslog-rfc3164.json5")
        #expect(run.events.count == 2_000)
        #expect(run.parseFailures == 0)
        #expect(run.tally("host") == ["combo": 2_000])
        #expect(run.streams["real_syslog_kernel"] == run.tally("app")["kernel"])
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        for (index, entry) in run.events.enumerated() {
            let stamp = String(run.text(index).prefix(15))
            #expect(entry.event["timestamp"] as? String == stamp)
            let time = try #require(entry.event["time"] as? String)
            let month = try #require(months.firstIndex(of: String(stamp.prefix(3)))) + 1
            let day = try #require(Int(stamp.dropFirst(4).prefix(2).trimmingCharacters(in: .whitespaces)))
            #expect(time.count == 19)
            #expect(time.dropFirst(4).prefix(6) == String(format: "-%02d-%02d", month, day))
            #expect(time.suffix(9) == "T" + stamp.suffix(8))
            if let pid = entry.event["pid"] { #expect(pid is Int) }
        }
    }

    @Test("real-openssh.json5: 2,000 sshd events; failed passwords and invalid users to their stream")
    func openSSH() throws {
        let run = try ExampleRun("real-openssh.json5")
        #expect(run.events.count == 2_000)
        #expect(run.parseFailures == 0)
        #expect(run.tally("app") == ["sshd": 2_000])
        let attempts = (0..<run.lines.count).filter { index in
            let message = run.text(index).split(separator: ":", maxSplits: 3).last ?? ""
            return message.hasPrefix(" Failed password ") || message.hasPrefix(" Invalid user ")
        }.count
        #expect(attempts > 0)
        #expect(run.streams == ["real_sshd_attempts": attempts, "real_sshd": 2_000 - attempts])
        // Each line is "Mmm dd hh:mm:ss LabSZ sshd[pid]: message".
        for (index, entry) in run.events.enumerated() {
            let text = run.text(index)
            let afterStamp = text.dropFirst(16)
            let words = afterStamp.split(separator: " ", maxSplits: 2)
            #expect(entry.event["timestamp"] as? String == String(text.prefix(15)))
            #expect(entry.event["host"] as? String == String(words[0]))
            let tag = words[1].dropLast()  // sshd[24200]
            let pid = tag.drop { $0 != "[" }.dropFirst().dropLast()
            #expect(entry.event["pid"].map { "\($0)" } == String(pid), "line \(index + 1)")
            #expect(entry.event["message"] as? String == String(words.count > 2 ? words[2] : ""))
        }
    }

    @Test("real-syslog-rfc5424.json5: 2,378 events with the README's PRI counts; 12 of severity 3 or 4")
    func rfc5424() throws {
        let run = try ExampleRun("real-syslog-rfc5424.json5")
        #expect(run.events.count == 2_378)
        #expect(run.parseFailures == 0)
        #expect(run.tally("priority") == ["133": 1_242, "134": 1_124, "131": 8, "132": 4])
        #expect(run.streams == ["real_syslog5424": 2_366, "real_syslog5424_problems": 12])
        for (index, entry) in run.events.enumerated() {
            let words = run.text(index).split(separator: " ", maxSplits: 7, omittingEmptySubsequences: false)
            #expect(entry.event["timestamp"] as? String == String(words[1]))
            #expect(entry.event["host"] as? String == String(words[2]))
            #expect(entry.event["message"] as? String == (words.count > 7 ? String(words[7]) : nil))
        }
    }

    @Test("real-logfmt.json5: 1,000 events, 276 errors to their stream")
    func logfmt() throws {
        let run = try ExampleRun("real-logfmt.json5")
        #expect(run.events.count == 1_000)
        #expect(run.parseFailures == 0)
        #expect(run.tally("level") == ["debug": 235, "info": 232, "warning": 257, "error": 276])
        #expect(run.streams == ["real_logfmt": 724, "real_logfmt_errors": 276])
        // Every key=value and key="quoted value" pair of the text, read here by a regex of the test's own.
        let pair = try NSRegularExpression(pattern: #"([A-Za-z_][A-Za-z0-9_.]*)=("((?:[^"\\]|\\.)*)"|[^ ]*)"#)
        for (index, entry) in run.events.enumerated() {
            let text = run.text(index)
            let matches = pair.matches(in: text, range: NSRange(text.startIndex..., in: text))
            #expect(matches.count == entry.event.count, "line \(index + 1): \(text)")
            for match in matches {
                guard let key = Range(match.range(at: 1), in: text).map({ String(text[$0]) }) else { continue }
                let quoted = Range(match.range(at: 3), in: text).map { String(text[$0]) }
                let value = quoted ?? Range(match.range(at: 2), in: text).map { String(text[$0]) }
                #expect(entry.event[key] as? String == value, "line \(index + 1), key \(key)")
            }
        }
    }

    @Test("real-csv.json5: 2,000 records, the header line dropped")
    func csv() throws {
        let run = try ExampleRun("real-csv.json5")
        #expect(run.lines.count == 2_001)
        #expect(run.streams == ["real_android": 2_000, "(dropped)": 1])
        #expect(run.parseFailures == 0)
        // The six columns before the first quote-able one hold no commas or quotes: split them here.
        let columns = ["LineId", "Date", "Time", "Pid", "Tid", "Level", "Component"]
        for (index, entry) in run.events.enumerated().dropFirst() {
            let cells = run.text(index).split(separator: ",", maxSplits: 7, omittingEmptySubsequences: false)
            for (column, cell) in zip(columns, cells) {
                #expect(entry.event[column] as? String == String(cell), "line \(index + 1), \(column)")
            }
            let content = try #require(entry.event["Content"] as? String)
            #expect(!content.isEmpty)
            #expect(run.text(index).contains(content.replacingOccurrences(of: "\"", with: "\"\"")))
        }
    }

    @Test("real-ndjson.json5: 2,022 events, each byte for byte its line; 1,975 records to their stream")
    func ndjson() throws {
        let run = try ExampleRun("real-ndjson.json5")
        #expect(run.events.count == 2_022)
        #expect(run.parseFailures == 0)
        #expect(run.texts == run.lines)
        #expect(run.streams == ["real_pg_records": 1_975, "real_cnpg": 47])
        let records = run.events.compactMap { $0.event["record"] as? [String: Any] }
        #expect(records.count == 1_975)
        #expect(records.allSatisfy { $0["error_severity"] is String && $0["message"] is String })
    }
}
