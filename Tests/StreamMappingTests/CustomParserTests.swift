import StreamMapping
import Testing

/// A test parser for `key=value` words, with a configurable separator and a typed `n` field.
private final class KeyValueParser: Parser {
    let separator: UInt8

    init(options: [String: FieldValue]) throws(MappingError) {
        switch options["separator"] {
        case nil:
            separator = UInt8(ascii: " ")
        case .string(let text) where text.utf8.count == 1:
            separator = text.utf8.first ?? UInt8(ascii: " ")
        default:
            throw MappingError(keyPath: "separator", message: "expected one character")
        }
    }

    func parse(_ line: UnsafeRawBufferPointer, into record: inout Record) -> Bool {
        var start = 0
        while start < line.count {
            var end = start
            while end < line.count && line[end] != separator { end += 1 }
            guard let equals = line[start..<end].firstIndex(of: UInt8(ascii: "=")) else {
                return record.reject("word without '=' at offset \(start)")
            }
            let key = String(decoding: line[start..<equals], as: UTF8.self)
            let field = record.field(key)
            if key == "n", let number = Int64(String(decoding: line[(equals + 1)..<end], as: UTF8.self)) {
                record.set(field, .int(number))
            } else {
                record.set(field, lineBytes: (equals + 1)..<end)
            }
            start = end + 1
        }
        record.set(record.field("parser"), text: "kv")
        return true
    }
}

@Suite("Custom parsers")
struct CustomParserTests {
    @Test("a parser registered by name is built with its options and its fields are routed on")
    func registeredByName() throws {
        let registry = ParserRegistry()
        registry.register("kv") { options throws(MappingError) in try KeyValueParser(options: options) }
        let spec = MappingSpec(
            parser: .custom(name: "kv", options: ["separator": .string(";")]),
            addFields: [("host", .string("h1"))],
            routes: [Route(when: .equals(field: "n", value: "7"), stream: "sevens")],
            defaultStream: "kv"
        )
        let mapper = try EventMapper(spec: spec, registry: registry)
        let mapped = map(mapper, #"a=1;b="q";n=7"#)
        #expect(mapped.json == #"{"a":"1","b":"\"q\"","n":7,"parser":"kv","host":"h1"}"#)
        #expect(mapped.stream.map { mapper.streams[$0].name } == "sevens")
        #expect(streamName(mapper, "n=8") == "kv")

        let failed = map(mapper, "a=1;oops")
        let reason = "word without '=' at offset 4"
        #expect(failed.json == #"{"message":"a=1;oops","parse_error":"\#(reason)","host":"h1"}"#)
        #expect(mapper.parseFailures == 1)
    }

    @Test("the shared registry serves mappers that name no registry")
    func sharedRegistry() throws {
        ParserRegistry.shared.register("custom-parser-tests-kv") { options throws(MappingError) in
            try KeyValueParser(options: options)
        }
        let parser = ParserSpec.custom(name: "custom-parser-tests-kv", options: [:])
        let spec = MappingSpec(parser: parser, defaultStream: "s")
        #expect(map(try EventMapper(spec: spec), "x=1 y=2").json == #"{"x":"1","y":"2","parser":"kv"}"#)
    }

    @Test("an unknown name and options the factory refuses are reported with their key paths")
    func errors() {
        let registry = ParserRegistry()
        registry.register("kv") { options throws(MappingError) in try KeyValueParser(options: options) }
        let unknown = mappingError { () throws(MappingError) in
            let spec = MappingSpec(parser: .custom(name: "nope", options: [:]), defaultStream: "s")
            return try EventMapper(spec: spec, registry: registry)
        }
        #expect(unknown?.keyPath == "parser.name")
        #expect(unknown?.message == #"no parser is registered as "nope" (registered: kv)"#)

        let badOption = mappingError { () throws(MappingError) in
            let parser = ParserSpec.custom(name: "kv", options: ["separator": .int(1)])
            return try EventMapper(spec: MappingSpec(parser: parser, defaultStream: "s"), registry: registry)
        }
        #expect(badOption?.keyPath == "parser.options.separator")
        #expect(badOption?.message == "expected one character")
    }
}
