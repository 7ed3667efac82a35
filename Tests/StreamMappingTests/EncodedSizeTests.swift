import AtomBase
import StreamMapping
import Testing

/// `encode(into:)` returns the event's escaped length, counted while writing; batches are cut by
/// it. It must equal a full measurement of the bytes written, for every parser and UTF-8 mode.
@Suite("Encoded event size")
struct EncodedSizeTests {
    static let lines: [[UInt8]] = [
        Array("plain line".utf8),
        Array("quote \" and backslash \\ and tab\tinside".utf8),
        Array("control \u{01} byte and é and 日本".utf8),
        [0x62, 0x61, 0x64, 0xFF, 0x20, 0xC3, 0x28, 0x20, 0x65, 0x6E, 0x64],
        Array(#"{"a":"x\"y","b":[1,2,{"c":null}],"d":"\u00e9"}"#.utf8),
        Array("{ \"spaced\" :\t\"tab before value\" }".utf8),
        Array("\t {\"a\":\"\\\\\",\r\"b\":[\"\\/\\u0041\\n\",\"a long string of plain text\"]}\t ".utf8),
        Array(#"{"k":"\"quoted\" and \\ backslash","e":"","n":-1.5e3,"t":true}"#.utf8),
        Array(#"127.0.0.1 - - [10/Mar/2024:06:00:00 +0000] "GET /a?b="c" HTTP/1.1" 200 12 "-" "agent \"x\"""#.utf8),
        [],
    ]

    static let specs: [(String, MappingSpec)] = {
        var regex = MappingSpec(parser: .regex(pattern: #"^(?<first>\S+) (?<rest>.*)$"#),
                                addFields: [("env", .string("pr\"od")), ("n", .int(3))], defaultStream: "s")
        regex.invalidUTF8 = .escape
        return [
            ("raw", MappingSpec(parser: .raw(field: "message"), defaultStream: "s")),
            ("raw with added fields", MappingSpec(parser: .raw(field: "message"),
                                                  addFields: [("host", .string("a\\b")), ("ok", .bool(true))],
                                                  defaultStream: "s")),
            ("regex, escape mode", regex),
            ("added field names needing escapes",
             MappingSpec(parser: .raw(field: "mes\"sage"),
                         addFields: [("we\"ird\\name", .string("v")), ("n\u{01}", .int(1))], defaultStream: "s")),
            ("json", MappingSpec(parser: .json, defaultStream: "s")),
            ("json with added fields", MappingSpec(parser: .json, addFields: [("k", .string("v\"w"))],
                                                   defaultStream: "s")),
        ]
    }()

    @Test("the size encode returns equals the escaped length of what it wrote", arguments: 0..<specs.count)
    func sizeMatches(spec index: Int) throws {
        let (name, spec) = Self.specs[index]
        let mapper = try EventMapper(spec: spec)
        for line in Self.lines {
            let out = ByteBuffer()
            out.append(string: "prefix already in the buffer ")
            let before = out.count
            _ = line.withUnsafeBytes { mapper.route($0) }
            let size = mapper.encode(into: out)
            let written = out.slice(before..<out.count)
            #expect(size == JSON.escapedLength(written), "\(name): \(String(decoding: line, as: UTF8.self))")
        }
    }
}
