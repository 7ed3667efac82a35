import Glibc
import StreamMapping
import Testing

@Suite("Syslog parser")
struct SyslogParserTests {
    @Test("an RFC 3164 file line: timestamp as written, host, app and pid from the tag, message")
    func bsdFileLine() throws {
        let mapper = try builtInMapper("syslog", ["format": .string("rfc3164")])
        #expect(map(mapper, "Jun  9 06:06:20 combo sshd(pam_unix)[19939]: check pass; user unknown").json
            == #"{"timestamp":"Jun  9 06:06:20","host":"combo","app":"sshd(pam_unix)","pid":"19939","#
            + #""message":"check pass; user unknown"}"#)
        #expect(map(mapper, "Jun 14 15:16:01 combo kernel: Linux version 2.6").json
            == #"{"timestamp":"Jun 14 15:16:01","host":"combo","app":"kernel","#
            + #""message":"Linux version 2.6"}"#)
    }

    @Test("RFC 3164 tags with spaces, lines without a tag, and an empty message")
    func bsdTags() throws {
        let mapper = try builtInMapper("syslog", ["format": .string("rfc3164")])
        #expect(map(mapper, "Jul  3 04:08:03 combo syslogd 1.4.1: restart.").json
            == #"{"timestamp":"Jul  3 04:08:03","host":"combo","app":"syslogd 1.4.1","message":"restart."}"#)
        #expect(map(mapper, "Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2").json
            == #"{"timestamp":"Jul  7 08:06:15","host":"combo","app":"-- root","pid":"2421","#
            + #""message":"ROOT LOGIN ON tty2"}"#)
        #expect(map(mapper, "Jul  7 08:06:15 combo last message repeated 3 times").json
            == #"{"timestamp":"Jul  7 08:06:15","host":"combo","message":"last message repeated 3 times"}"#)
        #expect(map(mapper, "Jul  7 08:06:15 combo cron:").json
            == #"{"timestamp":"Jul  7 08:06:15","host":"combo","app":"cron"}"#)
        #expect(map(mapper, "Jul  7 08:06:15 combo a: b: c").json
            == #"{"timestamp":"Jul  7 08:06:15","host":"combo","app":"a","message":"b: c"}"#)
    }

    @Test("an RFC 3164 line with <PRI> gets priority, facility and severity as numbers")
    func bsdPriority() throws {
        let mapper = try builtInMapper("syslog")
        #expect(map(mapper, "<38>Mar 10 06:00:00 web-01 nginx[14524]: upstream timed out").json
            == #"{"priority":38,"facility":4,"severity":6,"timestamp":"Mar 10 06:00:00","host":"web-01","#
            + #""app":"nginx","pid":"14524","message":"upstream timed out"}"#)
        #expect(map(mapper, "<0>Mar 1 06:00:00 h k: m").json
            == #"{"priority":0,"facility":0,"severity":0,"timestamp":"Mar 1 06:00:00","host":"h","#
            + #""app":"k","message":"m"}"#)
    }

    @Test("an RFC 3164 line with an RFC 3339 timestamp, as rsyslog writes with high precision")
    func bsdISOTimestamp() throws {
        let mapper = try builtInMapper("syslog", ["format": .string("rfc3164")])
        #expect(map(mapper, "2024-03-10T06:00:00.123+01:00 db-2 postgres[77]: ready").json
            == #"{"timestamp":"2024-03-10T06:00:00.123+01:00","host":"db-2","app":"postgres","pid":"77","#
            + #""message":"ready"}"#)
    }

    static let inData = " in the structured data at offset"

    static let sdLine = #"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 17 ID47 "#
        + #"[exampleSDID@32473 iut="3" eventSource="App\"li\]cation"][x@1 a="b"] An application event"#

    @Test("an RFC 5424 line: header fields, structured data as an object, message")
    func rfc5424() throws {
        let mapper = try builtInMapper("syslog", ["format": .string("rfc5424")])
        let expected = #"{"priority":165,"facility":20,"severity":5,"version":"1","#
            + #""timestamp":"2003-10-11T22:14:15.003Z","host":"mymachine.example.com","app":"evntslog","#
            + #""procid":"17","msgid":"ID47","#
            + #""structured_data":{"exampleSDID@32473":{"iut":"3","eventSource":"App\"li]cation"},"#
            + #""x@1":{"a":"b"}},"#
            + #""message":"An application event"}"#
        #expect(map(mapper, Self.sdLine).json == expected)
    }

    @Test("structuredData: text keeps the elements as written")
    func rfc5424Text() throws {
        let mapper = try builtInMapper(
            "syslog", ["format": .string("rfc5424"), "structuredData": .string("text")]
        )
        let event = decodedEvent(mapper, Self.sdLine)
        #expect(event?["structured_data"] as? String
            == #"[exampleSDID@32473 iut="3" eventSource="App\"li\]cation"][x@1 a="b"]"#)
        #expect(mapper.parseFailures == 0)
    }

    @Test(
        "structured data objects: escapes undone, repeated names as arrays, repeated ids merged",
        arguments: [
            (#"[a]"#, #"{"a":{}}"#),
            (#"[a x="1"][b]"#, #"{"a":{"x":"1"},"b":{}}"#),
            (#"[a x="\\ \n \" \]"]"#, #"{"a":{"x":"\\ \\n \" ]"}}"#),
            (#"[a x="1" y="2" x="3"]"#, #"{"a":{"x":["1","3"],"y":"2"}}"#),
            (#"[a x="1"][b y=""][a z="2" x="4"]"#, #"{"a":{"x":["1","4"],"z":"2"},"b":{"y":""}}"#),
            (#"[origin ip="192.0.2.1" software="rsyslogd"]"#,
             #"{"origin":{"ip":"192.0.2.1","software":"rsyslogd"}}"#),
            ("[a x=\"tab\there é\"]", #"{"a":{"x":"tab\there é"}}"#),
        ]
    )
    func structuredData(data: String, json: String) throws {
        let mapper = try builtInMapper("syslog", ["format": .string("rfc5424")])
        #expect(map(mapper, "<14>1 - - - - - \(data) m").json
            == #"{"priority":14,"facility":1,"severity":6,"version":"1","structured_data":"#
            + json + #","message":"m"}"#)
    }

    @Test(
        "RFC 3164 year: a month more than one ahead of the reference is last year, January in December next",
        arguments: [
            ("2025-01-02", "Dec 31 23:59:59", "2024-12-31T23:59:59"),
            ("2025-01-02", "Jan  1 00:00:01", "2025-01-01T00:00:01"),
            ("2025-01-02", "Feb  3 04:05:06", "2025-02-03T04:05:06"),
            ("2025-01-02", "Mar  3 04:05:06", "2024-03-03T04:05:06"),
            ("2024-12-31", "Jan  1 00:00:01", "2025-01-01T00:00:01"),
            ("2024-12-31", "Dec 31 23:59:59", "2024-12-31T23:59:59"),
            ("2024-12-31", "Nov  5 10:00:00", "2024-11-05T10:00:00"),
            ("2024-06-15", "Jul 14 15:16:01", "2024-07-14T15:16:01"),
            ("2024-06-15", "Aug 14 15:16:01", "2023-08-14T15:16:01"),
            ("2024-06-15", "Jun 9 06:06:20", "2024-06-09T06:06:20"),
        ]
    )
    func yearInference(reference: String, timestamp: String, full: String) throws {
        let mapper = try builtInMapper("syslog", [
            "format": .string("rfc3164"), "fullTimestamp": .string("time"), "referenceDate": .string(reference),
        ])
        #expect(map(mapper, "\(timestamp) h a: m").json
            == #"{"timestamp":""# + timestamp + #"","time":""# + full + #"","host":"h","app":"a","message":"m"}"#)
    }

    @Test("fullTimestamp copies RFC 3339 timestamps, and without referenceDate reads the clock")
    func fullTimestamp() throws {
        let mapper = try builtInMapper("syslog", ["fullTimestamp": .string("ts")])
        #expect(decodedEvent(mapper, "<13>1 2024-01-01T00:00:00Z h a - - - m")?["ts"] as? String
            == "2024-01-01T00:00:00Z")
        #expect(decodedEvent(mapper, "2024-03-10T06:00:00.123+01:00 db-2 postgres[77]: ready")?["ts"] as? String
            == "2024-03-10T06:00:00.123+01:00")
        #expect(decodedEvent(mapper, "<13>1 - h a - - - m")?["ts"] == nil)
        // The clock's year, or the one before for a month more than one ahead of today.
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        let thisYear = Int(parts.tm_year) + 1900
        let month = Int(parts.tm_mon) + 1
        let names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let current = decodedEvent(mapper, "\(names[month - 1]) 15 12:00:00 h a: m")?["ts"] as? String
        #expect(current == "\(thisYear)-\(month < 10 ? "0" : "")\(month)-15T12:00:00")
        if month <= 10 {
            let ahead = decodedEvent(mapper, "\(names[month + 1]) 15 12:00:00 h a: m")?["ts"] as? String
            #expect(ahead?.hasPrefix("\(thisYear - 1)-") == true)
        }
    }

    @Test("RFC 5424 nil values are left out, a BOM before the message is dropped, MSG may be absent")
    func rfc5424NilValues() throws {
        let mapper = try builtInMapper("syslog", ["format": .string("rfc5424")])
        let line = Array("<134>1 2018-03-24T08:59:37-07:00 PC-helen.jerry.land EvntSLog - - - ".utf8)
            + [0xEF, 0xBB, 0xBF] + Array("text".utf8)
        let event = decodedEvent(mapper, bytes: line)
        #expect(eventEquals(event, [
            "priority": 134, "facility": 16, "severity": 6, "version": "1",
            "timestamp": "2018-03-24T08:59:37-07:00", "host": "PC-helen.jerry.land", "app": "EvntSLog",
            "message": "text",
        ]))
        #expect(map(mapper, "<14>1 - - - - - -").json
            == #"{"priority":14,"facility":1,"severity":6,"version":"1"}"#)
    }

    @Test("auto picks RFC 5424 for <PRI>VERSION and RFC 3164 otherwise")
    func auto() throws {
        let mapper = try builtInMapper("syslog", ["format": .string("auto")])
        #expect(map(mapper, "<13>1 2024-01-01T00:00:00Z h a - - - m").json
            == #"{"priority":13,"facility":1,"severity":5,"version":"1","timestamp":"2024-01-01T00:00:00Z","#
            + #""host":"h","app":"a","message":"m"}"#)
        #expect(map(mapper, "<13>Jan  1 00:00:00 h a: m").json
            == #"{"priority":13,"facility":1,"severity":5,"timestamp":"Jan  1 00:00:00","host":"h","#
            + #""app":"a","message":"m"}"#)
    }

    @Test(
        "lines that are not syslog are parse failures with the reason",
        arguments: [
            ("rfc3164", "hello world", "no timestamp at offset 0"),
            ("rfc3164", "Jux 14 15:16:01 combo a: b", "no timestamp at offset 0"),
            ("rfc3164", "<192>Jun 14 15:16:01 combo a: b", "priority at offset 0 is not <0> to <191>"),
            ("rfc3164", "<12Jun 14 15:16:01 combo a: b", "priority at offset 0 is not <0> to <191>"),
            ("rfc3164", "Jun 14 15:16:01", "no space after the timestamp at offset 15"),
            ("rfc3164", "", "empty line"),
            ("rfc5424", "Jun 14 15:16:01 combo a: b", "no <priority> at the start of the line"),
            ("rfc5424", "<13>x", "no version at offset 4"),
            ("rfc5424", "<13>1 2024-01-01T00:00:00Z host", "no app name at offset 31"),
            ("rfc5424", "<13>1 - - - - - x", "no structured data at offset 16"),
            ("rfc5424", "<13>1 - - - - - [a b=\"]", "an unclosed param value\(Self.inData) 21"),
            ("rfc5424", "<13>1 - - - - - [a b=\"x\"", "an unclosed element\(Self.inData) 16"),
            ("rfc5424", "<13>1 - - - - - [ b=\"x\"]", "an element without an SD-ID\(Self.inData) 17"),
            ("rfc5424", "<13>1 - - - - - [a b]", "a param that is not name=\"value\"\(Self.inData) 19"),
            ("rfc5424", "<13>1 - - - - - [a b=\"x\"c]", "an unexpected byte in an element\(Self.inData) 24"),
            ("rfc5424", "<13>1 - - - - - [a]x", "no space after the structured data at offset 19"),
        ]
    )
    func failures(format: String, line: String, reason: String) throws {
        let mapper = try builtInMapper("syslog", ["format": .string(format)])
        #expect(eventEquals(decodedEvent(mapper, line), ["message": line, "parse_error": reason]))
        #expect(mapper.parseFailures == 1)
    }

    @Test("as text, structured data is only checked for closing brackets")
    func textFailures() throws {
        let mapper = try builtInMapper("syslog", ["format": .string("rfc5424"), "structuredData": .string("text")])
        let line = "<13>1 - - - - - [a b=\"]"
        let reason = "unclosed structured data element at offset 16"
        #expect(eventEquals(decodedEvent(mapper, line), ["message": line, "parse_error": reason]))
        #expect(decodedEvent(mapper, "<13>1 - - - - - [a b] m")?["structured_data"] as? String == "[a b]")
    }

    @Test("a format other than rfc3164, rfc5424 or auto is refused")
    func refusedOptions() {
        let error = builtInError("syslog", ["format": .string("rfc9999")])
        #expect(error?.keyPath == "parser.options.format")
        #expect(error?.message == #"expected rfc3164, rfc5424 or auto, found "rfc9999""#)
        let unknown = builtInError("syslog", ["year": .int(2024)])
        #expect(unknown?.keyPath == "parser.options.year")
        #expect(unknown?.message
            == "unknown option (this parser takes: format, fullTimestamp, referenceDate, structuredData)")
        let date = builtInError("syslog", ["fullTimestamp": .string("t"), "referenceDate": .string("2024-13-01")])
        #expect(date?.keyPath == "parser.options.referenceDate")
        #expect(builtInError("syslog", ["referenceDate": .string("2024-12-01")])?.keyPath
            == "parser.options.referenceDate")
        #expect(builtInError("syslog", ["fullTimestamp": .string("host")])?.keyPath == "parser.options.fullTimestamp")
        #expect(builtInError("syslog", ["structuredData": .string("json")])?.keyPath
            == "parser.options.structuredData")
    }

    @Test("the shared registry starts with the built-in parsers, and another registry can add them")
    func registry() {
        for name in ["csv", "dissect", "logfmt", "syslog"] {
            #expect(ParserRegistry.shared.names.contains(name))
        }
        let registry = ParserRegistry()
        #expect(registry.names.isEmpty)
        registry.registerBuiltIns()
        #expect(registry.names == ["csv", "dissect", "logfmt", "syslog"])
        #expect(ParserRegistry.builtInNames == registry.names)
    }
}
