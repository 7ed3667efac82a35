import AtomBase
import Glibc

extension FieldOperations {
    /// The most distinct keys the JSON lines of one mapper may bring when operations are set; a
    /// line with a new key past that fails, so that odd input cannot grow memory without bound.
    static let maxJSONKeys = 4096

    /// Turns a JSON line that would pass through as written into ordinary fields, one per
    /// top-level member in the line's order (strings unescaped, other values as their JSON), so
    /// that operations can change them. False, with `record.failure` set, past `maxJSONKeys`.
    func explodeObject(_ record: UnsafeMutablePointer<Record>) -> Bool {
        guard let object = record.pointee.object,
              let base = record.pointee.line.baseAddress?.assumingMemoryBound(to: UInt8.self)
        else { return true }
        record.pointee.clearFields()
        record.pointee.object = nil
        let scanner = JSONScanner(base: base, count: record.pointee.line.count)
        for index in 0..<record.pointee.members.count {
            let member = record.pointee.members[index].range
            // The line passed the scanner, so the key is a closed string and a colon follows it.
            var keyEnd = member.lowerBound + 1
            var keyEscaped = false
            while base[keyEnd] != UInt8(ascii: "\"") {
                if base[keyEnd] == UInt8(ascii: "\\") {
                    keyEscaped = true
                    keyEnd += 1
                }
                keyEnd += 1
            }
            guard let field = keyField(scanner, member.lowerBound + 1, keyEnd, keyEscaped, record)
            else {
                record.pointee.failure = "the JSON lines bring more than \(Self.maxJSONKeys) distinct keys"
                return false
            }
            var valueStart = keyEnd + 1
            while Self.isSpaceOrColon(base[valueStart]) { valueStart += 1 }
            let valueEnd = member.upperBound
            if base[valueStart] == UInt8(ascii: "\"") {
                let body = base + valueStart + 1
                let escaped = memchr(body, 0x5C, valueEnd - valueStart - 2) != nil
                scanner.storeValue(
                    field, valueStart, valueEnd, isString: true, escaped: escaped, record: &record.pointee
                )
            } else if object.hasInvalidUTF8 {
                repairJSON(UnsafeRawBufferPointer(start: base + valueStart, count: valueEnd - valueStart))
                record.pointee.set(FieldID(index: field), json: value.bytes)
            } else {
                record.pointee.setLineJSON(field, valueStart, valueEnd - valueStart)
            }
        }
        return true
    }

    /// The field a key names, registered on first sight; nil when the cache is full.
    private func keyField(
        _ scanner: JSONScanner, _ start: Int, _ end: Int, _ escaped: Bool,
        _ record: UnsafeMutablePointer<Record>
    ) -> Int? {
        guard escaped else {
            return keys.pointee.field(for: scanner.p, start, end, record: &record.pointee)
        }
        let mark = record.pointee.scratchCount
        scanner.unescape(start, end, into: &record.pointee)
        value.removeAll()
        value.append(UnsafeRawBufferPointer(rebasing: record.pointee.scratch.bytes[mark...]))
        record.pointee.truncateScratch(to: mark)
        return keys.pointee.field(for: UnsafePointer(value.base), 0, value.count, record: &record.pointee)
    }

    /// Copies a JSON value into `value` with each byte that is not valid UTF-8 replaced as the
    /// mapping says (such bytes can only sit inside its strings).
    private func repairJSON(_ json: UnsafeRawBufferPointer) {
        value.removeAll()
        UTF8Repair.forEachRun(
            json, copy: { value.append($0) },
            replace: { EventMapper.appendReplacement(for: $0, policy: invalidUTF8, to: value) }
        )
    }

    @inline(__always)
    private static func isSpaceOrColon(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == UInt8(ascii: ":")
    }
}
