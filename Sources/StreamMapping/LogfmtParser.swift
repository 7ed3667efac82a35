/// The `logfmt` format, and with other separators a generic key-value parser: `key=value` pairs
/// separated by spaces, each pair a string field named by its key, in line order.
///
/// Options: `separator` (between pairs, default `" "`; runs of it count as one, and it may lead
/// or trail the line) and `kvSeparator` (between key and value, default `"="`).
///
/// - A value runs to the next separator, or is double-quoted: then it ends at the next `"` that
///   no backslash escapes, and the field is the text inside with `\"`, `\\`, `\n`, `\r` and `\t`
///   unescaped (any other backslash pair is kept as written). After the closing quote the line
///   must end or a separator follow.
/// - `key=` gives an empty string; a bare `key` (no `kvSeparator`) gives the string `"true"`.
/// - A key is taken as written (quotes included); an empty key or an unclosed quote fails the
///   line. A key that repeats keeps its first place and its last value.
/// - One mapper names at most `maxKeys` distinct keys (they stay registered for its life); a
///   line with a new key past that fails, so that odd input cannot grow memory without bound.
final class LogfmtParser: Parser {
    /// The most distinct keys one parser (one mapper) registers.
    static let maxKeys = 4096

    private let separator: LiteralBytes
    private let kvSeparator: LiteralBytes
    /// The first bytes of `kvSeparator` and `separator`, where a key may end.
    private let keyEnds: BytePair
    private let quoteOrBackslash = BytePair(UInt8(ascii: "\""), UInt8(ascii: "\\"))
    /// The value of a bare key.
    private let trueText: LiteralBytes
    private let backslash = LiteralBytes("\\")
    // Behind pointers: a class's stored `var` pays an exclusivity check on every access.
    private let keys: UnsafeMutablePointer<FieldKeyCache>
    /// Where an escaped value is unescaped.
    private let value: UnsafeMutablePointer<ValueBuffer>

    /// Makes the parser from the mapping's options (see the type's description).
    ///
    /// - Throws: `MappingError` at an unknown option, a value that is not a string, an empty
    ///   separator, or separators that are equal or start with `"`.
    init(options: [String: FieldValue]) throws(MappingError) {
        let reader = try ParserOptionReader(options, allowed: ["separator", "kvSeparator"])
        let separator = try reader.nonEmptyString("separator", default: " ")
        let kvSeparator = try reader.nonEmptyString("kvSeparator", default: "=")
        guard separator != kvSeparator else {
            let message = "equals separator; pairs and key from value need different separators"
            throw MappingError(keyPath: "kvSeparator", message: message)
        }
        for (key, text) in [("separator", separator), ("kvSeparator", kvSeparator)]
        where text.hasPrefix("\"") {
            throw MappingError(keyPath: key, message: "must not start with a double quote")
        }
        self.separator = LiteralBytes(separator)
        self.kvSeparator = LiteralBytes(kvSeparator)
        keyEnds = BytePair(self.kvSeparator.first, self.separator.first)
        trueText = LiteralBytes("true")
        keys = .allocate(capacity: 1)
        keys.initialize(to: FieldKeyCache(limit: Self.maxKeys))
        value = .allocate(capacity: 1)
        value.initialize(to: ValueBuffer())
    }

    deinit {
        separator.deallocate()
        kvSeparator.deallocate()
        trueText.deallocate()
        keys.pointee.deallocate()
        keys.deinitialize(count: 1)
        keys.deallocate()
        backslash.deallocate()
        value.pointee.deallocate()
        value.deinitialize(count: 1)
        value.deallocate()
    }

    func parse(_ line: UnsafeRawBufferPointer, into record: inout Record) -> Bool {
        guard let base = line.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            return record.reject("line has no key")
        }
        let end = line.count
        var position = skipSeparators(base, from: 0, end: end)
        guard position < end else { return record.reject("line has no key") }

        while position < end {
            let keyStart = position
            while true {
                position = keyEnds.find(in: base, from: position, to: end)
                if position == end || kvSeparator.occurs(in: base, at: position, end: end)
                    || separator.occurs(in: base, at: position, end: end) {
                    break
                }
                position += 1
            }
            guard position > keyStart else {
                return record.reject("empty key at offset \(keyStart)")
            }
            let known = keys.pointee.field(for: base, keyStart, position, record: &record)
            guard let field = known else {
                let limit = "the \(Self.maxKeys) distinct keys allowed"
                return record.reject("key at offset \(keyStart) is past \(limit)")
            }

            if !kvSeparator.occurs(in: base, at: position, end: end) {
                // A bare key.
                let text = UnsafeRawBufferPointer(start: trueText.base, count: trueText.count)
                record.set(FieldID(index: field), text: text)
            } else {
                position += kvSeparator.count
                if position < end && base[position] == UInt8(ascii: "\"") {
                    guard let closed = quotedValue(base, position, end, field, &record) else {
                        return false
                    }
                    position = closed
                    let ends = position == end || separator.occurs(in: base, at: position, end: end)
                    guard ends else {
                        return record.reject("text after the closing quote at offset \(position)")
                    }
                } else {
                    let valueEnd = separator.find(in: base, from: position, to: end) ?? end
                    record.setLineText(field, position, valueEnd - position)
                    position = valueEnd
                }
            }
            position = skipSeparators(base, from: position, end: end)
        }
        return true
    }

    @inline(__always)
    private func skipSeparators(_ base: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        var position = from
        while separator.occurs(in: base, at: position, end: end) { position += separator.count }
        return position
    }

    /// Sets `field` to the quoted value whose opening quote is at `open`; returns the offset
    /// after the closing quote, or nil (with the record rejected) when the quote is not closed.
    @inline(__always)
    private func quotedValue(
        _ base: UnsafePointer<UInt8>, _ open: Int, _ end: Int, _ field: Int, _ record: inout Record
    ) -> Int? {
        var index = open + 1
        var escaped = false
        while index < end {
            index = quoteOrBackslash.find(in: base, from: index, to: end)
            guard index < end, base[index] == UInt8(ascii: "\\") else { break }
            escaped = true
            index += 2
        }
        guard index < end else {
            _ = record.reject("unclosed quote at offset \(open)")
            return nil
        }
        if escaped {
            unescape(base, open + 1, index, into: field, &record)
        } else {
            record.setLineText(field, open + 1, index - open - 1)
        }
        return index + 1
    }

    /// Sets `field` to the bytes `start..<end` with their backslash escapes undone.
    private func unescape(
        _ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, into field: Int,
        _ record: inout Record
    ) {
        value.pointee.removeAll()
        var from = start
        // The scan that found the closing quote skipped every escaped byte, so a backslash
        // here always has a byte after it.
        while let slash = backslash.find(in: base, from: from, to: end), slash + 1 < end {
            value.pointee.append(base + from, slash - from)
            let escaped = base[slash + 1]
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): value.pointee.append(escaped)
            case UInt8(ascii: "n"): value.pointee.append(0x0A)
            case UInt8(ascii: "r"): value.pointee.append(0x0D)
            case UInt8(ascii: "t"): value.pointee.append(0x09)
            default: value.pointee.append(base + slash, 2)
            }
            from = slash + 2
        }
        value.pointee.append(base + from, end - from)
        record.set(FieldID(index: field), text: value.pointee.bytes)
    }
}
