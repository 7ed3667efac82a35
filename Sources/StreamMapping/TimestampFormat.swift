/// One way a time may be written: a strptime-style pattern, or one of the named formats
/// `iso8601`, `unix` (seconds since 1970, with a fraction or not) and `unixMillis`.
///
/// Pattern directives: `%Y` (4 digits), `%y` (69 to 99 are 19xx, else 20xx), `%m`, `%d`/`%e`,
/// `%j` (day of the year), `%H`/`%k`, `%I`/`%l` with `%p` (AM/PM), `%M`, `%S`, `%f` (fraction
/// digits, up to 9 kept), `%b`/`%h`/`%B` (English month names, short or full, any case),
/// `%a`/`%A` (weekday names, read and ignored), `%z` (`Z`, `+hh`, `+hhmm`, `+hh:mm`), `%Z` (a zone
/// name: `UTC`, `GMT`, `Z` or an IANA name such as `Europe/Berlin`), `%s` (seconds since 1970),
/// `%T` (`%H:%M:%S`), `%F` (`%Y-%m-%d`), `%D` (`%m/%d/%y`), `%R` (`%H:%M`), `%n`/`%t` and
/// whitespace (any run of spaces and tabs, none included), `%%`. Any other byte matches itself.
/// The whole value must be read; numbers may have fewer digits than their field allows.
struct TimestampFormat {
    enum Piece: Equatable {
        case literal(UInt8)
        case space
        case year4, year2, month, monthName, day, dayOfYear, hour24, hour12, minute, second
        case fraction, meridiem, weekdayName, offset, zoneName, epochSeconds
    }

    enum Kind {
        case pattern([Piece])
        case iso8601
        case unix
        case unixMillis
    }

    let kind: Kind
    /// As the mapping wrote it, for messages.
    let source: String

    /// Whether values in this format carry a year (or are absolute, like `unix`).
    var hasYear: Bool {
        guard case .pattern(let pieces) = kind else { return true }
        return pieces.contains { [.year4, .year2, .epochSeconds].contains($0) }
    }

    /// Compiles `source`.
    ///
    /// - Throws: `MappingError` at `keyPath` for an unknown directive, a `%` at the end, a
    ///   12-hour clock without `%p`, or a pattern with no date or time in it.
    init(_ source: String, keyPath: String) throws(MappingError) {
        self.source = source
        switch source {
        case "iso8601", "rfc3339": kind = .iso8601
        case "unix": kind = .unix
        case "unixMillis": kind = .unixMillis
        default: kind = .pattern(try Self.compile(source, keyPath: keyPath))
        }
    }

    private static func compile(_ source: String, keyPath: String) throws(MappingError) -> [Piece] {
        var pieces: [Piece] = []
        let bytes = Array(source.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == 0x20 || byte == 0x09 {
                if pieces.last != .space { pieces.append(.space) }
                continue
            }
            guard byte == UInt8(ascii: "%") else {
                pieces.append(.literal(byte))
                continue
            }
            guard index < bytes.count else {
                throw MappingError(keyPath: keyPath, message: "the format ends with a lone '%' (write '%%')")
            }
            let directive = bytes[index]
            index += 1
            guard let expansion = expand(directive) else {
                let shown = String(decoding: [directive], as: UTF8.self)
                let message = "'%\(shown)' is not a directive this reader knows (see the README's timestamp section)"
                throw MappingError(keyPath: keyPath, message: message)
            }
            for piece in expansion where !(piece == .space && pieces.last == .space) { pieces.append(piece) }
        }
        if pieces.contains(.hour12) != pieces.contains(.meridiem) {
            let message = "a 12-hour clock (%I, %l) needs %p, and %p needs one"
            throw MappingError(keyPath: keyPath, message: message)
        }
        let dated: [Piece] = [.year4, .year2, .month, .monthName, .day, .dayOfYear, .hour24, .hour12, .epochSeconds]
        guard pieces.contains(where: dated.contains) else {
            throw MappingError(keyPath: keyPath, message: "the format reads no date or time")
        }
        return pieces
    }

    private static func expand(_ directive: UInt8) -> [Piece]? {
        switch directive {
        case UInt8(ascii: "Y"): [.year4]
        case UInt8(ascii: "y"): [.year2]
        case UInt8(ascii: "m"): [.month]
        case UInt8(ascii: "d"), UInt8(ascii: "e"): [.day]
        case UInt8(ascii: "j"): [.dayOfYear]
        case UInt8(ascii: "H"), UInt8(ascii: "k"): [.hour24]
        case UInt8(ascii: "I"), UInt8(ascii: "l"): [.hour12]
        case UInt8(ascii: "M"): [.minute]
        case UInt8(ascii: "S"): [.second]
        case UInt8(ascii: "f"): [.fraction]
        case UInt8(ascii: "p"): [.meridiem]
        case UInt8(ascii: "b"), UInt8(ascii: "h"), UInt8(ascii: "B"): [.monthName]
        case UInt8(ascii: "a"), UInt8(ascii: "A"): [.weekdayName]
        case UInt8(ascii: "z"): [.offset]
        case UInt8(ascii: "Z"): [.zoneName]
        case UInt8(ascii: "s"): [.epochSeconds]
        case UInt8(ascii: "T"): [.hour24, .literal(UInt8(ascii: ":")), .minute, .literal(UInt8(ascii: ":")), .second]
        case UInt8(ascii: "F"): [.year4, .literal(UInt8(ascii: "-")), .month, .literal(UInt8(ascii: "-")), .day]
        case UInt8(ascii: "D"): [.month, .literal(UInt8(ascii: "/")), .day, .literal(UInt8(ascii: "/")), .year2]
        case UInt8(ascii: "R"): [.hour24, .literal(UInt8(ascii: ":")), .minute]
        case UInt8(ascii: "n"), UInt8(ascii: "t"): [.space]
        case UInt8(ascii: "%"): [.literal(UInt8(ascii: "%"))]
        default: nil
        }
    }
}

/// What a format read from one value; fields it did not read keep their defaults.
struct ParsedTime {
    var year: Int?
    var month = 1
    var day = 1
    var dayOfYear: Int?
    var hour = 0
    var minute = 0
    var second = 0
    var nanos = 0
    var pm: Bool?
    /// Seconds east of UTC, when the value gives its offset.
    var offset: Int?
    /// Where the value names its zone (`%Z`), a range of its bytes.
    var zoneName: Range<Int>?
    /// Seconds since 1970 (UTC), when the value gives them (`unix`, `%s`).
    var epochSeconds: Int64?
}
