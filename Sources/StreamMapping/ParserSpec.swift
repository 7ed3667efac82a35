/// Which parser turns a line into fields.
public enum ParserSpec: Sendable, Equatable {
    /// The whole line as one string field.
    case raw(field: String = "message")
    /// The line must be one JSON object; it passes through as the event.
    case json
    /// A PCRE2 pattern (JIT-compiled); each named group that takes part becomes a string field.
    case regex(pattern: String)
    /// A parser registered by name in a `ParserRegistry`, with its options.
    case custom(name: String, options: [String: FieldValue])
}
