import AtomBase

/// The three date forms of RFC 9110 (section 5.6.7) that a `Retry-After` header may carry:
/// IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete RFC 850 form
/// `Sunday, 06-Nov-94 08:49:37 GMT` and C's asctime form `Sun Nov  6 08:49:37 1994`.
enum HTTPDate {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun",
                                 "jul", "aug", "sep", "oct", "nov", "dec"]

    /// Seconds since 1970 (UTC), or nil when `text` is none of the three forms.
    static func parse(_ text: String) -> Double? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if words.count == 6, words[5] == "GMT", words[0].hasSuffix(",") {
            // IMF-fixdate: day, 06 Nov 1994 08:49:37 GMT
            return unix(day: words[1], month: words[2], year: words[3], time: words[4], twoDigitYear: false)
        }
        if words.count == 4, words[3] == "GMT", words[0].hasSuffix(",") {
            // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
            let parts = words[1].split(separator: "-").map(String.init)
            guard parts.count == 3 else { return nil }
            return unix(day: parts[0], month: parts[1], year: parts[2], time: words[2], twoDigitYear: true)
        }
        if words.count == 5 {
            // asctime: Sun Nov  6 08:49:37 1994
            return unix(day: words[2], month: words[1], year: words[4], time: words[3], twoDigitYear: false)
        }
        return nil
    }

    private static func unix(day: String, month: String, year: String, time: String,
                             twoDigitYear: Bool) -> Double? {
        guard let monthIndex = months.firstIndex(of: month.lowercased()),
              let d = Int(day), (1...31).contains(d),
              var y = Int(year), year.count == (twoDigitYear ? 2 : 4) else { return nil }
        if twoDigitYear {
            // RFC 9110: a two-digit year more than 50 years in the future is in the past century.
            let thisYear = CivilCalendar.date(days: Int64(Clock.unixTime() / 86_400)).year
            y += 2000
            if y > thisYear + 50 { y -= 100 }
        }
        let clock = time.split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3, (0...23).contains(clock[0]), (0...59).contains(clock[1]),
              (0...60).contains(clock[2]), d <= CivilCalendar.daysInMonth(year: y, month: monthIndex + 1)
        else { return nil }
        let days = CivilCalendar.days(year: y, month: monthIndex + 1, day: d)
        return Double(days * 86_400 + Int64(clock[0] * 3600 + clock[1] * 60 + clock[2]))
    }
}
