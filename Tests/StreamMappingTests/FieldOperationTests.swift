import Foundation
import StreamMapping
import Testing
import TestSupport

@Suite("Field operations")
struct FieldOperationTests {
    /// Lines `host=<word> app=<word> ip=<word> msg=<rest>`.
    static let pattern = #"^host=(?<host>\S+) app=(?<app>\S+) ip=(?<ip>\S+) msg=(?<msg>.*)$"#
    static let line = "host=web1 app=Shop ip=192.168.1.23 msg=Hello World"

    static func mapper(
        _ operations: [FieldOperation],
        parser: ParserSpec = .regex(pattern: pattern),
        adding fields: [(String, FieldValue)] = [],
        routes: [Route] = []
    ) throws(MappingError) -> EventMapper {
        var spec = MappingSpec(parser: parser, addFields: fields, routes: routes, defaultStream: "s")
        spec.operations = operations
        return try EventMapper(spec: spec)
    }

    static func json(_ operations: [FieldOperation], _ line: String = line) throws -> String? {
        map(try mapper(operations), line).json
    }

    @Test("add sets a constant of any type, replacing a value in its place or appending a new field")
    func add() throws {
        let json = try Self.json([
            .add(field: "app", value: .string("cart")),
            .add(field: "port", value: .int(8080)),
            .add(field: "ratio", value: .double(0.5)),
            .add(field: "on", value: .bool(true)),
            .add(field: "none", value: .null),
        ])
        #expect(json == #"{"host":"web1","app":"cart","ip":"192.168.1.23","msg":"Hello World","#
            + #""port":8080,"ratio":0.5,"on":true,"none":null}"#)
    }

    @Test("set fills a template from fields, braces doubled, added fields and JSON values readable")
    func setTemplate() throws {
        let mapper = try Self.mapper(
            [
                .add(field: "n", value: .int(7)),
                .set(field: "service", template: "{host}-{app}"),
                .set(field: "label", template: "{{{env}}}/{n}:{msg}"),
            ],
            adding: [("env", .string("prod"))]
        )
        #expect(map(mapper, Self.line).json == #"{"host":"web1","app":"Shop","ip":"192.168.1.23","#
            + #""msg":"Hello World","n":7,"service":"web1-Shop","label":"{prod}/7:Hello World","env":"prod"}"#)
    }

    @Test("set leaves its field as it was when the template names a field the event lacks")
    func setMissingField() throws {
        let json = try Self.json([
            .set(field: "msg", template: "{nope}!"),
            .set(field: "fresh", template: "{host}{nope}"),
        ])
        #expect(json == #"{"host":"web1","app":"Shop","ip":"192.168.1.23","msg":"Hello World"}"#)
    }

    @Test("rename keeps the value's place and drops what the new name held; a missing field is no-op")
    func rename() throws {
        let json = try Self.json([
            .rename(from: "app", to: "application"),
            .rename(from: "ip", to: "host"),
            .rename(from: "missing", to: "msg"),
        ])
        #expect(json == #"{"application":"Shop","host":"192.168.1.23","msg":"Hello World"}"#)
    }

    @Test("remove drops fields wherever they are; copy duplicates a value that then changes alone")
    func removeAndCopy() throws {
        let json = try Self.json([
            .copy(from: "app", to: "app_original"),
            .lowercase(fields: ["app"]),
            .remove(fields: ["host", "msg", "absent"]),
            .copy(from: "absent", to: "x"),
        ])
        #expect(json == #"{"app":"shop","ip":"192.168.1.23","app_original":"Shop"}"#)
    }

    @Test("convert types a value with the parsers' conversion, on JSON lines too, each failure as told")
    func convert() throws {
        let mapper = try Self.mapper(
            [
                .rename(from: "code", to: "status"),
                .convert(field: "status", ValueConversion(.int)),
                .convert(field: "bytes", ValueConversion(.int, onFailure: .null)),
                .convert(field: "ms", ValueConversion(.float, onFailure: .drop)),
                .convert(field: "ok", ValueConversion(.bool)),
                .convert(field: "id", ValueConversion(.string)),
            ],
            parser: .json
        )
        #expect(map(mapper, #"{"code":"+0200","bytes":"1024","ms":".5","ok":"YES","id":12}"#).json
            == #"{"status":200,"bytes":1024,"ms":0.5,"ok":true,"id":"12"}"#)
        #expect(map(mapper, #"{"code":"n/a","bytes":"-","ms":"fast","ok":"maybe"}"#).json
            == #"{"status":"n/a","bytes":null,"ok":"maybe"}"#)
    }

    @Test("lowercase lowers ASCII and other letters in strings and leaves other values alone")
    func lowercase() throws {
        let mapper = try Self.mapper(
            [.lowercase(fields: ["a", "b", "n", "obj", "plain"])], parser: .json
        )
        let line = #"{"a":"ÄPFEL Straße","b":"MiXeD\u0041","n":12,"obj":{"K":"V"},"plain":"done"}"#
        #expect(map(mapper, line).json
            == #"{"a":"äpfel straße","b":"mixeda","n":12,"obj":{"K":"V"},"plain":"done"}"#)
    }

    @Test("keepLine keeps the line as read, before the operations after it change fields")
    func keepLine() throws {
        let json = try Self.json([.keepLine(field: "original"), .remove(fields: ["msg", "ip", "app"])])
        #expect(json == #"{"host":"web1","original":"\#(Self.line)"}"#)
    }

    @Test("mask keeps a prefix and a suffix counted in characters, not bytes")
    func maskKeep() throws {
        let json = try Self.json([
            .mask(field: "ip", .keep(prefix: 4, suffix: 0, with: "*")),
            .mask(field: "msg", .keep(prefix: 1, suffix: 2, with: "•")),
            .mask(field: "host", .keep(prefix: 3, suffix: 3, with: "#")),
        ])
        #expect(json == #"{"host":"web1","app":"Shop","ip":"192.********","msg":"H••••••••ld"}"#)

        let unicode = try Self.mapper([.mask(field: "msg", .keep(prefix: 2, suffix: 1, with: "x"))])
        #expect(map(unicode, "host=a app=b ip=c msg=ÄÖÜßé").json
            == #"{"host":"a","app":"b","ip":"c","msg":"ÄÖxxé"}"#)
    }

    @Test("mask replaces every match of a pattern, with numbered and named group references")
    func maskReplace() throws {
        let json = try Self.json([
            .mask(field: "ip", .replace(pattern: #"\.\d+$"#, replacement: ".0")),
            .mask(field: "msg", .replace(pattern: #"(?<first>\w)(\w*)"#, replacement: "${first}_$2$$")),
        ])
        #expect(json == #"{"host":"web1","app":"Shop","ip":"192.168.1.0","msg":"H_ello$ W_orld$"}"#)
    }

    @Test(
        "a mask replacement naming a group the pattern lacks is refused at its key path",
        arguments: [("$2", "the pattern has 1 group"), ("${who}", "no group of that name"), ("x$", "lone '$'")]
    )
    func maskReplacementErrors(replacement: String, message: String) {
        let error = mappingError { () throws(MappingError) in
            try Self.mapper([.mask(field: "ip", .replace(pattern: "(a)", replacement: replacement))])
        }
        #expect(error?.keyPath == "fields[0].mask.replacement")
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test("hash writes SHA-256 or HMAC-SHA256 hex as published in FIPS 180-2 and RFC 4231")
    func hashVectors() throws {
        let mapper = try Self.mapper(
            [
                .hash(field: "a", HashRule()),
                .hash(field: "b", HashRule(key: "Jefe")),
                .hash(field: "c", HashRule(key: "Jefe", length: 16)),
            ],
            parser: .json
        )
        let line = #"{"a":"abc","b":"what do ya want for nothing?","c":"what do ya want for nothing?"}"#
        #expect(map(mapper, line).json == #"{"a":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","#
            + #""b":"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843","c":"5bdcc146bf60754e"}"#)
    }

    @Test("hash agrees with Python's hashlib and hmac across block edges, a long key and a number")
    func hashAgainstPython() throws {
        let key = String(repeating: "k3y-", count: 20)
        // Lengths around SHA-256's 64-byte block and its 56-byte padding limit.
        let values = ["192.168.1.23", ""] + zip("abcdefgh", [55, 56, 63, 64, 65, 119, 120, 1000])
            .map { String(repeating: String($0), count: $1) }
        let script = """
            import hashlib, hmac
            for v in [\(values.map { "'\($0)'" }.joined(separator: ", ")), '12345']:
                keyed = hmac.new(b'\(key)', v.encode(), hashlib.sha256).hexdigest()
                print(hashlib.sha256(v.encode()).hexdigest(), keyed)
            """
        let expected = try python(script)
        let mapper = try Self.mapper(
            [.copy(from: "v", to: "keyed"), .hash(field: "v", HashRule()), .hash(field: "keyed", HashRule(key: key))],
            parser: .json
        )
        let got = values.map { #"{"v":"\#($0)"}"# } + [#"{"v":12345}"#]
        #expect(got.map { map(mapper, $0).json } == expected.map { pair in
            let digests = pair.split(separator: " ")
            return #"{"v":"\#(digests[0])","keyed":"\#(digests[1])"}"#
        })
    }

    @Test("JSON lines keep their members in order, nested values verbatim, when operations change them")
    func jsonLines() throws {
        let mapper = try Self.mapper(
            [.rename(from: "msg", to: "message"), .remove(fields: ["drop"]), .lowercase(fields: ["level"])],
            parser: .json
        )
        let line = #"{ "level" : "WARN", "msg":"a \"quoted\"\nline", "drop":1, "#
            + #""n": 9223372036854775808, "nested":{"x":[1, 2]}, "\u0041key":"v" }"#
        #expect(map(mapper, line).json == #"{"level":"warn","message":"a \"quoted\"\nline","#
            + #""n":9223372036854775808,"nested":{"x":[1, 2]},"Akey":"v"}"#)
        #expect(map(mapper, "[1]").json == #"{"message":"[1]","parse_error":"line is not a JSON object"}"#)
    }

    @Test("invalid UTF-8 inside a nested value of a JSON line is repaired when its members become fields")
    func jsonLinesInvalidUTF8() throws {
        let mapper = try Self.mapper([.remove(fields: ["b"])], parser: .json)
        let line: [UInt8] = Array(#"{"a":{"k":"x"#.utf8) + [0xFF] + Array(#""},"b":1}"#.utf8)
        #expect(map(mapper, bytes: line).json == "{\"a\":{\"k\":\"x\u{FFFD}\"}}")
    }

    @Test("routes see the fields as the operations left them")
    func beforeRouting() throws {
        let mapper = try Self.mapper(
            [.lowercase(fields: ["app"]), .set(field: "key", template: "{host}/{app}")],
            routes: [Route(when: .equals(field: "key", value: "web1/shop"), stream: "shop")]
        )
        #expect(streamName(mapper, Self.line) == "shop")
    }

    @Test("operations apply to a failure event too, so a mask on the message covers it")
    func failureEvents() throws {
        let mapper = try Self.mapper([
            .mask(field: "message", .replace(pattern: #"\d+\.\d+\.\d+\.\d+"#, replacement: "<ip>")),
        ])
        #expect(map(mapper, "bad line from 10.0.0.1").json
            == #"{"message":"bad line from <ip>","parse_error":"line does not match the pattern"}"#)
    }

    @Test("operations read source fields (set before them) and the metadata constants, but cannot write them")
    func sourceFields() throws {
        var spec = MappingSpec(parser: .regex(pattern: Self.pattern), defaultStream: "s")
        spec.metadata.path = "file"
        spec.metadata.input = "input"
        spec.metadata.inputName = "web"
        spec.operations = [.set(field: "where", template: "{input}:{file}"), .remove(fields: ["msg", "ip"])]
        let mapper = try EventMapper(spec: spec)
        mapper.setSource(.path, text: "/var/log/app.log")
        #expect(map(mapper, Self.line).json
            == #"{"host":"web1","app":"Shop","where":"web:/var/log/app.log","file":"/var/log/app.log","input":"web"}"#)

        spec.operations = [.rename(from: "host", to: "file")]
        let error = mappingError { () throws(MappingError) in try EventMapper(spec: spec) }
        #expect(error?.description == "fields[0].rename.to: 'file' is written by metadata.path, which wins over "
            + "field operations")
    }

    @Test(
        "an operation that cannot work is refused with its key path",
        arguments: [
            (FieldOperation.rename(from: "host", to: "env"), "fields[0].rename.to", "addFields"),
            (.remove(fields: ["a", ""]), "fields[0].remove[1]", "empty"),
            (.set(field: "x", template: "{host"), "fields[0].set.template", "no closing"),
            (.set(field: "x", template: "a}b"), "fields[0].set.template", "closes nothing"),
            (.set(field: "x", template: "{}"), "fields[0].set.template", "names no field"),
            (.hash(field: "ip", HashRule(length: 65)), "fields[0].hash.length", "1 to 64"),
            (.mask(field: "ip", .replace(pattern: "(", replacement: "")), "fields[0].mask.pattern", "compile"),
            (.mask(field: "ip", .keep(prefix: -1, suffix: 0, with: "*")), "fields[0].mask.keepPrefix", "0 or"),
            (.add(field: "x", value: .double(.infinity)), "fields[0].add.value", "finite"),
        ]
    )
    func errors(operation: FieldOperation, keyPath: String, message: String) {
        let error = mappingError { () throws(MappingError) in
            try Self.mapper([operation], adding: [("env", .string("prod"))])
        }
        #expect(error?.keyPath == keyPath)
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }
}
