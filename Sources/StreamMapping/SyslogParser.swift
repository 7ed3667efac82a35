/// The `syslog` format: BSD syslog (RFC 3164, as syslogd writes files) or RFC 5424 lines.
///
/// Options:
/// - `format`: `rfc3164`, `rfc5424`, or `auto` (the default: RFC 5424 when `<PRI>` is followed
///   by a version number and a space, else RFC 3164);
/// - `fullTimestamp`: the name of a field to add after `timestamp` with the complete time: an
///   RFC 3164 `Mmm dd hh:mm:ss` as `YYYY-MM-DDThh:mm:ss` with the year inferred (`SyslogYear`
///   states the rule; the offset stays unknown, as in the line), an RFC 3339 time as written;
/// - `referenceDate`: `YYYY-MM-DD`, the date the year is inferred from (default: the local date
///   when the line is parsed; set it when reading archives of a known year);
/// - `structuredData`: `object` (the default: see `SyslogStructuredData`) or `text` (as written).
///
/// Fields, in this order, strings unless said; a field the line lacks is left out:
/// - `priority`, `facility`, `severity`: numbers, from `<PRI>` (always there in RFC 5424,
///   optional in RFC 3164);
/// - `version` (RFC 5424);
/// - `timestamp`, as written: RFC 3164 `Mmm dd hh:mm:ss` (the day space-padded or not) or an
///   RFC 3339 time; RFC 5424 its TIMESTAMP; then the `fullTimestamp` field, when named;
/// - `host`;
/// - `app`: RFC 3164 the tag before `[pid]` and `:` (the tag runs to the first `": "` within
///   48 bytes, spaces allowed, as in `syslogd 1.4.1: restart.`; without one the line has no
///   tag and all of it after the host is the message); RFC 5424 APP-NAME;
/// - `pid` (RFC 3164, the digits in `[...]` ending the tag), or `procid` and `msgid` (RFC 5424);
/// - `structured_data` (RFC 5424): the SD elements as an object, or as raw text;
/// - `message`: the rest of the line (RFC 5424 without a leading UTF-8 BOM).
///
/// RFC 5424 values `-` (NILVALUE) are left out. A line without the parts its format requires
/// fails with the part missing and its offset.
final class SyslogParser: FieldDeclaring {
    /// Which syslog dialect the lines are in.
    enum Format: String {
        case rfc3164, rfc5424, auto
    }

    /// The field names, in event order; `Field` numbers them.
    private static let names = [
        "priority", "facility", "severity", "version", "timestamp", "host", "app", "pid",
        "procid", "msgid", "structured_data", "message",
    ]

    private enum Field: Int {
        case priority, facility, severity, version, timestamp, host, app, pid
        case procid, msgid, structuredData, message
    }

    /// The longest RFC 3164 tag (with its `[pid]`) looked for before its colon.
    static let maxTagBytes = 48

    private let format: Format
    /// Field index per `Field`, resolved on the first line (-1 until then); the last slot is the
    /// `fullTimestamp` field's.
    private let fields: UnsafeMutableBufferPointer<Int>
    /// The name of the field with the complete timestamp, if any.
    private let fullTimestamp: String?
    /// Where the year of an RFC 3164 timestamp comes from (behind a pointer: no exclusivity
    /// checks).
    private let year: UnsafeMutablePointer<SyslogYear>
    /// Reads structured data into an object; nil to keep it as text.
    private let structuredData: SyslogStructuredData?

    /// Makes the parser from the mapping's options (see the type's description).
    ///
    /// - Throws: `MappingError` at `format` for a value other than `rfc3164`, `rfc5424` or
    ///   `auto`; at any unknown option.
    convenience init(options: [String: FieldValue]) throws(MappingError) {
        let allowed = ["format", "fullTimestamp", "referenceDate", "structuredData"]
        let reader = try ParserOptionReader(options, allowed: allowed)
        let text = try reader.string("format") ?? "auto"
        guard let format = Format(rawValue: text) else {
            let message = "expected rfc3164, rfc5424 or auto, found \"\(text)\""
            throw MappingError(keyPath: "format", message: message)
        }
        let full = try reader.string("fullTimestamp")
        if let full, full.isEmpty || Self.names.contains(full) {
            let message = full.isEmpty ? "the field name is empty"
                : "\"\(full)\" is already one of the parser's fields"
            throw MappingError(keyPath: "fullTimestamp", message: message)
        }
        var reference: (year: Int, month: Int)?
        if let date = try reader.string("referenceDate") {
            guard let parsed = SyslogYear.parseDate(date) else {
                let message = "expected a date such as \"2024-12-31\", found \"\(date)\""
                throw MappingError(keyPath: "referenceDate", message: message)
            }
            guard full != nil else {
                let message = "only used with fullTimestamp, which names the field it fills"
                throw MappingError(keyPath: "referenceDate", message: message)
            }
            reference = parsed
        }
        let data = try reader.string("structuredData") ?? "object"
        guard data == "object" || data == "text" else {
            let message = "expected object or text, found \"\(data)\""
            throw MappingError(keyPath: "structuredData", message: message)
        }
        self.init(format: format, fullTimestamp: full, referenceDate: reference,
                  structuredDataAsObject: data == "object")
    }

    /// Makes a parser for lines in `format` (see the type's description for the rest).
    init(
        format: Format, fullTimestamp: String? = nil, referenceDate: (year: Int, month: Int)? = nil,
        structuredDataAsObject: Bool = true
    ) {
        self.format = format
        self.fullTimestamp = fullTimestamp
        fields = .allocate(capacity: Self.names.count + 1)
        fields.initialize(repeating: -1)
        year = .allocate(capacity: 1)
        year.initialize(to: SyslogYear(reference: referenceDate))
        structuredData = structuredDataAsObject ? SyslogStructuredData() : nil
    }

    deinit {
        fields.deallocate()
        year.deinitialize(count: 1)
        year.deallocate()
    }

    var declaredFields: [String] { Self.names + (fullTimestamp.map { [$0] } ?? []) }

    func parse(_ line: UnsafeRawBufferPointer, into record: inout Record) -> Bool {
        if fields[0] < 0 {
            for (index, name) in Self.names.enumerated() {
                fields[index] = record.field(name).index
            }
            if let fullTimestamp { fields[Self.names.count] = record.field(fullTimestamp).index }
        }
        guard let base = line.baseAddress?.assumingMemoryBound(to: UInt8.self), !line.isEmpty else {
            return record.reject("empty line")
        }
        var cursor = Cursor(base: base, end: line.count)
        switch format {
        case .rfc3164:
            return parse3164(&cursor, &record)
        case .rfc5424:
            return parse5424(&cursor, &record)
        case .auto:
            if Self.looks5424(cursor) { return parse5424(&cursor, &record) }
            return parse3164(&cursor, &record)
        }
    }

    // MARK: - RFC 3164

    private func parse3164(_ cursor: inout Cursor, _ record: inout Record) -> Bool {
        if cursor.peek == UInt8(ascii: "<") {
            guard setPriority(&cursor, &record) else { return false }
        }
        let timestampStart = cursor.position
        var month = 0
        let isBSD = cursor.skipBSDTimestamp(month: &month)
        guard isBSD || cursor.skipRFC3339Timestamp() else {
            return record.reject("no timestamp at offset \(timestampStart)")
        }
        set(.timestamp, timestampStart, cursor.position, &record)
        if fullTimestamp != nil {
            if isBSD {
                setFullBSDTimestamp(timestampStart, cursor.position, month, cursor.base, &record)
            } else {
                let count = cursor.position - timestampStart
                record.setLineText(fields[Self.names.count], timestampStart, count)
            }
        }
        guard cursor.skip(UInt8(ascii: " ")) else {
            return record.reject("no space after the timestamp at offset \(cursor.position)")
        }

        let hostStart = cursor.position
        cursor.skipWord()
        guard cursor.position > hostStart else {
            return record.reject("no host at offset \(hostStart)")
        }
        set(.host, hostStart, cursor.position, &record)
        while cursor.skip(UInt8(ascii: " ")) {}

        let tagStart = cursor.position
        if let colon = cursor.tagEnd(limit: Self.maxTagBytes) {
            setTag(tagStart, colon, cursor.base, &record)
            cursor.position = min(colon + 2, cursor.end)
        }
        if cursor.position < cursor.end { set(.message, cursor.position, cursor.end, &record) }
        return true
    }

    /// Sets `app` and `pid` from the tag at `start..<end` (`app[pid]` or `app`).
    private func setTag(
        _ start: Int, _ end: Int, _ base: UnsafePointer<UInt8>, _ record: inout Record
    ) {
        if end - start >= 3 && base[end - 1] == UInt8(ascii: "]") {
            var open = end - 2
            while open > start && base[open] != UInt8(ascii: "[") { open -= 1 }
            if base[open] == UInt8(ascii: "[") && open > start {
                set(.app, start, open, &record)
                set(.pid, open + 1, end - 1, &record)
                return
            }
        }
        set(.app, start, end, &record)
    }

    // MARK: - RFC 5424

    /// Whether the line starts `<PRI>VERSION ` (digits, then a space after the version).
    private static func looks5424(_ start: Cursor) -> Bool {
        var cursor = start
        guard cursor.skip(UInt8(ascii: "<")) else { return false }
        while cursor.peek.isDigit { cursor.position += 1 }
        guard cursor.skip(UInt8(ascii: ">")), cursor.peek.isDigit else { return false }
        while cursor.peek.isDigit { cursor.position += 1 }
        return cursor.peek == UInt8(ascii: " ")
    }

    /// The RFC 5424 header fields after the version, with their names for failure messages.
    private static let header5424: [(Field, String)] = [
        (.timestamp, "timestamp"), (.host, "host"), (.app, "app name"), (.procid, "process id"),
        (.msgid, "message id"),
    ]

    private func parse5424(_ cursor: inout Cursor, _ record: inout Record) -> Bool {
        guard setPriority(&cursor, &record) else { return false }
        let versionStart = cursor.position
        while cursor.peek.isDigit && cursor.position - versionStart < 3 { cursor.position += 1 }
        guard cursor.position > versionStart, cursor.base[versionStart] != UInt8(ascii: "0") else {
            return record.reject("no version at offset \(versionStart)")
        }
        set(.version, versionStart, cursor.position, &record)

        for (field, what) in Self.header5424 {
            guard cursor.skip(UInt8(ascii: " ")) else {
                return record.reject("no \(what) at offset \(cursor.position)")
            }
            let start = cursor.position
            cursor.skipWord()
            guard cursor.position > start else {
                return record.reject("no \(what) at offset \(start)")
            }
            if !(cursor.position - start == 1 && cursor.base[start] == UInt8(ascii: "-")) {
                set(field, start, cursor.position, &record)
                if field == .timestamp && fullTimestamp != nil {
                    record.setLineText(fields[Self.names.count], start, cursor.position - start)
                }
            }
        }

        guard cursor.skip(UInt8(ascii: " ")) else {
            return record.reject("no structured data at offset \(cursor.position)")
        }
        let dataStart = cursor.position
        if !cursor.skip(UInt8(ascii: "-")) {
            guard cursor.peek == UInt8(ascii: "[") else {
                return record.reject("no structured data at offset \(dataStart)")
            }
            if let structuredData {
                guard let end = structuredData.read(cursor.base, from: dataStart, end: cursor.end) else {
                    return record.reject(structuredData.failure)
                }
                cursor.position = end
                let id = FieldID(index: fields[Field.structuredData.rawValue])
                record.set(id, json: structuredData.json(cursor.base))
            }
            while cursor.peek == UInt8(ascii: "[") {
                guard cursor.skipDataElement() else {
                    return record.reject("unclosed structured data element at offset \(dataStart)")
                }
            }
            if structuredData == nil { set(.structuredData, dataStart, cursor.position, &record) }
        }

        guard cursor.position < cursor.end else { return true }
        guard cursor.skip(UInt8(ascii: " ")) else {
            return record.reject("no space after the structured data at offset \(cursor.position)")
        }
        let rest = cursor.base + cursor.position
        let hasBOM = cursor.end - cursor.position >= 3
            && rest[0] == 0xEF && rest[1] == 0xBB && rest[2] == 0xBF
        if hasBOM {
            cursor.position += 3
        }
        set(.message, cursor.position, cursor.end, &record)
        return true
    }

    /// Sets the `fullTimestamp` field from the RFC 3164 timestamp at `start..<end` (`Mmm dd
    /// hh:mm:ss`, the day padded with a space or not) of a line in `month`.
    private func setFullBSDTimestamp(
        _ start: Int, _ end: Int, _ month: Int, _ base: UnsafePointer<UInt8>, _ record: inout Record
    ) {
        var day = 0
        var position = start + 4
        while base[position] == UInt8(ascii: " ") { position += 1 }
        while base[position].isDigit {
            day = day * 10 + Int(base[position] - UInt8(ascii: "0"))
            position += 1
        }
        let year = min(max(self.year.pointee.year(forMonth: month), 0), 9999)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 19) { text in
            func put(_ value: Int, _ at: Int, _ width: Int) {
                var rest = value
                for offset in (0..<width).reversed() {
                    text[at + offset] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
            }
            put(year, 0, 4)
            text[4] = UInt8(ascii: "-")
            put(month, 5, 2)
            text[7] = UInt8(ascii: "-")
            put(day, 8, 2)
            text[10] = UInt8(ascii: "T")
            for offset in 0..<8 { text[11 + offset] = base[end - 8 + offset] }
            let field = FieldID(index: fields[Self.names.count])
            record.set(field, text: UnsafeRawBufferPointer(text))
        }
    }

    // MARK: - Shared parts

    /// Reads `<PRI>` (0 to 191) and sets `priority`, `facility` and `severity` as numbers.
    private func setPriority(_ cursor: inout Cursor, _ record: inout Record) -> Bool {
        guard cursor.skip(UInt8(ascii: "<")) else {
            return record.reject("no <priority> at the start of the line")
        }
        var value = 0
        let digitsStart = cursor.position
        while cursor.peek.isDigit && cursor.position - digitsStart < 3 {
            value = value * 10 + Int(cursor.peek - UInt8(ascii: "0"))
            cursor.position += 1
        }
        guard cursor.position > digitsStart, value <= 191, cursor.skip(UInt8(ascii: ">")) else {
            return record.reject("priority at offset 0 is not <0> to <191>")
        }
        setNumber(.priority, value, &record)
        setNumber(.facility, value >> 3, &record)
        setNumber(.severity, value & 7, &record)
        return true
    }

    @inline(__always)
    private func set(_ field: Field, _ start: Int, _ end: Int, _ record: inout Record) {
        record.setLineText(fields[field.rawValue], start, end - start)
    }

    /// Sets `field` to `value` (0 to 999) as a JSON number, written without allocating.
    @inline(__always)
    private func setNumber(_ field: Field, _ value: Int, _ record: inout Record) {
        let id = FieldID(index: fields[field.rawValue])
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 3) { digits in
            var rest = value
            var start = 3
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0 && start > 0
            let text = UnsafeMutableBufferPointer(rebasing: digits[start..<3])
            record.set(id, json: UnsafeRawBufferPointer(text))
        }
    }
}

/// A read position in one line.
private struct Cursor {
    let base: UnsafePointer<UInt8>
    let end: Int
    var position = 0

    init(base: UnsafePointer<UInt8>, end: Int) {
        self.base = base
        self.end = end
    }

    /// The byte at the position, or 0 past the end.
    var peek: UInt8 { position < end ? base[position] : 0 }

    /// Moves past `byte` if it is next.
    @inline(__always)
    mutating func skip(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        position += 1
        return true
    }

    /// Moves to the next space or the end.
    @inline(__always)
    mutating func skipWord() {
        while position < end && base[position] != UInt8(ascii: " ") { position += 1 }
    }

    private static let months = Array("JanFebMarAprMayJunJulAugSepOctNovDec".utf8)

    /// Moves past `Mmm dd hh:mm:ss` (the day one or two digits, space-padded or not) and sets
    /// `found` to the month (1 to 12); stays put when the text is not that.
    mutating func skipBSDTimestamp(month found: inout Int) -> Bool {
        let start = position
        guard end - position >= 14 else { return false }
        found = 0
        for month in 0..<12 where Self.months[3 * month] == base[position]
            && Self.months[3 * month + 1] == base[position + 1]
            && Self.months[3 * month + 2] == base[position + 2] {
            found = month + 1
        }
        position += 3
        guard found > 0, skip(UInt8(ascii: " ")) else {
            position = start
            return false
        }
        _ = skip(UInt8(ascii: " "))
        let dayStart = position
        while peek.isDigit && position - dayStart < 2 { position += 1 }
        guard position > dayStart, skip(UInt8(ascii: " ")), skipClock() else {
            position = start
            return false
        }
        return true
    }

    /// Moves past `hh:mm:ss`.
    private mutating func skipClock() -> Bool {
        guard end - position >= 8 else { return false }
        for offset in 0..<8 {
            let byte = base[position + offset]
            let fits = offset % 3 == 2 ? byte == UInt8(ascii: ":") : byte.isDigit
            guard fits else { return false }
        }
        position += 8
        return true
    }

    /// Moves past an RFC 3339 time such as `2024-03-10T06:00:00.123+00:00` (a date, `T`, then
    /// anything up to a space); stays put when the text does not start like one.
    mutating func skipRFC3339Timestamp() -> Bool {
        guard end - position >= 11 else { return false }
        for offset in 0..<10 {
            let byte = base[position + offset]
            let fits = offset == 4 || offset == 7 ? byte == UInt8(ascii: "-") : byte.isDigit
            guard fits else { return false }
        }
        guard base[position + 10] == UInt8(ascii: "T") else { return false }
        skipWord()
        return true
    }

    /// The offset of the colon that ends an RFC 3164 tag starting at the position: the first
    /// `:` followed by a space or the end, within `limit` bytes; nil when there is none.
    func tagEnd(limit: Int) -> Int? {
        let last = min(end, position + limit + 1)
        var index = position
        while index < last {
            let atEnd = index + 1 == end
            if base[index] == UInt8(ascii: ":") && (atEnd || base[index + 1] == UInt8(ascii: " ")) {
                return index > position ? index : nil
            }
            index += 1
        }
        return nil
    }

    /// Moves past one `[id param="value" ...]` element, honouring quotes and backslash escapes
    /// inside values; false (position unspecified) when it does not close.
    mutating func skipDataElement() -> Bool {
        position += 1
        var quoted = false
        while position < end {
            let byte = base[position]
            position += 1
            if quoted {
                if byte == UInt8(ascii: "\\") {
                    position += 1
                } else if byte == UInt8(ascii: "\"") {
                    quoted = false
                }
            } else if byte == UInt8(ascii: "\"") {
                quoted = true
            } else if byte == UInt8(ascii: "]") {
                return true
            }
        }
        return false
    }
}

extension UInt8 {
    /// Whether the byte is an ASCII digit.
    fileprivate var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
}
