/// Dates of the proleptic Gregorian calendar as days since 1970-01-01, both ways (H. Hinnant's
/// `days_from_civil` and `civil_from_days`), and RFC 3339 text written without allocating.
public enum CivilCalendar {
    /// Days from 1970-01-01 to `year-month-day` (negative before it); the day is not checked.
    @inlinable
    public static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01.
    @inlinable
    public static func date(days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    @inlinable
    public static func isLeap(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    @inlinable
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The day of the week, 0 for Sunday.
    @inlinable
    public static func weekday(days: Int64) -> Int {
        let remainder = Int((days + 4) % 7)
        return remainder < 0 ? remainder + 7 : remainder
    }

    /// Appends `seconds` (since 1970, UTC) and `nanos` as `YYYY-MM-DDThh:mm:ss[.f]Z`, with
    /// `precision` fraction digits (0 to 9, truncated). Years outside 0000 to 9999 are written
    /// with as many digits as they take (RFC 3339 itself stops at 9999).
    public static func appendRFC3339(seconds: Int64, nanos: Int, precision: Int, to out: ByteBuffer) {
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = Int(seconds - days * 86400)
        let (year, month, day) = date(days: days)
        if year < 0 { out.append(UInt8(ascii: "-")) }
        appendDigits(abs(year), width: 4, to: out)
        out.append(UInt8(ascii: "-"))
        appendDigits(month, width: 2, to: out)
        out.append(UInt8(ascii: "-"))
        appendDigits(day, width: 2, to: out)
        out.append(UInt8(ascii: "T"))
        appendDigits(secondOfDay / 3600, width: 2, to: out)
        out.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay / 60 % 60, width: 2, to: out)
        out.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay % 60, width: 2, to: out)
        appendFraction(nanos, precision: precision, to: out)
        out.append(UInt8(ascii: "Z"))
    }

    /// Appends `.` and the first `precision` digits of `nanos` (nothing for precision 0).
    public static func appendFraction(_ nanos: Int, precision: Int, to out: ByteBuffer) {
        guard precision > 0 else { return }
        out.append(UInt8(ascii: "."))
        var divisor = 100_000_000
        for _ in 0..<min(precision, 9) {
            out.append(UInt8(ascii: "0") + UInt8(nanos / divisor % 10))
            divisor /= 10
        }
    }

    /// Appends `value` (not negative) in decimal, zero-padded to `width` digits.
    public static func appendDigits(_ value: Int, width: Int, to out: ByteBuffer) {
        var digits = 1
        var limit = 10
        while value >= limit && digits < 19 {
            digits += 1
            limit &*= 10
        }
        for _ in digits..<max(width, digits) { out.append(UInt8(ascii: "0")) }
        var divisor = limit / 10
        for _ in 0..<digits {
            out.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }
}
