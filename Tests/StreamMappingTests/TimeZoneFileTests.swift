import Foundation
import AtomBase
@testable import StreamMapping
import Testing
import TestSupport

/// The TZif reader on files other than the system's "fat" ones: zones compiled "slim" by the
/// real `zic` (recent years come from the footer rule alone) and a file written here with day
/// rules zic does not emit. Python's `zoneinfo` reads the same files for the expected offsets.
@Suite("Time zone files")
struct TimeZoneFileTests {
    /// Local times (seconds since 1970 as if local were UTC) every 20 minutes through `days`.
    static func locals(_ days: [(Int, Int, Int)]) -> [Int64] {
        days.flatMap { day in
            let midnight = CivilCalendar.days(year: day.0, month: day.1, day: day.2) * 86400
            return stride(from: Int64(0), to: 86400, by: 1200).map { midnight + $0 }
        }
    }

    /// Python's UTC offsets (fold=0) for each local time in the zone file at `path`.
    static func pythonOffsets(_ path: String, _ locals: [Int64]) throws -> [Int32] {
        try python("""
            import datetime, zoneinfo
            z = zoneinfo.ZoneInfo.from_file(open('\(path)', 'rb'))
            epoch = datetime.datetime(1970, 1, 1)
            for local in [\(locals.map(String.init).joined(separator: ","))]:
                t = (epoch + datetime.timedelta(seconds=local)).replace(tzinfo=z)
                print(int(t.utcoffset().total_seconds()))
            """).compactMap { Int32($0) }
    }

    @Test(
        "slim zones from zic: the footer's rule gives the same offsets as Python",
        arguments: ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "Europe/Dublin"]
    )
    func slimZones(zone: String) throws {
        let dir = try TempDir(prefix: "atom-zic")
        try tool("/usr/sbin/zic", ["-b", "slim", "-d", dir.path, "/usr/share/zoneinfo/tzdata.zi"])
        let data = try TimeZoneData.named(zone, directory: dir.path)
        let days = [(2024, 3, 31), (2024, 10, 27), (2024, 3, 10), (2024, 11, 3), (2024, 4, 7), (2024, 10, 6),
                    (2031, 3, 30), (2031, 10, 26), (2099, 11, 1), (2100, 3, 28), (2100, 10, 3)]
        let locals = Self.locals(days)
        let expected = try Self.pythonOffsets(dir.file(zone), locals)
        #expect(locals.map { data.offset(forLocal: $0) } == expected)
    }

    @Test("a footer with Julian-day rules (Jn and n) and odd change times is unrolled as glibc reads the rule")
    func julianDayRules() throws {
        let dir = try TempDir(prefix: "atom-tzif")
        let footer = "XST-3XDT-4,J60/-1,300/26"
        try FileManager.default.createDirectory(atPath: dir.file("Test"), withIntermediateDirectories: true)
        try Data(Self.tzif(footer: footer)).write(to: URL(fileURLWithPath: dir.file("Test/Julian")))
        let data = try TimeZoneData.named("Test/Julian", directory: dir.path)
        // Jn never counts 29 February (J60 is 1 March); n counts from 0 with it (300 is 28 October
        // in 2023, 27 October in 2024). glibc applies the rule itself when TZ holds it (Python's
        // zoneinfo takes n as one day later than POSIX says, so it is not the reference here).
        let instants = Self.locals([(2023, 2, 28), (2024, 2, 28), (2024, 2, 29), (2023, 10, 28), (2024, 10, 27),
                                    (2024, 10, 28)])
        let expected = try python("""
            import os, time
            os.environ['TZ'] = '\(footer)'
            time.tzset()
            for t in [\(instants.map(String.init).joined(separator: ","))]:
                print(time.localtime(t).tm_gmtoff)
            """).compactMap { Int32($0) }
        #expect(instants.map { data.offset(forUTC: $0) } == expected)
        #expect(Set(expected) == Set<Int32>([3 * 3600, 4 * 3600]))
    }

    @Test("files the reader cannot use are refused with a reason, naming the file")
    func unusableFiles() throws {
        let dir = try TempDir(prefix: "atom-tzif")
        try writeText("not a zone", to: dir.file("Plain"))
        try Data(Self.tzif(footer: "XST-3XDT,J60,J999")).write(to: URL(fileURLWithPath: dir.file("BadRule")))
        let truncated = Self.tzif(footer: "XST-3").prefix(30)
        try Data(truncated).write(to: URL(fileURLWithPath: dir.file("Short")))
        let cases: [(String, String, String)] = [
            ("Plain", dir.path, "does not start with 'TZif'"),
            ("BadRule", dir.path, "'XST-3XDT,J60,J999' is not a POSIX TZ rule"),
            ("Short", dir.path, "too short"),
            ("Missing/Zone", dir.path, "unknown time zone 'Missing/Zone'"),
            ("Europe/Berlin", "/usr/share/zoneinfo/right", "leap seconds"),
        ]
        for (name, directory, message) in cases {
            do {
                _ = try TimeZoneData.named(name, directory: directory)
                Issue.record("\(name) was read")
            } catch {
                #expect(error.message.contains(message), "\(name): \(error.message)")
            }
        }
    }

    /// A version 2 TZif file with one local time type (+03:00 "XST") and no transitions, so that
    /// every offset comes from `footer`.
    static func tzif(footer: String) -> [UInt8] {
        func be32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }
        func header() -> [UInt8] {
            Array("TZif2".utf8) + [UInt8](repeating: 0, count: 15)
                + be32(0) + be32(0) + be32(0) + be32(0) + be32(1) + be32(4)
        }
        let data = be32(3 * 3600) + [0, 0] + Array("XST".utf8) + [0]
        return header() + data + header() + data + [0x0A] + Array(footer.utf8) + [0x0A]
    }
}
