import AtomBase

/// RFC 5424 STRUCTURED-DATA read into a JSON object: each element's SD-ID a key, its params an
/// object of strings, e.g. `[exampleSDID@32473 iut="3" eventSource="App"]` becomes
/// `{"exampleSDID@32473":{"iut":"3","eventSource":"App"}}`.
///
/// - A value has its escapes (`\"`, `\\`, `\]`) undone; a backslash before any other byte is
///   kept, as RFC 5424 says. Bytes that are not valid UTF-8 become U+FFFD.
/// - A param name that repeats within an element (RFC 5424 allows it) gives an array of its
///   values, in line order; an SD-ID that repeats (RFC 5424 forbids it) has its params merged
///   into its first element, so the object never holds a key twice.
/// - An element without params is an empty object.
///
/// Reused from line to line; one per parser.
final class SyslogStructuredData {
    private struct Param {
        var element: Int
        var name: Range<Int>
        var value: Range<Int>
        var escaped: Bool
    }

    private var elements: [Range<Int>] = []
    private var params: [Param] = []
    private let out = ByteBuffer(capacity: 512)
    private var unescaped: [UInt8] = []

    /// Why the last `read` failed.
    private(set) var failure = ""

    /// Reads the elements starting at `start` (a `[`) in the line at `base` of `end` bytes, and
    /// returns the offset after the last one, or nil with `failure` set.
    func read(_ base: UnsafePointer<UInt8>, from start: Int, end: Int) -> Int? {
        elements.removeAll(keepingCapacity: true)
        params.removeAll(keepingCapacity: true)
        var position = start
        while position < end && base[position] == UInt8(ascii: "[") {
            position += 1
            let idStart = position
            position = Self.nameEnd(base, position, end)
            guard position > idStart else { return fail("an element without an SD-ID", idStart) }
            let element = elementIndex(base, idStart..<position)
            while true {
                guard position < end else { return fail("an unclosed element", idStart - 1) }
                if base[position] == UInt8(ascii: "]") {
                    position += 1
                    break
                }
                guard base[position] == UInt8(ascii: " ") else {
                    return fail("an unexpected byte in an element", position)
                }
                position += 1
                let nameStart = position
                position = Self.nameEnd(base, position, end)
                guard position > nameStart, position + 1 < end, base[position] == UInt8(ascii: "="),
                      base[position + 1] == UInt8(ascii: "\"")
                else { return fail("a param that is not name=\"value\"", nameStart) }
                let name = nameStart..<position
                position += 2
                let valueStart = position
                var escaped = false
                while position < end && base[position] != UInt8(ascii: "\"") {
                    if base[position] == UInt8(ascii: "\\") {
                        escaped = true
                        position += 1
                    }
                    position += 1
                }
                guard position < end else { return fail("an unclosed param value", valueStart - 1) }
                params.append(Param(element: element, name: name, value: valueStart..<position,
                                    escaped: escaped))
                position += 1
            }
        }
        return position
    }

    /// The JSON object of the elements last read; valid until the next call.
    func json(_ base: UnsafePointer<UInt8>) -> UnsafeRawBufferPointer {
        out.removeAll()
        out.append(UInt8(ascii: "{"))
        for (element, id) in elements.enumerated() {
            if element > 0 { out.append(UInt8(ascii: ",")) }
            appendString(base, id, escaped: false)
            out.append(UInt8(ascii: ":"))
            out.append(UInt8(ascii: "{"))
            var first = true
            for (index, param) in params.enumerated() where param.element == element {
                let same = { (other: Param) in
                    other.element == element && Self.equal(base, other.name, param.name)
                }
                if params[..<index].contains(where: same) { continue }
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                appendString(base, param.name, escaped: false)
                out.append(UInt8(ascii: ":"))
                let repeats = params[(index + 1)...].contains(where: same)
                guard repeats else {
                    appendString(base, param.value, escaped: param.escaped)
                    continue
                }
                out.append(UInt8(ascii: "["))
                for (number, other) in params[index...].filter(same).enumerated() {
                    if number > 0 { out.append(UInt8(ascii: ",")) }
                    appendString(base, other.value, escaped: other.escaped)
                }
                out.append(UInt8(ascii: "]"))
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "}"))
        return out.bytes
    }

    private func fail(_ what: String, _ offset: Int) -> Int? {
        failure = "\(what) in the structured data at offset \(offset)"
        return nil
    }

    /// The end of an SD-NAME (printable ASCII but `=`, space, `]` and `"`) starting at `from`.
    private static func nameEnd(_ base: UnsafePointer<UInt8>, _ from: Int, _ end: Int) -> Int {
        var position = from
        while position < end {
            let byte = base[position]
            guard byte > 0x20, byte < 0x7F, byte != UInt8(ascii: "="), byte != UInt8(ascii: "]"),
                  byte != UInt8(ascii: "\"")
            else { break }
            position += 1
        }
        return position
    }

    /// The index of the element named by `id`, adding it when new.
    private func elementIndex(_ base: UnsafePointer<UInt8>, _ id: Range<Int>) -> Int {
        if let found = elements.firstIndex(where: { Self.equal(base, $0, id) }) { return found }
        elements.append(id)
        return elements.count - 1
    }

    private static func equal(_ base: UnsafePointer<UInt8>, _ a: Range<Int>, _ b: Range<Int>) -> Bool {
        guard a.count == b.count else { return false }
        for offset in 0..<a.count where base[a.lowerBound + offset] != base[b.lowerBound + offset] {
            return false
        }
        return true
    }

    /// Appends the bytes at `range` as a quoted JSON string, RFC 5424 escapes undone first.
    private func appendString(_ base: UnsafePointer<UInt8>, _ range: Range<Int>, escaped: Bool) {
        out.append(UInt8(ascii: "\""))
        let text = UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
        if escaped {
            unescaped.removeAll(keepingCapacity: true)
            var position = range.lowerBound
            while position < range.upperBound {
                let byte = base[position]
                if byte == UInt8(ascii: "\\"), position + 1 < range.upperBound {
                    let next = base[position + 1]
                    let drops = next == UInt8(ascii: "\"") || next == UInt8(ascii: "\\")
                        || next == UInt8(ascii: "]")
                    if drops {
                        unescaped.append(next)
                        position += 2
                        continue
                    }
                }
                unescaped.append(byte)
                position += 1
            }
            unescaped.withUnsafeBytes { _ = JSON.appendEscaped($0, to: out) }
        } else {
            JSON.appendEscaped(text, to: out)
        }
        out.append(UInt8(ascii: "\""))
    }
}
