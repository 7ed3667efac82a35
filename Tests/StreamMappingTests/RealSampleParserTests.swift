import AtomBase
import Foundation
import StreamMapping
import Testing

/// The built-in parsers on the shared real-world samples; counts from their README.
@Suite("Built-in parsers on the real samples")
struct RealSampleParserTests {
    static let combined = #"%{client} %{ident} %{user} [%{time}] "%{method} %{path} %{protocol}" "#
        + #"%{status} %{bytes} "%{referrer}" "%{agent}""#

    /// Maps every line, and returns the decoded events (failing the test for one that is not a
    /// JSON object).
    static func events(_ mapper: EventMapper, _ lines: [[UInt8]]) -> [[String: Any]] {
        lines.compactMap { line in
            let event = decodedEvent(mapper, bytes: line)
            if event == nil { Issue.record("not a JSON object: \(String(decoding: line, as: UTF8.self))") }
            return event
        }
    }

    /// How many events have each value of `field` (strings as they are, numbers as text).
    static func tally(_ events: [[String: Any]], _ field: String) -> [String: Int] {
        var counts: [String: Int] = [:]
        for event in events {
            counts[event[field].map { "\($0)" } ?? "(none)", default: 0] += 1
        }
        return counts
    }

    @Test("apache_access.log: dissect agrees with the combined-format regex on every line",
          .disabled(if: RealSamples.unavailable("apache_access.log"), "ATOM_SKIP_SHARED=1"))
    func apacheAccess() throws {
        let lines = try RealSamples.lines("apache_access.log")
        let mapper = try builtInMapper("dissect", ["pattern": .string(Self.combined)])
        let reference = try EventMapper(spec: MappingSpec(
            parser: .regex(pattern: ApacheAccessLogTests.combined), defaultStream: "web"
        ))
        let events = Self.events(mapper, lines)

        #expect(events.count == 8_463)
        #expect(mapper.parseFailures == 0)
        #expect(Self.tally(events, "method") == ["GET": 8_420, "HEAD": 39, "POST": 4])
        #expect(Self.tally(events, "bytes")["-"] == 613)
        var differing = 0
        for (line, event) in zip(lines, events)
        where !eventEquals(decodedEvent(reference, bytes: line), event) {
            differing += 1
            Issue.record("dissect and regex differ on: \(String(decoding: line, as: UTF8.self))")
        }
        #expect(differing == 0)
        #expect(eventEquals(events.first, [
            "client": "83.149.9.216", "ident": "-", "user": "-", "time": "17/May/2015:10:05:03 +0000",
            "method": "GET", "path": "/presentations/logstash-monitorama-2013/images/kibana-search.png",
            "protocol": "HTTP/1.1", "status": "200", "bytes": "203023",
            "referrer": "http://semicomplete.com/presentations/logstash-monitorama-2013/",
            "agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) "
                + "Chrome/32.0.1700.77 Safari/537.36",
        ]))
    }

    @Test("apache_access.log: grok's COMBINEDAPACHELOG agrees with dissect on every line, numbers typed",
          .disabled(if: RealSamples.unavailable("apache_access.log"), "ATOM_SKIP_SHARED=1"))
    func apacheAccessGrok() throws {
        let lines = try RealSamples.lines("apache_access.log")
        let grok = try grokMapper(["^%{COMBINEDAPACHELOG}$"])
        let dissect = try builtInMapper("dissect", ["pattern": .string(Self.combined)])
        var differing = 0
        for line in lines {
            guard let expected = decodedEvent(dissect, bytes: line), let event = decodedEvent(grok, bytes: line) else {
                differing += 1
                continue
            }
            let noBytes: Set<String> = expected["bytes"] as? String == "-" ? ["bytes"] : []
            var same = Set(event.keys) == Set(expected.keys).subtracting(noBytes)
            for (key, value) in expected {
                switch key {
                case "status", "bytes":
                    let number = (value as? String).flatMap { Int($0) }
                    same = same && (event[key] as? Int) == number && !(event[key] is String)
                default:
                    same = same && event[key] as? String == value as? String
                }
            }
            if !same {
                differing += 1
                Issue.record("grok and dissect differ on: \(String(decoding: line, as: UTF8.self))")
            }
        }
        #expect(grok.parseFailures == 0)
        #expect(differing == 0)
    }

    @Test("logfmt.log: 1,000 events with the README's level counts",
          .disabled(if: RealSamples.unavailable("logfmt.log"), "ATOM_SKIP_SHARED=1"))
    func logfmt() throws {
        let lines = try RealSamples.lines("logfmt.log")
        let mapper = try builtInMapper("logfmt")
        let events = Self.events(mapper, lines)

        #expect(events.count == 1_000)
        #expect(mapper.parseFailures == 0)
        #expect(Self.tally(events, "level") == ["debug": 235, "info": 232, "warning": 257, "error": 276])
        #expect(events.allSatisfy { $0["time"] is String && $0["msg"] is String })
        #expect(eventEquals(events.first, [
            "time": "2024-11-12T14:39:08+09:00", "level": "warning", "msg": "System warning",
            "alert_level": "medium", "component": "system-monitor",
            "metrics": "map[cpu_usage:13.288512611842254 disk_usage:88.0785106813753 "
                + "memory_usage:20.00144697332922]",
            "threshold": "23.894222159527345", "warning_message": "Rate limit threshold reached",
            "warning_type": "performance",
        ]))
    }

    @Test("csv_log.csv: 2,000 records of 10 columns, and the header line dropped by a route",
          .disabled(if: RealSamples.unavailable("csv_log.csv"), "ATOM_SKIP_SHARED=1"))
    func csv() throws {
        let lines = try RealSamples.lines("csv_log.csv")
        let names = [
            "LineId", "Date", "Time", "Pid", "Tid", "Level", "Component", "Content", "EventId",
            "EventTemplate",
        ]
        let drop = Route(when: .equals(field: "LineId", value: "LineId"), stream: nil, drop: true)
        let mapper = try builtInMapper(
            "csv", ["columns": .string(names.joined(separator: ","))], routes: [drop]
        )

        var dropped = 0
        var events: [[String: Any]] = []
        for line in lines {
            let stream = line.withUnsafeBytes { mapper.route($0) }
            if stream == nil { dropped += 1 }
            if let event = decodedEvent(mapper, bytes: line), stream != nil { events.append(event) }
        }
        #expect(lines.count == 2_001)
        #expect(dropped == 1)
        #expect(events.count == 2_000)
        #expect(mapper.parseFailures == 0)
        #expect(events.allSatisfy { Set($0.keys) == Set(names) })
        #expect(events.map { $0["LineId"] as? String } == (1...2_000).map { String($0) })
        #expect(eventEquals(events.dropFirst().first, [
            "LineId": "2", "Date": "03-17", "Time": "16:13:38.819", "Pid": "1702", "Tid": "8671",
            "Level": "D",
            "Component": "PowerManagerService",
            "Content": #"acquire lock=233570404, flags=0x1, tag="View Lock", name=com.android.systemui, "#
                + "ws=null, uid=10037, pid=2227",
            "EventId": "E10",
            "EventTemplate": #"acquire lock=<*>, flags=<*>, tag="<*>", name=<*>, ws=<*>, uid=<*>, pid=<*>"#,
        ]))
    }

    @Test("syslog_rfc3164.log: 2,000 events, host combo on every line, the tags split into app and pid",
          .disabled(if: RealSamples.unavailable("syslog_rfc3164.log"), "ATOM_SKIP_SHARED=1"))
    func bsdSyslog() throws {
        let lines = try RealSamples.lines("syslog_rfc3164.log")
        let mapper = try builtInMapper("syslog", ["format": .string("rfc3164")])
        let events = Self.events(mapper, lines)

        #expect(events.count == 2_000)
        #expect(mapper.parseFailures == 0)
        #expect(Self.tally(events, "host") == ["combo": 2_000])
        let apps = Self.tally(events, "app")
        #expect(apps["ftpd"] == 916)
        #expect(apps["sshd(pam_unix)"] == 677)
        #expect(apps["su(pam_unix)"] == 172)
        #expect(apps["kernel"] == 76)
        #expect(apps["syslogd 1.4.1"] == 7)
        #expect(apps["(none)"] == nil)
        for (line, event) in zip(lines, events) {
            #expect(event["timestamp"] as? String == String(decoding: line.prefix(15), as: UTF8.self))
        }
        #expect(eventEquals(events.first, [
            "timestamp": "Jun 14 15:16:01", "host": "combo", "app": "sshd(pam_unix)", "pid": "19939",
            "message": "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ",
        ]))
        #expect(eventEquals(events[898], [
            "timestamp": "Jul  7 08:06:15", "host": "combo", "app": "-- root", "pid": "2421",
            "message": "ROOT LOGIN ON tty2",
        ]))
        #expect(eventEquals(events[1_909], [
            "timestamp": "Jul 27 14:41:57", "host": "combo", "app": "kernel",
            "message": "klogd 1.4.1, log source = /proc/kmsg started.",
        ]))
    }

    @Test("openssh.log: 2,000 events, app sshd with a pid on every line",
          .disabled(if: RealSamples.unavailable("openssh.log"), "ATOM_SKIP_SHARED=1"))
    func openSSH() throws {
        let lines = try RealSamples.lines("openssh.log")
        let mapper = try builtInMapper("syslog")
        let events = Self.events(mapper, lines)

        #expect(events.count == 2_000)
        #expect(mapper.parseFailures == 0)
        #expect(Self.tally(events, "app") == ["sshd": 2_000])
        #expect(Self.tally(events, "host") == ["LabSZ": 2_000])
        #expect(events.allSatisfy { ($0["pid"] as? String).flatMap { Int($0) } != nil })
        #expect(eventEquals(events.first, [
            "timestamp": "Dec 10 06:55:46", "host": "LabSZ", "app": "sshd", "pid": "24200",
            "message": "reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] "
                + "failed - POSSIBLE BREAK-IN ATTEMPT!",
        ]))
        #expect(eventEquals(events[1], [
            "timestamp": "Dec 10 06:55:46", "host": "LabSZ", "app": "sshd", "pid": "24200",
            "message": "Invalid user webmaster from 173.234.31.186",
        ]))
    }

    @Test("syslog_rfc5424.log: 2,378 events with the README's PRI counts, nil values left out",
          .disabled(if: RealSamples.unavailable("syslog_rfc5424.log"), "ATOM_SKIP_SHARED=1"))
    func rfc5424() throws {
        let lines = try RealSamples.lines("syslog_rfc5424.log")
        let mapper = try builtInMapper("syslog", ["format": .string("rfc5424")])
        let events = Self.events(mapper, lines)

        #expect(events.count == 2_378)
        #expect(mapper.parseFailures == 0)
        #expect(Self.tally(events, "priority") == ["133": 1_242, "134": 1_124, "131": 8, "132": 4])
        #expect(Self.tally(events, "facility") == ["16": 2_378])
        #expect(Self.tally(events, "severity") == ["5": 1_242, "6": 1_124, "3": 8, "4": 4])
        #expect(Self.tally(events, "app") == ["EvntSLog": 2_378])
        #expect(Self.tally(events, "version") == ["1": 2_378])
        for absent in ["procid", "msgid", "structured_data"] {
            #expect(Self.tally(events, absent) == ["(none)": 2_378])
        }
        #expect(events.filter { ($0["message"] as? String)?.hasPrefix("@cee: {") == true }.count == 290)
        #expect(eventEquals(events[4], [
            "priority": 134, "facility": 16, "severity": 6, "version": "1",
            "timestamp": "2018-03-24T08:59:39-07:00", "host": "PC-newman.jerry.land", "app": "EvntSLog",
            "message": "Successful auto update of third-party root certificate:: Subject: "
                + "<CN=GeoTrust Global CA, O=GeoTrust Inc., C=US> Sha1 thumbprint: "
                + "<DE28F4A4FFE5B92FA3C503D1A349A7F9962A8212>.",
        ]))
    }
}
