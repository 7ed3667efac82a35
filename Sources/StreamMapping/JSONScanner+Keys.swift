/// Top-level keys the mapping knows, and their values kept for routing.
extension JSONScanner {
    /// The field the key in `start..<end` names, if the mapping knows it (-1 if not).
    func knownField(_ start: Int, _ end: Int, escaped: Bool, record: inout Record) -> Int {
        guard escaped else {
            let key = UnsafeRawBufferPointer(start: p + start, count: end - start)
            return record.names.lookup(key) ?? -1
        }
        let mark = record.scratchCount
        unescape(start, end, into: &record)
        let field = record.lookupScratchKey(from: mark)
        record.truncateScratch(to: mark)
        return field ?? -1
    }

    /// Stores the value of a known top-level key for routing: a string's unescaped text, any
    /// other value's JSON text.
    func storeValue(
        _ field: Int, _ start: Int, _ end: Int, isString: Bool, escaped: Bool, record: inout Record
    ) {
        guard isString else { return record.setLineJSON(field, start, end - start) }
        guard escaped else { return record.setLineText(field, start + 1, end - start - 2) }
        let mark = record.scratchCount
        unescape(start + 1, end - 1, into: &record)
        record.setScratchText(field, from: mark)
    }

    /// Appends the text of the string body `start..<end` (already checked) to the record's
    /// scratch bytes, escapes decoded; a lone surrogate becomes U+FFFD.
    func unescape(_ start: Int, _ end: Int, into record: inout Record) {
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

    func hex4(_ at: Int) -> UInt32 {
        var value: UInt32 = 0
        for k in 0..<4 { value = value << 4 | UInt32(Self.hexValue(p[at + k]) ?? 0) }
        return value
    }

    func appendUTF8(_ scalar: UInt32, into record: inout Record) {
        UTF8Repair.encode(scalar) { record.appendScratch($0) }
    }
}
