import AtomBase

/// Turns lines into JSON events and picks each event's stream, per one `MappingSpec`.
///
/// One per input and thread; not thread-safe; reuses its buffers across lines, so after warm-up
/// a line costs no allocation. Per line, `route(_:)` parses the line and returns its stream,
/// then `encode(into:)` writes its event while the line's bytes are still valid.
public final class EventMapper: @unchecked Sendable {
    // Sendable so that it can move to the thread that will own it, like `ByteBuffer`: whoever
    // hands it over keeps no reference, and no two threads ever call it at once.

    /// The built-in parsers are called directly; a registered one through its protocol.
    private enum Format {
        case raw(RawParser)
        case json(JSONParser)
        case regex(RegexParser)
        case grok(GrokParser)
        case custom(any Parser)

        /// The parser, for what it declares about its fields.
        var parser: any Parser {
            switch self {
            case .raw(let parser): parser
            case .json(let parser): parser
            case .regex(let parser): parser
            case .grok(let parser): parser
            case .custom(let parser): parser
            }
        }
    }

    private struct CompiledRoute {
        var condition: CompiledCondition?
        var target: Int?
    }

    /// The distinct targets; `route(...)` returns an index into this.
    public let streams: [StreamTarget]

    /// The fields the parser says it can set (regex groups, grok captures, dissect keys, csv
    /// columns, syslog's), or nil for a parser that cannot know them beforehand (json, raw).
    public var parserFields: [String]? { (format.parser as? any FieldDeclaring)?.declaredFields }
    /// Count of lines the parser rejected so far.
    public private(set) var parseFailures: Int = 0

    /// The record of the current line. It sits behind a pointer because a stored `var` of a
    /// class pays a dynamic exclusivity check on every access, and the hot path makes dozens.
    let record: UnsafeMutablePointer<Record>
    private let format: Format
    private let routes: [CompiledRoute]
    private let defaultTarget: Int
    /// Where lines the parser rejects go without trying the routes; nil: they are routed.
    private let parseErrorTarget: Int?
    /// Nil when the mapping has none, so that the hot path pays one branch for them.
    private let operations: FieldOperations?
    private let messageField: Int
    private let errorField: Int
    /// The fields converted to a type after a line parses, and whether there are any (one
    /// branch per line when there are none).
    private let conversions: [(field: Int, conversion: ValueConversion)]
    private let hasConversions: Bool
    /// What ends every event: `"` (closing a string value before it), then `,"a":1,"b":"x"` for
    /// the added fields, then `}`; written as the slice that fits what precedes it.
    let closingBytes: UnsafeMutablePointer<UInt8>
    let closingCount: Int
    /// The `"`, `\\` and control bytes of the closing from 0, 1 and 2 bytes in.
    let closingSpecials: (Int, Int, Int)
    let hasAddedFields: Bool
    let invalidUTF8: JSON.InvalidUTF8
    /// Per `SourceField` the mapping writes: its slot and the member's start (`,"name":`).
    let sourceFields: [(slot: Int, field: Int, member: [UInt8])]
    let hasSourceFields: Bool
    /// The source values of the next event (`setSource`).
    let sourceValues: SourceValues

    /// Checks `spec` and prepares everything the hot path needs: field-name chunks, added
    /// fields as JSON, compiled patterns, route targets.
    ///
    /// - Parameters:
    ///   - spec: the mapping.
    ///   - registry: where `ParserSpec.custom` parsers are looked up.
    /// - Throws: `MappingError` naming the key path at fault: a regex that does not compile, an
    ///   unknown custom parser, an empty or duplicate field name, a route without a stream.
    public init(spec: MappingSpec, registry: ParserRegistry = .shared) throws(MappingError) {
        var names = FieldNames()
        guard !spec.parseErrorField.isEmpty else {
            throw MappingError(keyPath: "parseErrorField", message: "the field name is empty")
        }
        messageField = names.intern("message")
        errorField = names.intern(spec.parseErrorField)

        let sourceNames = try Self.sourceFieldNames(spec)
        let added = try Self.addedFields(spec.addFields + Self.metadataConstants(spec.metadata), names: &names)
        let closing = [UInt8(ascii: "\"")] + added.members + [UInt8(ascii: "}")]
        closingCount = closing.count
        closingBytes = .allocate(capacity: closing.count)
        closingBytes.initialize(from: closing, count: closing.count)
        closingSpecials = closing.withUnsafeBytes { bytes in
            func specials(from skip: Int) -> Int {
                JSON.specialCount(UnsafeRawBufferPointer(rebasing: bytes[min(skip, bytes.count)...]))
            }
            return (specials(from: 0), specials(from: 1), specials(from: 2))
        }
        hasAddedFields = !added.members.isEmpty

        format = try Self.makeFormat(spec.parser, names: &names, registry: registry)
        conversions = try Self.compileConversions(spec, format: format, names: &names)
        hasConversions = !conversions.isEmpty
        operations = try FieldOperations.compile(
            spec.operations, addFields: spec.addFields + Self.metadataConstants(spec.metadata),
            sourceFields: Self.sourceFieldOwners(sourceNames), names: &names, invalidUTF8: spec.invalidUTF8
        )

        var targets: [StreamTarget] = []
        routes = try Self.compileRoutes(spec, added: added.texts, names: &names, targets: &targets)
        guard !spec.defaultStream.isEmpty else {
            throw MappingError(keyPath: "defaultStream", message: "the stream name is empty")
        }
        let fallback = StreamTarget(name: spec.defaultStream, authKey: spec.defaultAuthKey)
        defaultTarget = Self.index(of: fallback, in: &targets)
        if let stream = spec.parseErrorStream {
            guard !stream.isEmpty else {
                throw MappingError(keyPath: "parseErrorStream", message: "the stream name is empty")
            }
            let target = StreamTarget(name: stream, authKey: spec.defaultAuthKey)
            parseErrorTarget = Self.index(of: target, in: &targets)
        } else {
            parseErrorTarget = nil
        }
        streams = targets

        invalidUTF8 = spec.invalidUTF8
        var sources: [(slot: Int, field: Int, member: [UInt8])] = []
        for (slot, name) in sourceNames.enumerated() {
            guard let name else { continue }
            let field = names.intern(name)
            names.markAdded(field)
            sources.append((slot, field, Array(",\(JSON.quoted(name)):".utf8)))
        }
        sourceFields = sources
        hasSourceFields = !sources.isEmpty
        sourceValues = SourceValues()
        record = .allocate(capacity: 1)
        record.initialize(to: Record(names: names))
    }

    deinit {
        record.deinitialize(count: 1)
        record.deallocate()
        closingBytes.deallocate()
    }

    /// Parses the line (bytes without the line terminator), applies the field operations and
    /// picks its stream. Returns the index into `streams`, or nil when a drop route matched (or
    /// the json parser's `nonObject: drop`). Never fails: a line the parser rejects becomes
    /// `{"message": line, "<parseErrorField>": "reason"}`, which goes to the parse-error stream
    /// when the mapping names one, else routes normally.
    ///
    /// The line's bytes must stay valid until `encode(into:)` has written its event.
    public func route(_ line: UnsafeRawBufferPointer) -> Int? {
        decide(line).target
    }

    /// `route(_:)`, and which route decided and whether the parser rejected the line: for tools
    /// that show what the mapping does (`atom-shipper preview`).
    public func explain(_ line: UnsafeRawBufferPointer) -> RoutingDecision {
        decide(line).public
    }

    /// The target, the route's index (-1 for none), and whether the parser rejected the line.
    struct Decision {
        var target: Int?
        var route: Int
        var failed: Bool

        var `public`: RoutingDecision {
            RoutingDecision(target: target, route: route >= 0 ? route : nil, parseFailed: failed)
        }
    }

    @inline(__always)
    private func decide(_ line: UnsafeRawBufferPointer) -> Decision {
        record.pointee.reset(line: line)
        let parsed: Bool
        switch format {
        case .raw(let parser): parsed = parser.parse(line, into: &record.pointee)
        case .json(let parser):
            switch parser.scan(line, into: &record.pointee) {
            case .parsed: parsed = true
            case .failed: parsed = false
            case .drop: return Decision(target: nil, route: -1, failed: false)
            }
        case .regex(let parser): parsed = parser.parse(line, into: &record.pointee)
        case .grok(let parser): parsed = parser.parse(line, into: &record.pointee)
        case .custom(let parser):
            parsed = parser.parse(line, into: &record.pointee)
            if record.pointee.isDropped { return Decision(target: nil, route: -1, failed: false) }
        }
        if !parsed {
            replaceWithFailure(line)
        } else if hasConversions {
            convertFields()
        }
        return finish(line, failed: !parsed)
    }

    /// After parsing: the field operations and source fields, then the stream.
    @inline(__always)
    func finish(_ line: UnsafeRawBufferPointer, failed parseFailed: Bool) -> Decision {
        var failed = parseFailed
        if let operations {
            if !operations.prepare(record) {
                // Only a JSON line can fail here (too many distinct keys); its failure event has none.
                failed = true
                replaceWithFailure(line)
            }
            if hasSourceFields { applySourceValues() }
            operations.apply(record)
        } else if hasSourceFields {
            applySourceValues()
        }
        if failed, let parseErrorTarget {
            return Decision(target: parseErrorTarget, route: -1, failed: true)
        }
        return pickStream(failed: failed)
    }

    /// The stream of the record as it stands: the first route that matches, else the default.
    @inline(__always)
    private func pickStream(failed: Bool) -> Decision {
        for index in routes.indices {
            let route = routes[index]
            guard let condition = route.condition else {
                return Decision(target: route.target, route: index, failed: failed)
            }
            if condition.evaluate(record) {
                return Decision(target: route.target, route: index, failed: failed)
            }
        }
        return Decision(target: defaultTarget, route: -1, failed: failed)
    }

    /// Converts the typed fields of a parsed line.
    private func convertFields() {
        for (field, conversion) in conversions {
            conversion.apply(toIndex: field, in: &record.pointee)
        }
    }

    /// Turns the record into the failure event: the line as `message`, the reason beside it.
    func replaceWithFailure(_ line: UnsafeRawBufferPointer) {
        parseFailures += 1
        let reason = record.pointee.failure ?? "the parser rejected the line"
        record.pointee.reset(line: line)
        record.pointee.setLineText(messageField, 0, line.count)
        record.pointee.set(FieldID(index: errorField), text: reason)
        record.pointee.failure = reason
    }

    // MARK: - Preparing the mapping

    /// The added fields as event members (`,"a":1,"b":"x"`) and, by name, the text routes compare.
    private static func addedFields(
        _ fields: [(String, FieldValue)], names: inout FieldNames
    ) throws(MappingError) -> (members: [UInt8], texts: [String: [UInt8]]) {
        var members: [UInt8] = []
        var texts: [String: [UInt8]] = [:]
        for (index, (name, value)) in fields.enumerated() {
            let path = "addFields[\(index)]"
            guard !name.isEmpty else {
                throw MappingError(keyPath: path, message: "the field name is empty")
            }
            guard texts[name] == nil else {
                throw MappingError(keyPath: path, message: "field \"\(name)\" is added twice")
            }
            guard let json = value.jsonText else {
                let message = "\"\(name)\" is not a finite number, which JSON cannot hold"
                throw MappingError(keyPath: path, message: message)
            }
            texts[name] = value.routingText
            let field = names.intern(name)
            names.markAdded(field)
            members += Array(",\(JSON.quoted(name)):".utf8) + json
        }
        return (members, texts)
    }

    private static func makeFormat(
        _ spec: ParserSpec, names: inout FieldNames, registry: ParserRegistry
    ) throws(MappingError) -> Format {
        switch spec {
        case .raw(let field):
            guard !field.isEmpty else {
                throw MappingError(keyPath: "parser.field", message: "the field name is empty")
            }
            return .raw(RawParser(field: names.intern(field)))
        case .json(let nonObject):
            return .json(JSONParser(nonObject: nonObject, messageField: names.intern("message")))
        case .regex(let pattern):
            return .regex(try RegexParser(pattern, names: &names))
        case .grok(let grok):
            return .grok(try GrokParser(grok, names: &names))
        case .custom(let name, let options):
            return .custom(try registry.make(name, options: options))
        }
    }

    /// Resolves the mapping's field types, and those the parser's own pattern gives (which a
    /// type in the mapping overrides), to field indexes.
    private static func compileConversions(
        _ spec: MappingSpec, format: Format, names: inout FieldNames
    ) throws(MappingError) -> [(field: Int, conversion: ValueConversion)] {
        if case .json = format, !spec.fieldTypes.isEmpty {
            let message = "the json parser keeps each value's own JSON type; types apply to "
                + "parsers that capture text"
            throw MappingError(keyPath: "parser.types", message: message)
        }
        let declaring = format.parser as? any FieldDeclaring
        var seen = Set<String>()
        var compiled: [(field: Int, conversion: ValueConversion)] = []
        for (name, target) in spec.fieldTypes {
            let path = "parser.types.\(name)"
            guard !name.isEmpty else {
                throw MappingError(keyPath: path, message: "the field name is empty")
            }
            guard seen.insert(name).inserted else {
                throw MappingError(keyPath: path, message: "field \"\(name)\" is typed twice")
            }
            if let fields = declaring?.declaredFields, !fields.contains(name) {
                let known = fields.joined(separator: ", ")
                let message = "the parser sets no field \"\(name)\" (its fields: \(known))"
                throw MappingError(keyPath: path, message: message)
            }
            let conversion = ValueConversion(target, onFailure: spec.onTypeError)
            compiled.append((names.intern(name), conversion))
        }
        for (name, target) in declaring?.declaredTypes ?? [] where seen.insert(name).inserted {
            let conversion = ValueConversion(target, onFailure: spec.onTypeError)
            compiled.append((names.intern(name), conversion))
        }
        return compiled
    }

    /// Compiles each route's condition and resolves its target to an index into `targets`.
    /// A route without a key of its own signs with the mapping's default key.
    private static func compileRoutes(
        _ spec: MappingSpec,
        added: [String: [UInt8]],
        names: inout FieldNames,
        targets: inout [StreamTarget]
    ) throws(MappingError) -> [CompiledRoute] {
        var compiled: [CompiledRoute] = []
        for (number, route) in spec.routes.enumerated() {
            let path = "routes[\(number)]"
            var condition: CompiledCondition?
            if let when = route.when {
                condition = try CompiledCondition(
                    when, names: &names, added: added, keyPath: path + ".when"
                )
            }
            if route.drop {
                guard route.stream == nil else {
                    let message = "a drop route takes no stream"
                    throw MappingError(keyPath: path + ".stream", message: message)
                }
                compiled.append(CompiledRoute(condition: condition, target: nil))
                continue
            }
            guard let stream = route.stream, !stream.isEmpty else {
                let message = "a route needs a stream unless it drops"
                throw MappingError(keyPath: path + ".stream", message: message)
            }
            let target = StreamTarget(name: stream, authKey: route.authKey ?? spec.defaultAuthKey)
            let index = index(of: target, in: &targets)
            compiled.append(CompiledRoute(condition: condition, target: index))
        }
        return compiled
    }

    private static func index(of target: StreamTarget, in targets: inout [StreamTarget]) -> Int {
        if let found = targets.firstIndex(of: target) { return found }
        targets.append(target)
        return targets.count - 1
    }
}
