import AtomBase

/// The tokens of JSON: whitespace, strings, numbers and literals.
extension JSONScanner {
    /// Skips the four whitespace bytes JSON allows.
    @inline(__always)
    mutating func skipSpace() {
        while i < n {
            let b = p[i]
            if b == 0x20 {
                i += 1
            } else if b == 0x0A || b == 0x0D || b == 0x09 {
                specials += 1  // a control byte: escaped once more inside a bulk request
                i += 1
            } else {
                return
            }
        }
    }

    /// Scans a string from its opening quote to past its closing one; sets `escaped`. Bytes that
    /// are not valid UTF-8 are accepted and noted (they are replaced when the event is written).
    @inline(__always)
    mutating func scanString() -> Bool {
        i += 1
        escaped = false
        specials += 2  // the quotes
        while i < n {
            // Straight to the next byte that needs a look, sixteen bytes per step.
            i += JSON.plainRun(p + i, n - i)
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
                case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    specials += 2
                    i += 2
                case UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    specials += 1
                    i += 2
                case UInt8(ascii: "u"):
                    guard i + 5 < n, Self.hexValue(p[i + 2]) != nil, Self.hexValue(p[i + 3]) != nil,
                          Self.hexValue(p[i + 4]) != nil, Self.hexValue(p[i + 5]) != nil
                    else {
                        return reject("invalid \\u escape")
                    }
                    specials += 1
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

    /// Scans a number as JSON's grammar has it:
    /// `-? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?`.
    @inline(__always)
    mutating func scanNumber() -> Bool {
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

    /// Whether the current byte is a decimal digit.
    @inline(__always)
    func digit() -> Bool {
        i < n && p[i] >= UInt8(ascii: "0") && p[i] <= UInt8(ascii: "9")
    }

    /// Scans `true`, `false` or `null`.
    @inline(__always)
    mutating func scanLiteral(_ word: StaticString) -> Bool {
        let length = word.utf8CodeUnitCount
        guard n - i >= length else { return reject("invalid literal") }
        for k in 0..<length where p[i + k] != word.utf8Start[k] {
            return reject("invalid literal")
        }
        i += length
        return true
    }

    /// The value of a hexadecimal digit, or nil for another byte.
    @inline(__always)
    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
