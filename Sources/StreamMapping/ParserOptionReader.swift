/// Reads the options of a built-in registered parser (`dissect`, `logfmt`, `csv`, `syslog`):
/// refuses keys the parser does not know and values of the wrong kind, naming the key.
struct ParserOptionReader {
    private let options: [String: FieldValue]

    /// Checks that every key of `options` is one of `allowed`.
    ///
    /// - Throws: `MappingError` at the first unknown key (in sorted order), listing the known ones.
    init(_ options: [String: FieldValue], allowed: [String]) throws(MappingError) {
        for key in options.keys.sorted() where !allowed.contains(key) {
            let known = allowed.joined(separator: ", ")
            let message = "unknown option (this parser takes: \(known))"
            throw MappingError(keyPath: key, message: message)
        }
        self.options = options
    }

    /// The string at `key`, or nil when the key is absent.
    ///
    /// - Throws: `MappingError` at `key` when the value is not a string.
    func string(_ key: String) throws(MappingError) -> String? {
        switch options[key] {
        case nil: return nil
        case .string(let text)?: return text
        case let other?:
            throw MappingError(keyPath: key, message: "expected a string, found \(kind(other))")
        }
    }

    /// The non-empty string at `key`, or `fallback` when the key is absent.
    ///
    /// - Throws: `MappingError` at `key` when the value is not a string or is empty.
    func nonEmptyString(_ key: String, default fallback: String) throws(MappingError) -> String {
        guard let text = try string(key) else { return fallback }
        guard !text.isEmpty else {
            throw MappingError(keyPath: key, message: "the value is empty")
        }
        return text
    }

    /// The boolean at `key`, or `fallback` when the key is absent.
    ///
    /// - Throws: `MappingError` at `key` when the value is not a boolean.
    func bool(_ key: String, default fallback: Bool) throws(MappingError) -> Bool {
        switch options[key] {
        case nil: return fallback
        case .bool(let flag)?: return flag
        case let other?:
            throw MappingError(keyPath: key, message: "expected true or false, found \(kind(other))")
        }
    }

    private func kind(_ value: FieldValue) -> String {
        switch value {
        case .string: "a string"
        case .int, .double: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }
}
