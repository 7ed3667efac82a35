/// Which parser turns a line into fields.
public enum ParserSpec: Sendable, Equatable {
    /// The whole line as one string field.
    case raw(field: String = "message")
    /// The line must be one JSON object; it passes through as the event. A line that is not
    /// an object at all (an array, a scalar, plain text, an empty line) follows `nonObject`.
    case json(nonObject: JSONNonObject)
    /// A PCRE2 pattern (JIT-compiled); each named group that takes part becomes a string field.
    case regex(pattern: String)
    /// A parser registered by name in a `ParserRegistry`, with its options.
    case custom(name: String, options: [String: FieldValue])
}

extension ParserSpec {
    /// The `json` parser with a line that is not an object made a parse-failure event.
    public static var json: ParserSpec { .json(nonObject: .error) }
}

/// What the `json` parser does with a line whose first byte after any whitespace is not `{`
/// (an array, a scalar, plain text, an empty line). A line that starts like an object but is
/// not valid JSON is always a parse failure.
public enum JSONNonObject: String, Sendable, CaseIterable {
    /// A parse-failure event: `{"message": line, "<parseErrorField>": reason}`.
    case error
    /// `{"message": line}`, routed like any event, not counted as a failure.
    case raw
    /// The line is dropped, as by a drop route.
    case drop
}
