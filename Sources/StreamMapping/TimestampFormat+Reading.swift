/// Reading a value in a format, byte by byte, without allocating.
extension TimestampFormat {
    /// Reads all of `text`; false when it does not fit the format.
    func read(_ text: UnsafeRawBufferPointer, into time: inout ParsedTime) -> Bool {
        guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self), !text.isEmpty else {
            return false
        }
        var cursor = Cursor(base: base, count: text.count)
        switch kind {
        case .pattern(let pieces):
            for piece in pieces {
                guard cursor.read(piece, into: &time) else { return false }
            }
        case .iso8601:
            guard cursor.readISO8601(into: &time) else { return false }
        case .unix, .unixMillis:
            guard cursor.readEpoch(into: &time, millis: kind.isMillis) else { return false }
        }
        cursor.skipSpaces()
        return cursor.atEnd
    }
}

extension TimestampFormat.Kind {
    fileprivate var isMillis: Bool {
        if case .unixMillis = self { return true }
        return false
    }
}

/// A position in a value.
private struct Cursor {
    let base: UnsafePointer<UInt8>
    let count: Int
    var index = 0

    var atEnd: Bool { index == count }

    mutating func skipSpaces() {
        while index < count, base[index] == 0x20 || base[index] == 0x09 { index += 1 }
    }

    mutating func take(_ byte: UInt8) -> Bool {
        guard index < count, base[index] == byte else { return false }
        index += 1
        return true
    }

    /// 1 to `maxDigits` decimal digits (exactly `maxDigits` when `exact`).
    mutating func number(maxDigits: Int, exact: Bool = false) -> Int? {
        let start = index
        var value = 0
        while index < count, index - start < maxDigits, base[index] &- UInt8(ascii: "0") < 10 {
            value = value * 10 + Int(base[index] &- UInt8(ascii: "0"))
            index += 1
        }
        let digits = index - start
        return digits > 0 && (!exact || digits == maxDigits) ? value : nil
    }

    /// A number that may be padded with spaces instead of zeros (`Jun  9`, `%e`).
    mutating func padded(maxDigits: Int) -> Int? {
        skipSpaces()
        return number(maxDigits: maxDigits)
    }

    mutating func read(_ piece: TimestampFormat.Piece, into time: inout ParsedTime) -> Bool {
        switch piece {
        case .literal(let byte): return take(byte)
        case .space:
            skipSpaces()
            return true
        case .year4: return store(number(maxDigits: 4, exact: true), into: &time.year)
        case .year2:
            guard let short = number(maxDigits: 2, exact: true) else { return false }
            time.year = short >= 69 ? 1900 + short : 2000 + short
            return true
        case .month: return store(number(maxDigits: 2), into: &time.month)
        case .monthName: return store(name(Self.months), into: &time.month)
        case .day: return store(padded(maxDigits: 2), into: &time.day)
        case .dayOfYear: return store(number(maxDigits: 3), into: &time.dayOfYear)
        case .hour24, .hour12: return store(padded(maxDigits: 2), into: &time.hour)
        case .minute: return store(number(maxDigits: 2), into: &time.minute)
        case .second: return store(number(maxDigits: 2), into: &time.second)
        case .fraction: return fraction(into: &time)
        case .meridiem:
            guard let which = name(["am", "pm"]) else { return false }
            time.pm = which == 2
            return true
        case .weekdayName: return name(Self.weekdays) != nil
        case .offset: return store(offset(), into: &time.offset)
        case .zoneName:
            let start = index
            while index < count, Self.isZoneNameByte(base[index]) { index += 1 }
            guard index > start else { return false }
            time.zoneName = start..<index
            return true
        case .epochSeconds:
            let negative = take(UInt8(ascii: "-"))
            guard let seconds = number(maxDigits: 18) else { return false }
            time.epochSeconds = Int64(negative ? -seconds : seconds)
            return true
        }
    }

    private func store(_ value: Int?, into field: inout Int) -> Bool {
        guard let value else { return false }
        field = value
        return true
    }

    private func store(_ value: Int?, into field: inout Int?) -> Bool {
        guard let value else { return false }
        field = value
        return true
    }

    /// Fraction digits: the first nine as nanoseconds, the rest read and dropped.
    mutating func fraction(into time: inout ParsedTime) -> Bool {
        let start = index
        var nanos = 0
        while index < count, base[index] &- UInt8(ascii: "0") < 10 {
            if index - start < 9 { nanos = nanos * 10 + Int(base[index] &- UInt8(ascii: "0")) }
            index += 1
        }
        let digits = index - start
        guard digits > 0 else { return false }
        for _ in min(digits, 9)..<9 { nanos *= 10 }
        time.nanos = nanos
        return true
    }

    /// `Z`, `+hh`, `+hhmm` or `+hh:mm` (or with `-`), as seconds east of UTC.
    mutating func offset() -> Int? {
        if take(UInt8(ascii: "Z")) || take(UInt8(ascii: "z")) { return 0 }
        let sign: Int
        if take(UInt8(ascii: "+")) {
            sign = 1
        } else if take(UInt8(ascii: "-")) {
            sign = -1
        } else {
            return nil
        }
        guard let hours = number(maxDigits: 2, exact: true), hours <= 23 else { return nil }
        var minutes = 0
        let colon = take(UInt8(ascii: ":"))
        if colon || (index < count && base[index] &- UInt8(ascii: "0") < 10) {
            guard let given = number(maxDigits: 2, exact: true), given <= 59 else { return nil }
            minutes = given
        }
        return sign * (hours * 3600 + minutes * 60)
    }

    /// The 1-based index of the name at the cursor (full name first, then its first three
    /// letters), in any letter case.
    mutating func name(_ names: [StaticString]) -> Int? {
        for (number, name) in names.enumerated() {
            let length = name.utf8CodeUnitCount
            for candidate in [length, 3] where candidate <= length && index + candidate <= count {
                var same = true
                for offset in 0..<candidate where base[index + offset] | 0x20 != name.utf8Start[offset] {
                    same = false
                    break
                }
                if same {
                    index += candidate
                    return number + 1
                }
            }
        }
        return nil
    }

    static let months: [StaticString] = [
        "january", "february", "march", "april", "may", "june", "july", "august", "september",
        "october", "november", "december",
    ]
    static let weekdays: [StaticString] = [
        "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
    ]

    static func isZoneNameByte(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- UInt8(ascii: "a") < 26 || byte &- UInt8(ascii: "0") < 10
            || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "+")
    }

    // MARK: - Named formats

    /// `YYYY-MM-DD`, then optionally `T` (or `t` or a space) and `hh:mm`, `:ss`, a fraction
    /// after `.` or `,`, and an offset.
    mutating func readISO8601(into time: inout ParsedTime) -> Bool {
        guard let year = number(maxDigits: 4, exact: true), take(UInt8(ascii: "-")),
              let month = number(maxDigits: 2, exact: true), take(UInt8(ascii: "-")),
              let day = number(maxDigits: 2, exact: true)
        else { return false }
        time.year = year
        time.month = month
        time.day = day
        guard take(UInt8(ascii: "T")) || take(UInt8(ascii: "t")) || take(0x20) else { return atEnd }
        guard let hour = number(maxDigits: 2, exact: true), take(UInt8(ascii: ":")),
              let minute = number(maxDigits: 2, exact: true)
        else { return false }
        time.hour = hour
        time.minute = minute
        if take(UInt8(ascii: ":")) {
            guard let second = number(maxDigits: 2, exact: true) else { return false }
            time.second = second
            if take(UInt8(ascii: ".")) || take(UInt8(ascii: ",")) {
                guard fraction(into: &time) else { return false }
            }
        }
        if index < count {
            guard let offset = offset() else { return false }
            time.offset = offset
        }
        return true
    }

    /// `[-]digits[.digits]`: seconds (or milliseconds) since 1970.
    mutating func readEpoch(into time: inout ParsedTime, millis: Bool) -> Bool {
        let negative = take(UInt8(ascii: "-"))
        guard let whole = number(maxDigits: millis ? 18 : 15) else { return false }
        var fractionNanos = 0
        if take(UInt8(ascii: ".")) {
            var scratch = ParsedTime()
            guard fraction(into: &scratch) else { return false }
            fractionNanos = scratch.nanos
        }
        // As seconds and nanoseconds, nanoseconds never negative.
        var seconds = Int64(millis ? whole / 1000 : whole)
        var nanos = millis ? (whole % 1000) * 1_000_000 + fractionNanos / 1000 : fractionNanos
        if negative {
            seconds = -seconds
            if nanos > 0 {
                seconds -= 1
                nanos = 1_000_000_000 - nanos
            }
        }
        time.epochSeconds = seconds
        time.nanos = nanos
        return true
    }
}
