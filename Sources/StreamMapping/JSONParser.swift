import AtomBase

/// The `json` format: the line must be one JSON object, which becomes the event as it is.
///
/// A strict byte scanner checks the whole line (objects, arrays, strings with escapes, numbers,
/// `true`/`false`/`null`, whitespace around, nesting at most 64 deep) without building anything.
/// On the way it notes each top-level member's bytes and, for keys the mapping knows (route
/// fields, added fields), the value: a string unescaped, anything else as its JSON text.
final class JSONParser: Parser {
    /// The deepest nesting of objects and arrays accepted, the line's own object included.
    static let maxDepth = 64

    func parse(_ line: UnsafeRawBufferPointer, into record: inout Record) -> Bool {
        guard let base = line.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            return record.reject("line is not a JSON object")
        }
        var scanner = JSONScanner(base: base, count: line.count)
        guard let object = scanner.scanObject(into: &record) else {
            return record.reject(scanner.failure)
        }
        record.object = object
        return true
    }
}

/// One pass over a line that must hold a JSON object; see `JSONParser`.
struct JSONScanner {
    private enum Step { case containerStart, key, value, afterValue }

    private let p: UnsafePointer<UInt8>
    private let n: Int
    private var i = 0
    private var invalidUTF8 = false
    /// Whether the string just scanned had a backslash escape.
    private var escaped = false
    /// Why the scan failed.
    private(set) var failure = ""

    init(base: UnsafePointer<UInt8>, count: Int) {
        p = base
        n = count
    }

    /// Scans the object; returns where it lies in the line, or nil with `failure` set.
    mutating func scanObject(into record: inout Record) -> Record.Object? {
        skipSpace()
        guard i < n, p[i] == UInt8(ascii: "{") else {
            failure = "line is not a JSON object"
            return nil
        }
        let objectStart = i
        i += 1
        var depth = 1
        var arrays: UInt64 = 0  // bit d-1 set: the container at depth d is an array
        var step = Step.containerStart
        var memberStart = 0
        var memberField = -1
        var valueStart = 0
        var valueIsString = false
        var valueEscaped = false

        while true {
            let inArray = arrays & (1 << UInt64(depth - 1)) != 0
            switch step {
            case .containerStart:
                skipSpace()
                guard i < n else { return fail("the line ends inside the object") }
                if p[i] == (inArray ? UInt8(ascii: "]") : UInt8(ascii: "}")) {
                    i += 1
                    depth -= 1
                    if depth == 0 { return finish(objectStart) }
                    step = .afterValue
                } else {
                    step = inArray ? .value : .key
                }

            case .key:
                guard i < n, p[i] == UInt8(ascii: "\"") else { return fail("expected a string key") }
                let keyStart = i
                guard scanString() else { return nil }
                if depth == 1 {
                    memberStart = keyStart
                    memberField = knownField(keyStart + 1, i - 1, escaped: escaped, record: &record)
                }
                skipSpace()
                guard i < n, p[i] == UInt8(ascii: ":") else { return fail("expected ':' after an object key") }
                i += 1
                skipSpace()
                step = .value

            case .value:
                guard i < n else { return fail("the line ends where a value should be") }
                if depth == 1 {
                    valueStart = i
                    valueIsString = false
                }
                switch p[i] {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    guard depth < JSONParser.maxDepth else { return fail("nesting is deeper than 64") }
                    if p[i] == UInt8(ascii: "[") {
                        arrays |= 1 << UInt64(depth)
                    } else {
                        arrays &= ~(1 << UInt64(depth))
                    }
                    depth += 1
                    i += 1
                    step = .containerStart
                case UInt8(ascii: "\""):
                    guard scanString() else { return nil }
                    if depth == 1 {
                        valueIsString = true
                        valueEscaped = escaped
                    }
                    step = .afterValue
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    guard scanNumber() else { return nil }
                    step = .afterValue
                case UInt8(ascii: "t"):
                    guard scanLiteral("true") else { return nil }
                    step = .afterValue
                case UInt8(ascii: "f"):
                    guard scanLiteral("false") else { return nil }
                    step = .afterValue
                case UInt8(ascii: "n"):
                    guard scanLiteral("null") else { return nil }
                    step = .afterValue
                default:
                    return fail("expected a value")
                }

            case .afterValue:
                if depth == 1 {
                    record.members.append(Record.Member(field: memberField, range: memberStart..<i))
                    if memberField >= 0 {
                        storeValue(memberField, valueStart, i, isString: valueIsString, escaped: valueEscaped,
                                   record: &record)
                    }
                }
                skipSpace()
                guard i < n else { return fail("the line ends inside the object") }
                if p[i] == UInt8(ascii: ",") {
                    i += 1
                    skipSpace()
                    step = inArray ? .value : .key
                } else if p[i] == (inArray ? UInt8(ascii: "]") : UInt8(ascii: "}")) {
                    i += 1
                    depth -= 1
                    if depth == 0 { return finish(objectStart) }
                } else {
                    return fail(inArray ? "expected ',' or ']'" : "expected ',' or '}'")
                }
            }
        }
    }

    // MARK: - Tokens

    private mutating func finish(_ objectStart: Int) -> Record.Object? {
        let objectEnd = i
        skipSpace()
        guard i == n else { return fail("unexpected bytes after the object") }
        return Record.Object(range: objectStart..<objectEnd, hasInvalidUTF8: invalidUTF8)
    }

    @inline(__always)
    private mutating func skipSpace() {
        while i < n {
            let b = p[i]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            i += 1
        }
    }

    /// Scans a string from its opening quote to past its closing one; sets `escaped`. Bytes that
    /// are not valid UTF-8 are accepted and noted (they are replaced when the event is written).
    private mutating func scanString() -> Bool {
        i += 1
        escaped = false
        while i < n {
            // Eight plain bytes at a time; a byte that needs a look stops the skip.
            while i + 8 <= n && Self.isPlain(UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)) { i += 8 }
            guard i < n else { break }
            let b = p[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return true
            }
            if b == UInt8(ascii: "\\") {
                escaped = true
                guard i + 1 < n else { break }
                switch p[i + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 2
                case UInt8(ascii: "u"):
                    guard i + 5 < n, hexValue(p[i + 2]) != nil, hexValue(p[i + 3]) != nil,
                          hexValue(p[i + 4]) != nil, hexValue(p[i + 5]) != nil
                    else {
                        return reject("invalid \\u escape")
                    }
                    i += 6
                default:
                    return reject("invalid escape")
                }
            } else if b < 0x20 {
                return reject("control character inside a string")
            } else if b >= 0x80 {
                let length = JSON.validUTF8Length(p + i, n - i)
                if length == 0 {
                    invalidUTF8 = true
                    i += 1
                } else {
                    i += length
                }
            } else {
                i += 1
            }
        }
        return reject("unterminated string")
    }

    /// Whether none of the eight bytes in `word` ends a string or needs a look: no quote, no
    /// backslash, no control byte, no byte of a multi-byte sequence (SWAR: each test sets the
    /// high bit of a byte that matches, and never misses one).
    @inline(__always)
    private static func isPlain(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let control = (word &- ones &* 0x20) & ~word
        let quoteFound = (quote &- ones) & ~quote
        let backslashFound = (backslash &- ones) & ~backslash
        return (control | quoteFound | backslashFound | word) & (ones &* 0x80) == 0
    }

    private mutating func scanNumber() -> Bool {
        if p[i] == UInt8(ascii: "-") { i += 1 }
        guard digit() else { return reject("invalid number") }
        if p[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while digit() { i += 1 }
        }
        if i < n && p[i] == UInt8(ascii: ".") {
            i += 1
            guard digit() else { return reject("invalid number") }
            while digit() { i += 1 }
        }
        if i < n && (p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E")) {
            i += 1
            if i < n && (p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-")) { i += 1 }
            guard digit() else { return reject("invalid number") }
            while digit() { i += 1 }
        }
        return true
    }

    @inline(__always)
    private func digit() -> Bool {
        i < n && p[i] >= UInt8(ascii: "0") && p[i] <= UInt8(ascii: "9")
    }

    private mutating func scanLiteral(_ word: StaticString) -> Bool {
        let length = word.utf8CodeUnitCount
        guard n - i >= length else { return reject("invalid literal") }
        for k in 0..<length where p[i + k] != word.utf8Start[k] {
            return reject("invalid literal")
        }
        i += length
        return true
    }

    private mutating func fail(_ what: String) -> Record.Object? {
        _ = reject(what)
        return nil
    }

    private mutating func reject(_ what: String) -> Bool {
        failure = "invalid JSON at offset \(i): \(what)"
        return false
    }

    // MARK: - Known keys

    /// The field the key in `start..<end` names, if the mapping knows it (-1 if not).
    private func knownField(_ start: Int, _ end: Int, escaped: Bool, record: inout Record) -> Int {
        guard escaped else {
            return record.names.lookup(UnsafeRawBufferPointer(start: p + start, count: end - start)) ?? -1
        }
        let mark = record.scratchCount
        unescape(start, end, into: &record)
        let field = record.lookupScratchKey(from: mark)
        record.truncateScratch(to: mark)
        return field ?? -1
    }

    /// Stores the value of a known top-level key for routing: a string's unescaped text, any
    /// other value's JSON text.
    private func storeValue(_ field: Int, _ start: Int, _ end: Int, isString: Bool, escaped: Bool,
                            record: inout Record) {
        guard isString else { return record.setLineJSON(field, start, end - start) }
        guard escaped else { return record.setLineText(field, start + 1, end - start - 2) }
        let mark = record.scratchCount
        unescape(start + 1, end - 1, into: &record)
        record.setScratchText(field, from: mark)
    }

    /// Appends the text of the string body `start..<end` (already checked) to the record's
    /// scratch bytes, escapes decoded; a lone surrogate becomes U+FFFD.
    private func unescape(_ start: Int, _ end: Int, into record: inout Record) {
        var k = start
        while k < end {
            let b = p[k]
            guard b == UInt8(ascii: "\\") else {
                record.appendScratch(b)
                k += 1
                continue
            }
            let kind = p[k + 1]
            k += 2
            switch kind {
            case UInt8(ascii: "b"): record.appendScratch(0x08)
            case UInt8(ascii: "f"): record.appendScratch(0x0C)
            case UInt8(ascii: "n"): record.appendScratch(0x0A)
            case UInt8(ascii: "r"): record.appendScratch(0x0D)
            case UInt8(ascii: "t"): record.appendScratch(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(k)
                k += 4
                if (0xD800...0xDBFF).contains(scalar), k + 6 <= end, p[k] == UInt8(ascii: "\\"),
                   p[k + 1] == UInt8(ascii: "u"), (0xDC00...0xDFFF).contains(hex4(k + 2)) {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (hex4(k + 2) - 0xDC00)
                    k += 6
                } else if (0xD800...0xDFFF).contains(scalar) {
                    scalar = 0xFFFD
                }
                appendUTF8(scalar, into: &record)
            default: record.appendScratch(kind)  // \" \\ \/
            }
        }
    }

    private func hex4(_ at: Int) -> UInt32 {
        var value: UInt32 = 0
        for k in 0..<4 { value = value << 4 | UInt32(hexValue(p[at + k]) ?? 0) }
        return value
    }

    private func appendUTF8(_ scalar: UInt32, into record: inout Record) {
        switch scalar {
        case 0..<0x80:
            record.appendScratch(UInt8(scalar))
        case 0x80..<0x800:
            record.appendScratch(UInt8(0xC0 | scalar >> 6))
            record.appendScratch(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            record.appendScratch(UInt8(0xE0 | scalar >> 12))
            record.appendScratch(UInt8(0x80 | scalar >> 6 & 0x3F))
            record.appendScratch(UInt8(0x80 | scalar & 0x3F))
        default:
            record.appendScratch(UInt8(0xF0 | scalar >> 18))
            record.appendScratch(UInt8(0x80 | scalar >> 12 & 0x3F))
            record.appendScratch(UInt8(0x80 | scalar >> 6 & 0x3F))
            record.appendScratch(UInt8(0x80 | scalar & 0x3F))
        }
    }
}

@inline(__always)
private func hexValue(_ b: UInt8) -> UInt8? {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
    default: nil
    }
}
