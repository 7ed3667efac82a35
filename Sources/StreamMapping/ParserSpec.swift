/// Which parser turns a line into fields.
public enum ParserSpec: Sendable, Equatable {
    /// The whole line as one string field.
    case raw(field: String = "message")
    /// The line must be one JSON object; it passes through as the event. A line that is not
    /// an object at all (an array, a scalar, plain text, an empty line) follows `nonObject`.
    case json(nonObject: JSONNonObject)
    /// A PCRE2 pattern (JIT-compiled); each named group that takes part becomes a string field.
    case regex(pattern: String)
    /// Grok patterns (see `GrokSpec`); each capture becomes a field, in group order.
    case grok(GrokSpec)
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

/// A `grok` parser: patterns of `%{NAME}`, `%{NAME:field}` and `%{NAME:field:type}` expanded
/// to PCRE2 regexes from the built-in library and the user's own definitions.
public struct GrokSpec: Sendable, Equatable {
    /// Tried in order; the first that matches a line gives its fields.
    public var patterns: [String]
    /// The user's patterns, which may refer to each other and to the built-in ones, and which
    /// replace a built-in pattern of the same name.
    public var definitions: [GrokDefinition]

    public init(patterns: [String], definitions: [GrokDefinition] = []) {
        self.patterns = patterns
        self.definitions = definitions
    }

    /// The names of the built-in patterns, sorted.
    public static var builtInPatternNames: [String] { GrokLibrary.patterns.keys.sorted() }
}

/// One user-defined grok pattern, and where it was defined (for messages).
public struct GrokDefinition: Sendable, Equatable {
    public var name: String
    public var regex: String
    /// The key path of the definition: `parser.patterns.NAME`, or `parser.patternsFiles[0]`.
    public var keyPath: String
    /// For a definition read from a patterns file, its line number (from 1).
    public var line: Int?

    public init(name: String, regex: String, keyPath: String, line: Int? = nil) {
        self.name = name
        self.regex = regex
        self.keyPath = keyPath
        self.line = line
    }
}
