/// One pass over a line that must hold a JSON object; see `JSONParser`.
struct JSONScanner {
    private enum Step { case containerStart, key, value, afterValue }

    let p: UnsafePointer<UInt8>
    let n: Int
    /// The offset of the next byte to look at.
    var i = 0
    /// Whether a string held bytes that are not valid UTF-8.
    var invalidUTF8 = false
    /// Whether the string just scanned had a backslash escape.
    var escaped = false
    /// How many `"`, `\\` and control bytes the text holds so far: what escaping it as a JSON
    /// string adds to its length (counted here so that the encoder need not scan it again).
    var specials = 0
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
        specials = 0  // whitespace before the object is not part of it
        i += 1
        var depth = 1
        var arrays: UInt64 = 0  // bit d-1 set: the container at depth d is an array
        var inArray = false  // the innermost open container is an array
        var step = Step.containerStart
        var memberStart = 0
        var memberField = -1
        var valueStart = 0
        var valueIsString = false
        var valueEscaped = false

        while true {
            switch step {
            case .containerStart:
                skipSpace()
                guard i < n else { return fail("the line ends inside the object") }
                if p[i] == (inArray ? UInt8(ascii: "]") : UInt8(ascii: "}")) {
                    i += 1
                    depth -= 1
                    if depth == 0 { return finish(objectStart) }
                    inArray = Self.isArray(arrays, depth)
                    step = .afterValue
                } else {
                    step = inArray ? .value : .key
                }

            case .key:
                guard i < n, p[i] == UInt8(ascii: "\"") else {
                    return fail("expected a string key")
                }
                let keyStart = i
                guard scanString() else { return nil }
                if depth == 1 {
                    memberStart = keyStart
                    memberField = knownField(keyStart + 1, i - 1, escaped: escaped, record: &record)
                }
                skipSpace()
                guard i < n, p[i] == UInt8(ascii: ":") else {
                    return fail("expected ':' after an object key")
                }
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
                    guard depth < JSONParser.maxDepth else {
                        return fail("nesting is deeper than \(JSONParser.maxDepth)")
                    }
                    inArray = p[i] == UInt8(ascii: "[")
                    if inArray {
                        arrays |= 1 &<< UInt64(depth)
                    } else {
                        arrays &= ~(1 &<< UInt64(depth))
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
                        storeValue(
                            memberField, valueStart, i,
                            isString: valueIsString, escaped: valueEscaped, record: &record
                        )
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
                    inArray = Self.isArray(arrays, depth)
                } else {
                    return fail(inArray ? "expected ',' or ']'" : "expected ',' or '}'")
                }
            }
        }
    }

    /// Whether the container open at `depth` (1 is the line's object) is an array.
    @inline(__always)
    private static func isArray(_ arrays: UInt64, _ depth: Int) -> Bool {
        arrays & (1 &<< UInt64(truncatingIfNeeded: depth &- 1)) != 0
    }

    // MARK: - Ends

    /// Checks that nothing but whitespace follows the object; returns where the object lies.
    private mutating func finish(_ objectStart: Int) -> Record.Object? {
        let objectEnd = i
        let objectSpecials = specials
        skipSpace()
        guard i == n else { return fail("unexpected bytes after the object") }
        return Record.Object(range: objectStart..<objectEnd, hasInvalidUTF8: invalidUTF8,
                             specials: objectSpecials)
    }

    /// Notes a failure at the current offset, for `return fail(...)` in `scanObject`.
    mutating func fail(_ what: String) -> Record.Object? {
        _ = reject(what)
        return nil
    }

    /// Notes a failure at the current offset, for `return reject(...)` in a token scanner.
    mutating func reject(_ what: String) -> Bool {
        failure = "invalid JSON at offset \(i): \(what)"
        return false
    }
}
