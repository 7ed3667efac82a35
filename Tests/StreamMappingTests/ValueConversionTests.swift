import StreamMapping
import Testing

@Suite("Typed values")
struct ValueConversionTests {
    /// A dissect mapper over `status bytes rest` lines with the given types and policy.
    static func mapper(
        _ types: [(String, ValueConversion.Target)], onTypeError: ValueConversion.Failure = .keep
    ) throws -> EventMapper {
        var spec = MappingSpec(
            parser: .custom(name: "dissect", options: ["pattern": .string("%{a} %{b} %{c}")]),
            defaultStream: "s"
        )
        spec.fieldTypes = types
        spec.onTypeError = onTypeError
        return try EventMapper(spec: spec)
    }

    /// What a line becomes as field `a` typed as `target`: its JSON text in the event, or nil
    /// when it does not convert (and is dropped).
    static func converted(_ text: String, _ target: ValueConversion.Target) throws -> String? {
        var spec = MappingSpec(parser: .raw(field: "a"), defaultStream: "s")
        spec.fieldTypes = [("a", target)]
        spec.onTypeError = .drop
        let json = map(try EventMapper(spec: spec), text).json
        guard let json, json.hasPrefix(#"{"a":"#) else { return nil }
        return String(json.dropFirst(5).dropLast())
    }

    @Test(
        "int: a sign and digits, written without + or leading zeros, any size kept exactly",
        arguments: [
            ("200", "200"), ("-17", "-17"), ("+5", "5"), ("007", "7"), ("-007", "-7"), ("0", "0"),
            ("000", "0"), ("-0", "-0"), ("123456789012345678901234567890", "123456789012345678901234567890"),
        ]
    )
    func intConverts(text: String, expected: String) throws {
        #expect(try Self.converted(text, .int) == expected)
    }

    @Test(
        "int: anything else does not convert",
        arguments: ["-", "", "1.5", "1e3", "0x1F", " 1", "1 ", "+", "--1", "12a", "١٢"]
    )
    func intRejects(text: String) throws {
        #expect(try Self.converted(text, .int) == nil)
    }

    @Test(
        "float: digits as written, made valid JSON where they were not",
        arguments: [
            ("1.5", "1.5"), ("-0.25", "-0.25"), ("42", "42"), ("1e400", "1e400"), ("2.50E-3", "2.50E-3"),
            (".5", "0.5"), ("-.5", "-0.5"), ("1.", "1"), ("+2.50", "2.50"), ("00.5", "0.5"), ("1.e5", "1e5"),
            ("-0", "-0"), ("12345678901234567890.000000000000000001", "12345678901234567890.000000000000000001"),
        ]
    )
    func floatConverts(text: String, expected: String) throws {
        #expect(try Self.converted(text, .float) == expected)
    }

    @Test(
        "float: NaN, infinities, commas and empty exponents do not convert",
        arguments: ["NaN", "inf", "-Infinity", "1,5", ".", "-", "1e", "1e+", "e5", "1.2.3", ""]
    )
    func floatRejects(text: String) throws {
        #expect(try Self.converted(text, .float) == nil)
    }

    @Test(
        "bool: true, yes, on, 1 and false, no, off, 0 in any case",
        arguments: [
            ("true", "true"), ("TRUE", "true"), ("Yes", "true"), ("on", "true"), ("1", "true"),
            ("false", "false"), ("False", "false"), ("NO", "false"), ("off", "false"), ("0", "false"),
        ]
    )
    func boolConverts(text: String, expected: String) throws {
        #expect(try Self.converted(text, .bool) == expected)
    }

    @Test("bool: other words do not convert", arguments: ["t", "f", "2", "yess", "-", "enabled", "\u{1}"])
    func boolRejects(text: String) throws {
        #expect(try Self.converted(text, .bool) == nil)
    }

    @Test("a value that does not convert is kept as a string, becomes null, or is left out")
    func failurePolicies() throws {
        let types: [(String, ValueConversion.Target)] = [("a", .int), ("b", .int)]
        #expect(map(try Self.mapper(types), "200 - rest").json == #"{"a":200,"b":"-","c":"rest"}"#)
        #expect(map(try Self.mapper(types, onTypeError: .null), "200 - rest").json
            == #"{"a":200,"b":null,"c":"rest"}"#)
        #expect(map(try Self.mapper(types, onTypeError: .drop), "200 - rest").json
            == #"{"a":200,"c":"rest"}"#)
        #expect(map(try Self.mapper(types, onTypeError: .drop), "x - rest").json == #"{"c":"rest"}"#)
        // The next line starts afresh: the field dropped before is back.
        let mapper = try Self.mapper(types, onTypeError: .drop)
        #expect(map(mapper, "1 - z").json == #"{"a":1,"c":"z"}"#)
        #expect(map(mapper, "1 2 z").json == #"{"a":1,"b":2,"c":"z"}"#)
        #expect(mapper.parseFailures == 0)
    }

    @Test("routes see the converted value, and a failed line is not converted")
    func routingAndFailures() throws {
        var spec = MappingSpec(
            parser: .regex(pattern: #"^(?<status>\S+) (?<ok>\S+)$"#),
            routes: [Route(when: .equals(field: "ok", value: "true"), stream: "ok")],
            defaultStream: "other"
        )
        spec.fieldTypes = [("status", .int), ("ok", .bool)]
        let mapper = try EventMapper(spec: spec)
        #expect(map(mapper, "404 YES").json == #"{"status":404,"ok":true}"#)
        #expect(streamName(mapper, "404 YES") == "ok")
        #expect(streamName(mapper, "404 no") == "other")
        #expect(map(mapper, "no-space").json
            == #"{"message":"no-space","parse_error":"line does not match the pattern"}"#)
    }

    @Test("types work on every parser that captures text")
    func everyParser() throws {
        func mapper(_ parser: ParserSpec, _ types: [(String, ValueConversion.Target)]) throws -> EventMapper {
            var spec = MappingSpec(parser: parser, defaultStream: "s")
            spec.fieldTypes = types
            return try EventMapper(spec: spec)
        }
        let logfmt = try mapper(.custom(name: "logfmt", options: [:]), [("n", .int), ("ok", .bool), ("r", .float)])
        #expect(map(logfmt, #"n=3 ok r="2.5" s=x"#).json == #"{"n":3,"ok":true,"r":2.5,"s":"x"}"#)
        let csv = try mapper(.custom(name: "csv", options: ["columns": .string("a,b")]), [("b", .float)])
        #expect(map(csv, #"x,"1.25""#).json == #"{"a":"x","b":1.25}"#)
        let syslog = try mapper(.custom(name: "syslog", options: [:]), [("pid", .int), ("severity", .string)])
        #expect(map(syslog, "<13>Jan  1 00:00:00 h app[042]: m").json
            == #"{"priority":13,"facility":1,"severity":"5","timestamp":"Jan  1 00:00:00","host":"h","#
            + #""app":"app","pid":42,"message":"m"}"#)
        let raw = try mapper(.raw(field: "n"), [("n", .int)])
        #expect(map(raw, "12").json == #"{"n":12}"#)
    }

    @Test("types are checked against the fields the parser names, and refused for json")
    func validation() throws {
        func error(_ parser: ParserSpec, _ types: [(String, ValueConversion.Target)]) -> MappingError? {
            mappingError { () throws(MappingError) in
                var spec = MappingSpec(parser: parser, defaultStream: "s")
                spec.fieldTypes = types
                return try EventMapper(spec: spec)
            }
        }
        let regex = error(.regex(pattern: #"(?<status>\d+) (?<size>\d+)"#), [("bytes", .int)])
        #expect(regex?.keyPath == "parser.types.bytes")
        #expect(regex?.message == #"the parser sets no field "bytes" (its fields: status, size)"#)
        let twice = error(.regex(pattern: #"(?<n>\d+)"#), [("n", .int), ("n", .float)])
        #expect(twice?.keyPath == "parser.types.n")
        #expect(error(.json, [("a", .int)])?.keyPath == "parser.types")
        #expect(error(.custom(name: "dissect", options: ["pattern": .string("%{a} %{b}")]), [("c", .int)])?
            .keyPath == "parser.types.c")
        // Logfmt keys are only known from the lines, so any name is taken.
        #expect(error(.custom(name: "logfmt", options: [:]), [("anything", .int)]) == nil)
    }

    @Test("ValueConversion on a record directly, as a field operation would use it")
    func direct() {
        var record = Record()
        let field = record.field("n")
        let bytes = Array("+12".utf8)
        bytes.withUnsafeBytes { record.set(field, text: $0) }
        #expect(ValueConversion(.int).apply(to: field, in: &record))
        #expect(record.withText(of: field) { String(decoding: $0, as: UTF8.self) } == "12")
        #expect(!ValueConversion(.bool, onFailure: .drop).apply(to: field, in: &record))
        let kept = record.contains(field)  // (a record cannot be copied into #expect's call form)
        #expect(!kept)
        #expect(ValueConversion(.int).apply(to: field, in: &record))
    }
}
