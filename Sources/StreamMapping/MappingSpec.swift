import AtomBase

/// Everything an input's mapping needs: how to parse a line, what to add, where to send it.
public struct MappingSpec: Sendable {
    /// How a line becomes fields.
    public var parser: ParserSpec
    /// Fields appended to every event, in this order; they win over parsed fields of the same name.
    public var addFields: [(String, FieldValue)]
    /// Routing rules, tried in order; the first that matches decides.
    public var routes: [Route]
    /// The stream for events that no route matches.
    public var defaultStream: String
    /// The key for `defaultStream`, and for routes that name no key of their own.
    public var defaultAuthKey: String?
    /// The field that carries the reason when the parser rejects a line.
    public var parseErrorField: String = "parse_error"
    /// What happens to bytes that are not valid UTF-8 when they are written into an event.
    public var invalidUTF8: JSON.InvalidUTF8 = .replace

    /// Creates a mapping; `parseErrorField` and `invalidUTF8` keep their defaults until set.
    public init(
        parser: ParserSpec,
        addFields: [(String, FieldValue)] = [],
        routes: [Route] = [],
        defaultStream: String,
        defaultAuthKey: String? = nil
    ) {
        self.parser = parser
        self.addFields = addFields
        self.routes = routes
        self.defaultStream = defaultStream
        self.defaultAuthKey = defaultAuthKey
    }
}
