import Glibc

/// Wall-clock times written into events.
public enum UTCTime {
    /// `unixSeconds` as ISO 8601 in UTC with milliseconds: `2026-12-04T19:38:00.123Z`.
    public static func iso8601(unixSeconds: Double) -> String {
        let total = Int64((unixSeconds * 1000).rounded())
        var seconds = time_t(total / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millis = Int(total % 1000)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return pad(parts.tm_year + 1900, 4) + "-" + pad(parts.tm_mon + 1, 2) + "-" + pad(parts.tm_mday, 2)
            + "T" + pad(parts.tm_hour, 2) + ":" + pad(parts.tm_min, 2) + ":" + pad(parts.tm_sec, 2)
            + "." + pad(Int32(millis), 3) + "Z"
    }
}
