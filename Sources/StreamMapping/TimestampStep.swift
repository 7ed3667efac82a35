import AtomBase

/// A `timestamp` operation made ready: its formats compiled and its zone read.
final class TimestampStep {
    let field: Int
    let target: Int
    let errorField: Int?
    let keepOriginal: Bool
    let precision: Int
    let output: TimestampRule.Output
    private let formats: [TimestampFormat]
    private let zone: TimeZoneData
    private var year: SyslogYear
    /// Zones named in values (`%Z`), read on first sight; nil for a name that is not a zone.
    private var namedZones: [(name: [UInt8], zone: TimeZoneData?)] = []
    /// The most zone names remembered; past it a name is read again each time it is met.
    static let maxNamedZones = 32

    /// Compiles `rule`, registering its fields.
    ///
    /// - Throws: `MappingError` under `keyPath` for a format that does not compile, an unknown
    ///   zone, a precision other than 0, 3, 6 or 9, or a bad `referenceDate`.
    init(
        _ rule: TimestampRule, keyPath: String, field: Int, target: Int, errorField: Int?
    ) throws(MappingError) {
        guard !rule.formats.isEmpty else {
            throw MappingError(keyPath: keyPath + ".formats", message: "name at least one format")
        }
        var formats: [TimestampFormat] = []
        for (index, format) in rule.formats.enumerated() {
            formats.append(try TimestampFormat(format, keyPath: "\(keyPath).formats[\(index)]"))
        }
        do {
            zone = try TimeZoneData.named(rule.zone)
        } catch {
            throw MappingError(keyPath: keyPath + ".zone", message: error.message)
        }
        guard [0, 3, 6, 9].contains(rule.precision) else {
            let message = "must be 0, 3, 6 or 9 fraction digits, found \(rule.precision)"
            throw MappingError(keyPath: keyPath + ".precision", message: message)
        }
        var reference: (year: Int, month: Int)?
        if let date = rule.referenceDate {
            guard let parsed = SyslogYear.parseDate(date) else {
                let message = "expected YYYY-MM-DD, found '\(date)'"
                throw MappingError(keyPath: keyPath + ".referenceDate", message: message)
            }
            reference = parsed
        }
        self.formats = formats
        self.field = field
        self.target = target
        self.errorField = errorField
        keepOriginal = rule.keepOriginal
        precision = rule.precision
        output = rule.output
        year = SyslogYear(reference: reference)
    }

    /// Reads the time in `text` as the first format that takes all of it, and writes the
    /// canonical time into `out` (emptied first). Nil on success, else why it failed.
    func convert(_ text: UnsafeRawBufferPointer, into out: ByteBuffer) -> Failure? {
        for format in formats {
            var time = ParsedTime()
            guard format.read(text, into: &time) else { continue }
            do {
                let (seconds, nanos) = try instant(time, text, hasYear: format.hasYear)
                out.removeAll()
                write(seconds, nanos, to: out)
                return nil
            } catch {
                return error
            }
        }
        return .noFormat
    }

    enum Failure: Error {
        case noFormat, outOfRange, unknownZone
    }

    /// Why `text` failed, for the error field (an allocation, on failure only).
    func reason(_ failure: Failure, _ text: UnsafeRawBufferPointer) -> String {
        var shown = String(decoding: text.prefix(64), as: UTF8.self)
        if text.count > 64 { shown += "…" }
        switch failure {
        case .noFormat:
            return "'\(shown)' matches no format (\(formats.map(\.source).joined(separator: ", ")))"
        case .outOfRange:
            return "'\(shown)' is not a valid time: a field is out of range"
        case .unknownZone:
            return "'\(shown)' names an unknown zone"
        }
    }

    /// The UTC instant of `time`: seconds since 1970 and nanoseconds.
    ///
    /// - Throws: `.outOfRange` for a field out of range, `.unknownZone` for a zone name that is
    ///   not one.
    private func instant(
        _ time: ParsedTime, _ text: UnsafeRawBufferPointer, hasYear: Bool
    ) throws(Failure) -> (Int64, Int) {
        if let epoch = time.epochSeconds { return (epoch, time.nanos) }
        var hour = time.hour
        if let pm = time.pm {
            guard (1...12).contains(hour) else { throw .outOfRange }
            hour = hour % 12 + (pm ? 12 : 0)
        }
        guard hour <= 23, time.minute <= 59, time.second <= 60 else { throw .outOfRange }
        var month = time.month
        var day = time.day
        let givenYear = hasYear ? time.year : nil
        let year = givenYear ?? self.year.year(forMonth: month)
        if let dayOfYear = time.dayOfYear {
            guard (1...(CivilCalendar.isLeap(year) ? 366 : 365)).contains(dayOfYear) else { throw .outOfRange }
            let january = CivilCalendar.days(year: year, month: 1, day: 1)
            let date = CivilCalendar.date(days: january + Int64(dayOfYear - 1))
            month = date.month
            day = date.day
        }
        guard (1...12).contains(month), (1...CivilCalendar.daysInMonth(year: year, month: month)).contains(day)
        else { throw .outOfRange }
        let local = CivilCalendar.days(year: year, month: month, day: day) * 86400
            + Int64(hour * 3600 + time.minute * 60 + time.second)
        if let offset = time.offset { return (local - Int64(offset), time.nanos) }
        var zone = self.zone
        if let range = time.zoneName {
            guard let named = namedZone(UnsafeRawBufferPointer(rebasing: text[range])) else { throw .unknownZone }
            zone = named
        }
        return (local - Int64(zone.offset(forLocal: local)), time.nanos)
    }

    /// The zone a value names, read from the zone files on first sight of the name.
    private func namedZone(_ name: UnsafeRawBufferPointer) -> TimeZoneData? {
        for entry in namedZones where entry.name.elementsEqual(name) { return entry.zone }
        let text = String(decoding: name, as: UTF8.self)
        let zone = try? TimeZoneData.named(text)
        if namedZones.count < Self.maxNamedZones { namedZones.append((Array(name), zone)) }
        return zone
    }

    /// Writes the instant as `output` says.
    private func write(_ seconds: Int64, _ nanos: Int, to out: ByteBuffer) {
        switch output {
        case .rfc3339:
            CivilCalendar.appendRFC3339(seconds: seconds, nanos: nanos, precision: precision, to: out)
        case .unixMillis:
            out.append(decimal: seconds * 1000 + Int64(nanos / 1_000_000))
        case .unix:
            // Seconds and a fraction, where the nanoseconds (never negative) count forward.
            if seconds < 0 && nanos > 0 && precision > 0 {
                out.append(UInt8(ascii: "-"))
                out.append(decimal: -(seconds + 1))
                CivilCalendar.appendFraction(1_000_000_000 - nanos, precision: precision, to: out)
            } else {
                out.append(decimal: seconds)
                CivilCalendar.appendFraction(nanos, precision: precision, to: out)
            }
        }
    }
}
