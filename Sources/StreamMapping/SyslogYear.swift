import Glibc

/// The year of an RFC 3164 timestamp, which has none, inferred from a reference date: the
/// machine's local date when the line is parsed, or a date fixed in the mapping (for archives).
///
/// The rule, for a line of month `m` and a reference in month `M` of year `Y`:
/// - `m` more than one month ahead of `M` (`m > M + 1`) is last year, `Y - 1`: in January a
///   December line is from the year before;
/// - January when the reference is December is next year, `Y + 1` (the writer's clock is a little
///   ahead of ours across New Year);
/// - anything else is `Y`, so a line up to one month in the future (clock skew) stays this year.
struct SyslogYear {
    /// A fixed reference `(year, month)`, or nil to read the clock.
    private let fixed: (year: Int, month: Int)?
    /// The reference read from the clock, and when to read it again (Unix seconds).
    private var cached = (year: 0, month: 0)
    private var nextCheck = 0

    /// The clock is read at most once a minute, so a line costs one `time()` call.
    static let recheckSeconds = 60

    init(reference: (year: Int, month: Int)?) {
        fixed = reference
    }

    /// The year of a line in `month` (1 to 12).
    @inline(__always)
    mutating func year(forMonth month: Int) -> Int {
        Self.infer(month: month, reference: reference())
    }

    /// The rule itself (see the type's description).
    static func infer(month: Int, reference: (year: Int, month: Int)) -> Int {
        if month > reference.month + 1 { return reference.year - 1 }
        if reference.month == 12 && month == 1 { return reference.year + 1 }
        return reference.year
    }

    private mutating func reference() -> (year: Int, month: Int) {
        if let fixed { return fixed }
        let now = time(nil)
        if now >= nextCheck {
            var seconds = now
            var parts = tm()
            localtime_r(&seconds, &parts)
            cached = (Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1)
            nextCheck = now + Self.recheckSeconds
        }
        return cached
    }

    /// Reads a `YYYY-MM-DD` date (the day is checked for form, not used).
    static func parseDate(_ text: String) -> (year: Int, month: Int)? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        return (year, month)
    }
}
