/// How `FieldOperation.timestamp` reads a time and writes the canonical one.
///
/// Each format is tried in order until one reads the whole value. A time without an offset of
/// its own is local time in `zone`. A local time that a daylight-saving change skips (the gap)
/// or repeats (the overlap) is read with the UTC offset in force just before the change: a time
/// in the gap lands as far after the change as it is after its start (02:30 in a 02:00 to 03:00
/// gap is 03:30), and a time in the overlap is the first of the two.
public struct TimestampRule: Sendable, Equatable {
    /// How the canonical time is written.
    public enum Output: String, Sendable, CaseIterable {
        /// RFC 3339 in UTC with `precision` fraction digits: `2024-03-31T01:30:00.000Z`.
        case rfc3339
        /// Seconds since 1970 as a JSON number with `precision` fraction digits.
        case unix
        /// Whole milliseconds since 1970 as a JSON number.
        case unixMillis
    }

    /// The field that holds the time as written.
    public var field: String
    /// strptime-style formats (`%d/%b/%Y:%H:%M:%S %z`) or the names `iso8601` and `unix` (seconds
    /// since 1970, with a fraction or not), tried in order.
    public var formats: [String]
    /// The zone of times that carry no offset: an IANA name (`Europe/Berlin`) or `UTC`.
    public var zone: String
    /// The field the canonical time goes to.
    public var target: String
    /// Keeps `field` beside the canonical time (when the two differ); false removes it.
    public var keepOriginal: Bool
    /// Fraction digits written: 0 (seconds), 3 (milliseconds), 6 or 9.
    public var precision: Int
    /// How the time is written.
    public var output: Output
    /// When no format reads the value: this field gets the reason (and the original is kept
    /// whatever `keepOriginal` says); nil adds no field.
    public var errorField: String?
    /// For formats without a year: `YYYY-MM-DD` to infer it from (archives of a known year);
    /// nil infers it from today's date, as the syslog parser does (see `fullTimestamp`).
    public var referenceDate: String?

    /// Creates a rule with the defaults: zone UTC, target `timestamp`, original kept,
    /// milliseconds, RFC 3339, failures noted in `timestamp_error`, the year of year-less
    /// formats inferred from today.
    public init(
        field: String,
        formats: [String],
        zone: String = "UTC",
        target: String = "timestamp",
        keepOriginal: Bool = true,
        precision: Int = 3,
        output: Output = .rfc3339,
        errorField: String? = "timestamp_error",
        referenceDate: String? = nil
    ) {
        self.field = field
        self.formats = formats
        self.zone = zone
        self.target = target
        self.keepOriginal = keepOriginal
        self.precision = precision
        self.output = output
        self.errorField = errorField
        self.referenceDate = referenceDate
    }
}
