import AtomBase

/// The POSIX TZ rule at the end of a TZif file (RFC 8536, section 3.3), such as
/// `CET-1CEST,M3.5.0,M10.5.0/3`: standard time, and optionally daylight time with the dates and
/// local times it starts and ends.
struct PosixTimeZoneRule {
    /// A day of the year on which a change happens, and the local time of day it happens at.
    struct Change {
        enum Day {
            /// `Jn`: day 1 to 365, February 29 never counted.
            case julianNoLeap(Int)
            /// `n`: day 0 to 365, February 29 counted in leap years.
            case zeroBased(Int)
            /// `Mm.w.d`: weekday `d` (0 Sunday) of week `w` (1 to 4, or 5 for the last) of month `m`.
            case monthWeekDay(month: Int, week: Int, weekday: Int)
        }

        var day: Day
        /// Seconds after local midnight (negative, or past 24 hours, as RFC 8536 allows).
        var time: Int

        /// The day as days since 1970-01-01, in `year`.
        func days(in year: Int) -> Int64 {
            switch day {
            case .julianNoLeap(let n):
                let leapShift = CivilCalendar.isLeap(year) && n >= 60 ? 1 : 0
                return CivilCalendar.days(year: year, month: 1, day: 1) + Int64(n - 1 + leapShift)
            case .zeroBased(let n):
                return CivilCalendar.days(year: year, month: 1, day: 1) + Int64(n)
            case .monthWeekDay(let month, let week, let weekday):
                let first = CivilCalendar.days(year: year, month: month, day: 1)
                var day = first + Int64((weekday - CivilCalendar.weekday(days: first) + 7) % 7)
                day += Int64(7 * (week - 1))
                let end = first + Int64(CivilCalendar.daysInMonth(year: year, month: month))
                while day >= end { day -= 7 }
                return day
            }
        }
    }

    /// Standard time's offset, seconds east of UTC.
    let standardOffset: Int32
    /// Daylight time's offset and when it starts and ends; nil for a zone without.
    let dst: (offset: Int32, start: Change, end: Change)?

    /// Parses `text`; nil when it is not a rule this reader knows.
    init?(_ text: String) {
        var scanner = Scanner(Array(text.utf8))
        guard scanner.name(), let standard = scanner.offset() else { return nil }
        standardOffset = Int32(-standard)
        if scanner.atEnd {
            dst = nil
            return
        }
        guard scanner.name() else { return nil }
        var daylight = standard - 3600
        if !scanner.peek(UInt8(ascii: ",")) {
            guard let given = scanner.offset() else { return nil }
            daylight = given
        }
        guard scanner.take(UInt8(ascii: ",")), let start = scanner.change(),
              scanner.take(UInt8(ascii: ",")), let end = scanner.change(), scanner.atEnd
        else { return nil }
        dst = (Int32(-daylight), start, end)
    }

    /// The changes of years `fromYear` through `toYear`, in time order: when (Unix seconds) and
    /// the offset in force from then on.
    func transitions(fromYear: Int, toYear: Int) -> [(time: Int64, offset: Int32)] {
        guard let dst, fromYear <= toYear else { return [] }
        var result: [(time: Int64, offset: Int32)] = []
        for year in fromYear...toYear {
            // The start is given in standard time, the end in daylight time.
            let start = dst.start.days(in: year) * 86400 + Int64(dst.start.time) - Int64(standardOffset)
            let end = dst.end.days(in: year) * 86400 + Int64(dst.end.time) - Int64(dst.offset)
            let pair = [(start, dst.offset), (end, standardOffset)].sorted { $0.0 < $1.0 }
            result += pair.map { (time: $0.0, offset: $0.1) }
        }
        return result
    }

    /// Reads the parts of a rule.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index == bytes.count }

        func peek(_ byte: UInt8) -> Bool { index < bytes.count && bytes[index] == byte }

        mutating func take(_ byte: UInt8) -> Bool {
            guard peek(byte) else { return false }
            index += 1
            return true
        }

        /// A zone abbreviation: `<...>`, or three or more letters.
        mutating func name() -> Bool {
            if take(UInt8(ascii: "<")) {
                guard let close = bytes[index...].firstIndex(of: UInt8(ascii: ">")) else { return false }
                index = close + 1
                return true
            }
            let start = index
            while index < bytes.count, (bytes[index] | 0x20) &- UInt8(ascii: "a") < 26 { index += 1 }
            return index - start >= 3
        }

        /// `[+-]hh[:mm[:ss]]` as seconds (POSIX sign: positive is west of UTC).
        mutating func offset() -> Int? {
            var sign = 1
            if take(UInt8(ascii: "-")) {
                sign = -1
            } else {
                _ = take(UInt8(ascii: "+"))
            }
            guard let seconds = clock(maxHours: 167) else { return nil }
            return sign * seconds
        }

        /// `hh[:mm[:ss]]` as seconds.
        mutating func clock(maxHours: Int) -> Int? {
            guard let hours = number(), hours <= maxHours else { return nil }
            var seconds = hours * 3600
            if take(UInt8(ascii: ":")) {
                guard let minutes = number(), minutes < 60 else { return nil }
                seconds += minutes * 60
                if take(UInt8(ascii: ":")) {
                    guard let secs = number(), secs < 60 else { return nil }
                    seconds += secs
                }
            }
            return seconds
        }

        mutating func number() -> Int? {
            let start = index
            var value = 0
            while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10, index - start < 4 {
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                index += 1
            }
            return index > start ? value : nil
        }

        /// `Jn`, `n` or `Mm.w.d`, then an optional `/time` (02:00 when absent).
        mutating func change() -> Change? {
            let day: Change.Day
            if take(UInt8(ascii: "J")) {
                guard let n = number(), (1...365).contains(n) else { return nil }
                day = .julianNoLeap(n)
            } else if take(UInt8(ascii: "M")) {
                guard let month = number(), (1...12).contains(month), take(UInt8(ascii: ".")),
                      let week = number(), (1...5).contains(week), take(UInt8(ascii: ".")),
                      let weekday = number(), (0...6).contains(weekday)
                else { return nil }
                day = .monthWeekDay(month: month, week: week, weekday: weekday)
            } else {
                guard let n = number(), (0...365).contains(n) else { return nil }
                day = .zeroBased(n)
            }
            var time = 7200
            if take(UInt8(ascii: "/")) {
                guard let given = offset() else { return nil }
                time = given
            }
            return Change(day: day, time: time)
        }
    }
}
