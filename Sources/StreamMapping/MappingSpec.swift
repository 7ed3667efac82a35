import AtomBase

/// Everything an input's mapping needs: how to parse a line, what to add, where to send it.
public struct MappingSpec: Sendable {
    /// How a line becomes fields.
    public var parser: ParserSpec
    /// Fields appended to every event, in this order; they win over parsed fields of the same name.
    public var addFields: [(String, FieldValue)]
    /// Changes to the parsed fields, applied in order before routing.
    public var operations: [FieldOperation] = []
    /// Routing rules, tried in order; the first that matches decides.
    public var routes: [Route]
    /// The stream for events that no route matches.
    public var defaultStream: String
    /// The key for `defaultStream`, and for routes that name no key of their own.
    public var defaultAuthKey: String?
    /// The field that carries the reason when the parser rejects a line.
    public var parseErrorField: String = "parse_error"
    /// Where a line the parser rejects goes, without trying the routes (signed with
    /// `defaultAuthKey`); nil routes it like any other event.
    public var parseErrorStream: String?
    /// What happens to bytes that are not valid UTF-8 when they are written into an event.
    public var invalidUTF8: JSON.InvalidUTF8 = .replace
    /// Parsed fields converted from text to a type (`bytes` to `int`), in this order, after a
    /// line parses. With a parser that names its fields (regex, dissect, csv, syslog, grok),
    /// each must be one of them. Types a grok pattern gives (`%{NUMBER:bytes:int}`) are added,
    /// unless the field is named here.
    public var fieldTypes: [(String, ValueConversion.Target)] = []
    /// What happens to a value that does not convert to its type.
    public var onTypeError: ValueConversion.Failure = .keep
    /// A container log format whose envelope is taken off each line first (nil: plain lines).
    public var container: ContainerSpec?
    /// Multiline grouping of each file's lines into events before parsing (nil: one line, one event).
    public var multiline: MultilineSpec?
    /// Where each event came from, as fields (none by default).
    public var metadata = MetadataSpec()

    /// Creates a mapping; `operations`, `parseErrorField`, `parseErrorStream`, `invalidUTF8`,
    /// `fieldTypes` and `onTypeError` keep their defaults until set.
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
