import Glibc

/// A `Condition` made ready for the hot path: field names resolved to indexes (or, for added
/// fields, to their constant text) and patterns compiled.
indirect enum CompiledCondition {
    case equals(FieldSource, [UInt8])
    case matches(FieldSource, PCRE2Pattern)
    case exists(FieldSource)
    case compare(FieldSource, Comparison, NumberText.Threshold)
    case all([CompiledCondition])
    case any([CompiledCondition])
    case not(CompiledCondition)

    /// Compiles `condition`, registering the fields it reads in `names`.
    ///
    /// - Parameters:
    ///   - added: the text of each added field, by name; a condition on one of them reads that.
    ///   - keyPath: where `condition` sits in the mapping, for errors.
    /// - Throws: `MappingError` for an empty field name or a pattern that does not compile.
    init(
        _ condition: Condition, names: inout FieldNames, added: [String: [UInt8]], keyPath: String
    ) throws(MappingError) {
        func source(_ field: String, _ path: String) throws(MappingError) -> FieldSource {
            guard !field.isEmpty else {
                throw MappingError(keyPath: path + ".field", message: "the field name is empty")
            }
            return FieldSource(field, names: &names, added: added)
        }
        switch condition {
        case .equals(let field, let value):
            self = .equals(try source(field, keyPath + ".equals"), Array(value.utf8))
        case .matches(let field, let pattern):
            let path = keyPath + ".matches"
            self = .matches(try source(field, path), try PCRE2Pattern(pattern, keyPath: path))
        case .exists(let field):
            self = .exists(try source(field, keyPath + ".exists"))
        case .compare(let field, let comparison, let value):
            let path = keyPath + "." + comparison.rawValue
            guard value.isFinite else {
                throw MappingError(keyPath: path, message: "the value is not a finite number")
            }
            self = .compare(try source(field, path), comparison, NumberText.Threshold(value))
        case .all(let conditions):
            var parts: [CompiledCondition] = []
            for (index, part) in conditions.enumerated() {
                let path = "\(keyPath).all[\(index)]"
                parts.append(try .init(part, names: &names, added: added, keyPath: path))
            }
            self = .all(parts)
        case .any(let conditions):
            var parts: [CompiledCondition] = []
            for (index, part) in conditions.enumerated() {
                let path = "\(keyPath).any[\(index)]"
                parts.append(try .init(part, names: &names, added: added, keyPath: path))
            }
            self = .any(parts)
        case .not(let inner):
            let path = keyPath + ".not"
            self = .not(try CompiledCondition(inner, names: &names, added: added, keyPath: path))
        }
    }

    /// Whether the condition holds for the fields in `record` (a pointer, so that no path copies
    /// the record).
    func evaluate(_ record: UnsafePointer<Record>) -> Bool {
        switch self {
        case .equals(let source, let expected):
            return Self.withText(source, record) { text in
                expected.withUnsafeBytes { Self.equal(text, $0) }
            } ?? false
        case .matches(let source, let pattern):
            return Self.withText(source, record) { pattern.matches($0) } ?? false
        case .exists(let source):
            return Self.withText(source, record) { _ in true } ?? false
        case .compare(let source, let comparison, let threshold):
            return Self.withText(source, record) { text in
                NumberText.parse(text)?.satisfies(comparison, threshold) ?? false
            } ?? false
        case .all(let parts):
            for part in parts where !part.evaluate(record) { return false }
            return true
        case .any(let parts):
            for part in parts where part.evaluate(record) { return true }
            return false
        case .not(let inner):
            return !inner.evaluate(record)
        }
    }

    @inline(__always)
    private static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        // Equal counts: a buffer without an address is empty, and so is the other.
        guard let left = a.baseAddress, let right = b.baseAddress else { return true }
        return memcmp(left, right, a.count) == 0
    }

    @inline(__always)
    private static func withText(
        _ source: FieldSource, _ record: UnsafePointer<Record>,
        _ body: (UnsafeRawBufferPointer) -> Bool
    ) -> Bool? {
        source.withText(in: record, body)
    }
}
