import AtomBase
import CPCRE2

extension PCRE2Pattern {
    /// Replaces every match in `subject` with `replacement` (`pcre2_substitute_8`, global),
    /// writing the result into `out`; a subject the pattern cannot be run on is copied as it is.
    func substituteAll(
        in subject: UnsafeRawBufferPointer, with replacement: UnsafeRawBufferPointer, into out: ByteBuffer
    ) {
        let base = subject.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(emptySubject)
        let replacementBase = replacement.baseAddress?.assumingMemoryBound(to: UInt8.self)
            ?? UnsafePointer(emptySubject)
        let options = PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH
            | PCRE2_SUBSTITUTE_UNSET_EMPTY
        out.reserve(subject.count + replacement.count + 16)
        while true {
            var length = out.capacity
            let code = pcre2_substitute_8(
                self.code, base, subject.count, 0, options, matchData, context,
                replacementBase, replacement.count, out.base, &length
            )
            if code >= 0 {
                out.count = length
                return
            }
            guard code == PCRE2_ERROR_NOMEMORY, length > out.capacity else {
                out.count = 0
                out.append(subject)
                return
            }
            out.reserve(length)
        }
    }

    /// Checks that `replacement` refers only to groups the pattern has: `$n`, `${n}`, `$name`,
    /// `${name}`, and `$$` for a dollar sign.
    ///
    /// - Throws: `MappingError` at `keyPath` naming the first bad reference.
    func checkReplacement(_ replacement: String, keyPath: String) throws(MappingError) {
        var groups: UInt32 = 0
        _ = pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_CAPTURECOUNT), &groups)
        let names = Set(namedGroups().map(\.name))
        let bytes = Array(replacement.utf8)
        var index = 0
        func fail(_ message: String) -> MappingError { MappingError(keyPath: keyPath, message: message) }
        func isNameByte(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: "_") || (byte | 0x20) &- UInt8(ascii: "a") < 26 || byte &- UInt8(ascii: "0") < 10
        }
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "$") else {
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { throw fail("the replacement ends with a lone '$' (write '$$')") }
            if bytes[index] == UInt8(ascii: "$") {
                index += 1
                continue
            }
            let braced = bytes[index] == UInt8(ascii: "{")
            if braced { index += 1 }
            let start = index
            // PCRE2 reads digits only after a digit (`$1a` is group 1, then `a`), else a name.
            let numeric = index < bytes.count && bytes[index] &- UInt8(ascii: "0") < 10
            while index < bytes.count
                && (numeric ? bytes[index] &- UInt8(ascii: "0") < 10 : isNameByte(bytes[index])) {
                index += 1
            }
            let reference = String(decoding: bytes[start..<index], as: UTF8.self)
            if braced {
                guard index < bytes.count, bytes[index] == UInt8(ascii: "}") else {
                    throw fail("'${' at offset \(start - 2) has no closing '}'")
                }
                index += 1
            }
            guard !reference.isEmpty else {
                throw fail("a '$' must be followed by a group number or name, or by '$' for a dollar sign")
            }
            if let number = Int(reference) {
                guard number <= Int(groups) else {
                    throw fail("'$\(reference)': the pattern has \(groups) group\(groups == 1 ? "" : "s")")
                }
            } else if !names.contains(reference) {
                throw fail("'$\(reference)': the pattern has no group of that name")
            }
        }
    }
}
