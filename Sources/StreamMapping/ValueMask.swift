import AtomBase
import CPCRE2

/// A `mask` operation made ready: which characters to keep, or a pattern to replace.
enum ValueMask {
    case keep(prefix: Int, suffix: Int, with: [UInt8])
    case replace(PCRE2Pattern, replacement: [UInt8])

    /// Compiles `rule`.
    ///
    /// - Throws: `MappingError` under `keyPath` for a negative count, a pattern that does not
    ///   compile, or a replacement naming a group the pattern lacks.
    init(_ rule: MaskRule, keyPath: String) throws(MappingError) {
        switch rule {
        case .keep(let prefix, let suffix, let with):
            guard prefix >= 0 else {
                throw MappingError(keyPath: keyPath + ".keepPrefix", message: "must be 0 or more")
            }
            guard suffix >= 0 else {
                throw MappingError(keyPath: keyPath + ".keepSuffix", message: "must be 0 or more")
            }
            self = .keep(prefix: prefix, suffix: suffix, with: Array(with.utf8))
        case .replace(let source, let replacement):
            let pattern = try PCRE2Pattern(source, keyPath: keyPath + ".pattern")
            try pattern.checkReplacement(replacement, keyPath: keyPath + ".replacement")
            self = .replace(pattern, replacement: Array(replacement.utf8))
        }
    }

    /// Writes the masked `value` into `out` (emptied first).
    func apply(_ value: UnsafeRawBufferPointer, into out: ByteBuffer) {
        out.removeAll()
        switch self {
        case .keep(let prefix, let suffix, let with):
            Self.keep(value, prefix: prefix, suffix: suffix, with: with, into: out)
        case .replace(let pattern, let replacement):
            replacement.withUnsafeBytes { pattern.substituteAll(in: value, with: $0, into: out) }
        }
    }

    /// Copies the first `prefix` and last `suffix` characters (UTF-8 sequences) and writes `with`
    /// for each character between them.
    private static func keep(
        _ value: UnsafeRawBufferPointer, prefix: Int, suffix: Int, with: [UInt8], into out: ByteBuffer
    ) {
        var characters = 0
        for byte in value where byte & 0xC0 != 0x80 { characters += 1 }
        guard characters > prefix + suffix else { return out.append(value) }
        var character = -1
        var maskedFrom = -1
        for byte in value {
            if byte & 0xC0 != 0x80 { character += 1 }
            let hidden = character >= prefix && character < characters - suffix
            if !hidden {
                out.append(byte)
            } else if character != maskedFrom {
                maskedFrom = character
                with.withUnsafeBytes { out.append($0) }
            }
        }
    }
}
