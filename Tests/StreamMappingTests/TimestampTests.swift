import Foundation
import StreamMapping
import Testing
import TestSupport

/// The `timestamp` operation. Expected instants come from Python's `datetime` and `zoneinfo`
/// (an implementation of its own over the same zone files), given the parts of each time as the
/// test writes them, not as the code under test reads them.
@Suite("Timestamps")
struct TimestampTests {
    static func mapper(_ rule: TimestampRule) throws(MappingError) -> EventMapper {
        var spec = MappingSpec(parser: .json, defaultStream: "s")
        spec.operations = [.timestamp(rule)]
        return try EventMapper(spec: spec)
    }

    /// The event made of `{"t": value}`.
    static func event(_ mapper: EventMapper, _ value: String) -> String? {
        map(mapper, #"{"t":"\#(value)"}"#).json
    }

    /// The canonical time the event of `{"t": value}` gets (nil when it gets none).
    static func canonical(_ mapper: EventMapper, _ value: String) -> String? {
        decodedEvent(mapper, #"{"t":"\#(value)"}"#)?["timestamp"] as? String
    }

    /// A time as parts: year, month, day, hour, minute, second, microsecond, and where it is (an
    /// offset such as `+02:00`, or a zone name, applied with Python's fold=0: the first of two
    /// repeated times, and a skipped time read with the offset before the change).
    struct Parts: Codable {
        var y, mo, d, h, mi, s, us: Int
        var zone: String
    }

    /// Each instant in RFC 3339 UTC with milliseconds, as Python computes it.
    static func expected(_ parts: [Parts]) throws -> [String] {
        let json = String(decoding: try JSONEncoder().encode(parts), as: UTF8.self)
        return try python("""
            import json, datetime, zoneinfo
            utc = datetime.timezone.utc
            for p in json.loads('\(json)'):
                z = p['zone']
                if z[0] in '+-':
                    sign = 1 if z[0] == '+' else -1
                    tz = datetime.timezone(sign * datetime.timedelta(hours=int(z[1:3]), minutes=int(z[4:6])))
                else:
                    tz = zoneinfo.ZoneInfo(z)
                t = datetime.datetime(p['y'], p['mo'], p['d'], p['h'], p['mi'], p['s'], p['us'], tzinfo=tz)
                u = t.astimezone(utc)
                print(u.strftime('%Y-%m-%dT%H:%M:%S') + '.%03dZ' % (u.microsecond // 1000))
            """)
    }

    @Test("strptime-style formats, ISO 8601 and zone names read each part as written")
    func formats() throws {
        let cases: [(value: String, format: String, zone: String, parts: Parts)] = [
            ("17/May/2015:10:05:03 +0000", "%d/%b/%Y:%H:%M:%S %z", "UTC",
             Parts(y: 2015, mo: 5, d: 17, h: 10, mi: 5, s: 3, us: 0, zone: "+00:00")),
            ("17/may/2015:10:05:03 -0730", "%d/%b/%Y:%H:%M:%S %z", "UTC",
             Parts(y: 2015, mo: 5, d: 17, h: 10, mi: 5, s: 3, us: 0, zone: "-07:30")),
            ("2016-12-19 18:14:40,211", "%Y-%m-%d %H:%M:%S,%f", "Europe/Berlin",
             Parts(y: 2016, mo: 12, d: 19, h: 18, mi: 14, s: 40, us: 211_000, zone: "Europe/Berlin")),
            ("Sun Dec 04 04:47:44 2005", "%a %b %d %H:%M:%S %Y", "America/New_York",
             Parts(y: 2005, mo: 12, d: 4, h: 4, mi: 47, s: 44, us: 0, zone: "America/New_York")),
            ("Sun, 06 Nov 1994 08:49:37 GMT", "%a, %d %b %Y %H:%M:%S %Z", "Europe/Berlin",
             Parts(y: 1994, mo: 11, d: 6, h: 8, mi: 49, s: 37, us: 0, zone: "+00:00")),
            ("2024-07-01 12:00 Europe/Berlin", "%Y-%m-%d %H:%M %Z", "UTC",
             Parts(y: 2024, mo: 7, d: 1, h: 12, mi: 0, s: 0, us: 0, zone: "Europe/Berlin")),
            ("March 5, 2024 2:30:15 PM", "%B %e, %Y %I:%M:%S %p", "America/New_York",
             Parts(y: 2024, mo: 3, d: 5, h: 14, mi: 30, s: 15, us: 0, zone: "America/New_York")),
            ("12/31/99 11:59 am", "%D %l:%M %p", "UTC",
             Parts(y: 1999, mo: 12, d: 31, h: 11, mi: 59, s: 0, us: 0, zone: "+00:00")),
            ("2024.060 00:00:01", "%Y.%j %T", "UTC",
             Parts(y: 2024, mo: 2, d: 29, h: 0, mi: 0, s: 1, us: 0, zone: "+00:00")),
            ("2024-03-05T10:00:00Z", "iso8601", "Europe/Berlin",
             Parts(y: 2024, mo: 3, d: 5, h: 10, mi: 0, s: 0, us: 0, zone: "+00:00")),
            ("2024-03-05 10:00:00.1239+05:30", "iso8601", "UTC",
             Parts(y: 2024, mo: 3, d: 5, h: 10, mi: 0, s: 0, us: 123_900, zone: "+05:30")),
            ("2024-03-05t10:00:07,5-0100", "iso8601", "UTC",
             Parts(y: 2024, mo: 3, d: 5, h: 10, mi: 0, s: 7, us: 500_000, zone: "-01:00")),
            ("2024-03-05T23:30", "iso8601", "Asia/Kolkata",
             Parts(y: 2024, mo: 3, d: 5, h: 23, mi: 30, s: 0, us: 0, zone: "Asia/Kolkata")),
            ("2024-03-05", "iso8601", "America/New_York",
             Parts(y: 2024, mo: 3, d: 5, h: 0, mi: 0, s: 0, us: 0, zone: "America/New_York")),
        ]
        let expected = try Self.expected(cases.map(\.parts))
        for (index, item) in cases.enumerated() {
            let mapper = try Self.mapper(TimestampRule(field: "t", formats: [item.format], zone: item.zone))
            #expect(Self.event(mapper, item.value) == #"{"t":"\#(item.value)","timestamp":"\#(expected[index])"}"#,
                    "\(item.value) as \(item.format) in \(item.zone)")
        }
    }

    /// Local times every 20 minutes through the days of a zone's changes, in years with data in
    /// the zone file and years (2100) that only its footer rule covers.
    static func sweep(_ zone: String, _ days: [(Int, Int, Int)]) -> [Parts] {
        days.flatMap { day in
            stride(from: 0, to: 24 * 60, by: 20).map { minute in
                Parts(y: day.0, mo: day.1, d: day.2, h: minute / 60, mi: minute % 60, s: 0, us: 0, zone: zone)
            }
        }
    }

    @Test(
        "daylight-saving gaps and overlaps resolve as Python's fold=0 does, also where only the footer rule applies",
        arguments: [
            ("Europe/Berlin", [(2024, 3, 31), (2024, 10, 27), (2100, 3, 28), (2100, 10, 31), (1980, 4, 6)]),
            ("America/New_York", [(2024, 3, 10), (2024, 11, 3), (2100, 3, 14), (2100, 11, 7), (1974, 1, 6)]),
            ("Australia/Sydney", [(2024, 4, 7), (2024, 10, 6), (2100, 4, 4)]),
            ("Australia/Lord_Howe", [(2024, 4, 7), (2024, 10, 6)]),
            ("Europe/Dublin", [(2024, 3, 31), (2024, 10, 27), (2100, 10, 31)]),
            ("America/Sao_Paulo", [(2018, 11, 4), (2019, 2, 16), (2024, 11, 3)]),
        ]
    )
    func daylightSaving(zone: String, days: [(Int, Int, Int)]) throws {
        let parts = Self.sweep(zone, days)
        let expected = try Self.expected(parts)
        let mapper = try Self.mapper(TimestampRule(field: "t", formats: ["%Y-%m-%d %H:%M"], zone: zone))
        for (index, part) in parts.enumerated() {
            let value = String(format: "%04d-%02d-%02d %02d:%02d", part.y, part.mo, part.d, part.h, part.mi)
            #expect(Self.event(mapper, value) == #"{"t":"\#(value)","timestamp":"\#(expected[index])"}"#,
                    "\(value) in \(zone)")
        }
    }

    @Test("a time in the spring gap moves forward by the gap; one in the autumn overlap is the first of the two")
    func statedRule() throws {
        let berlin = try Self.mapper(TimestampRule(field: "t", formats: ["iso8601"], zone: "Europe/Berlin"))
        // Berlin skips 02:00 to 03:00 CET on 31 March (read as CET, +01:00) and repeats 02:00 to
        // 03:00 on 27 October (the first is CEST, +02:00); New York likewise at -05:00 / -04:00.
        #expect(Self.canonical(berlin, "2024-03-31T02:30:00") == "2024-03-31T01:30:00.000Z")
        #expect(Self.canonical(berlin, "2024-10-27T02:30:00") == "2024-10-27T00:30:00.000Z")
        let newYork = try Self.mapper(TimestampRule(field: "t", formats: ["iso8601"], zone: "America/New_York"))
        #expect(Self.canonical(newYork, "2024-03-10T02:30:00") == "2024-03-10T07:30:00.000Z")
        #expect(Self.canonical(newYork, "2024-11-03T01:30:00") == "2024-11-03T05:30:00.000Z")
    }

    @Test("unix and unixMillis read epochs, fractions and negative times")
    func epochs() throws {
        let seconds = try Self.mapper(TimestampRule(field: "t", formats: ["unix"], precision: 6))
        #expect(map(seconds, #"{"t":1669575482.0968924}"#).json
            == #"{"t":1669575482.0968924,"timestamp":"2022-11-27T18:58:02.096892Z"}"#)
        #expect(Self.event(seconds, "-1.5") == #"{"t":"-1.5","timestamp":"1969-12-31T23:59:58.500000Z"}"#)
        let millis = try Self.mapper(TimestampRule(field: "t", formats: ["unixMillis"], precision: 9))
        #expect(Self.canonical(millis, "1669575482096") == "2022-11-27T18:58:02.096000000Z")
        let percentS = try Self.mapper(TimestampRule(field: "t", formats: ["%s"], precision: 0))
        #expect(Self.event(percentS, "0") == #"{"t":"0","timestamp":"1970-01-01T00:00:00Z"}"#)
    }

    @Test("the canonical time can be written as seconds or milliseconds since 1970")
    func outputs() throws {
        func rule(_ output: TimestampRule.Output, _ precision: Int) -> TimestampRule {
            TimestampRule(field: "t", formats: ["iso8601"], target: "at", precision: precision, output: output)
        }
        #expect(Self.event(try Self.mapper(rule(.unix, 3)), "2022-11-27T18:58:02.0968Z")
            == #"{"t":"2022-11-27T18:58:02.0968Z","at":1669575482.096}"#)
        #expect(Self.event(try Self.mapper(rule(.unix, 0)), "2022-11-27T18:58:02Z")
            == #"{"t":"2022-11-27T18:58:02Z","at":1669575482}"#)
        #expect(Self.event(try Self.mapper(rule(.unixMillis, 3)), "1969-12-31T23:59:59.25Z")
            == #"{"t":"1969-12-31T23:59:59.25Z","at":-750}"#)
        #expect(Self.event(try Self.mapper(rule(.unix, 3)), "1969-12-31T23:59:59.25Z")
            == #"{"t":"1969-12-31T23:59:59.25Z","at":-0.750}"#)
    }

    @Test("formats are tried in order; the original is kept, replaced in place or removed as told")
    func keepOrReplace() throws {
        let formats = ["%d/%b/%Y:%H:%M:%S %z", "iso8601"]
        let removed = try Self.mapper(TimestampRule(field: "t", formats: formats, keepOriginal: false))
        #expect(Self.event(removed, "2024-01-02T03:04:05Z") == #"{"timestamp":"2024-01-02T03:04:05.000Z"}"#)
        #expect(Self.event(removed, "02/Jan/2024:03:04:05 +0100") == #"{"timestamp":"2024-01-02T02:04:05.000Z"}"#)
        let inPlace = try Self.mapper(TimestampRule(field: "t", formats: formats, target: "t", keepOriginal: false))
        #expect(map(inPlace, #"{"t":"2024-01-02T03:04:05Z","n":1}"#).json == #"{"t":"2024-01-02T03:04:05.000Z","n":1}"#)
    }

    @Test("a value no format reads keeps the original and notes why, or nothing when told so")
    func failures() throws {
        let rule = TimestampRule(field: "t", formats: ["iso8601", "%H:%M"], keepOriginal: false)
        let mapper = try Self.mapper(rule)
        #expect(Self.event(mapper, "yesterday")
            == #"{"t":"yesterday","timestamp_error":"'yesterday' matches no format (iso8601, %H:%M)"}"#)
        #expect(decodedEvent(mapper, #"{"t":"2024-02-30T00:00:00"}"#)?["timestamp_error"] as? String
            == "'2024-02-30T00:00:00' is not a valid time: a field is out of range")
        #expect(map(mapper, #"{"other":1}"#).json == #"{"other":1}"#)
        let zoned = try Self.mapper(TimestampRule(field: "t", formats: ["%H:%M %Z"], referenceDate: "2024-05-01"))
        #expect(Self.event(zoned, "10:00 Mars/Olympus")
            == #"{"t":"10:00 Mars/Olympus","timestamp_error":"'10:00 Mars/Olympus' names an unknown zone"}"#)
        var quiet = rule
        quiet.errorField = nil
        #expect(Self.event(try Self.mapper(quiet), "yesterday") == #"{"t":"yesterday"}"#)
    }

    @Test("a format without a year takes it from the reference date, across New Year as syslog does")
    func yearInference() throws {
        func mapper(_ reference: String) throws(MappingError) -> EventMapper {
            try Self.mapper(TimestampRule(field: "t", formats: ["%b %e %H:%M:%S"], referenceDate: reference))
        }
        #expect(Self.event(try mapper("2025-01-02"), "Dec 31 23:59:59")
            == #"{"t":"Dec 31 23:59:59","timestamp":"2024-12-31T23:59:59.000Z"}"#)
        #expect(Self.event(try mapper("2024-06-10"), "Jun  9 06:06:20")
            == #"{"t":"Jun  9 06:06:20","timestamp":"2024-06-09T06:06:20.000Z"}"#)
        #expect(Self.event(try mapper("2024-12-31"), "Jan  1 00:00:01")
            == #"{"t":"Jan  1 00:00:01","timestamp":"2025-01-01T00:00:01.000Z"}"#)
    }

    @Test(
        "a rule that cannot work is refused with its key path",
        arguments: [
            (TimestampRule(field: "t", formats: ["%Y %Q"]), "fields[0].timestamp.formats[0]", "'%Q'"),
            (TimestampRule(field: "t", formats: ["%I:%M"]), "fields[0].timestamp.formats[0]", "needs %p"),
            (TimestampRule(field: "t", formats: ["at %%"]), "fields[0].timestamp.formats[0]", "no date or time"),
            (TimestampRule(field: "t", formats: ["%Y%"]), "fields[0].timestamp.formats[0]", "lone '%'"),
            (TimestampRule(field: "t", formats: []), "fields[0].timestamp.formats", "at least one"),
            (TimestampRule(field: "t", formats: ["iso8601"], zone: "Europe/Berln"), "fields[0].timestamp.zone",
             "unknown time zone 'Europe/Berln'"),
            (TimestampRule(field: "t", formats: ["iso8601"], zone: "../etc/passwd"), "fields[0].timestamp.zone",
             "not a time zone name"),
            (TimestampRule(field: "t", formats: ["iso8601"], precision: 5), "fields[0].timestamp.precision", "0, 3, 6"),
            (TimestampRule(field: "t", formats: ["iso8601"], referenceDate: "May 1"),
             "fields[0].timestamp.referenceDate", "YYYY-MM-DD"),
        ]
    )
    func errors(rule: TimestampRule, keyPath: String, message: String) {
        let error = mappingError { () throws(MappingError) in try Self.mapper(rule) }
        #expect(error?.keyPath == keyPath)
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }
}
