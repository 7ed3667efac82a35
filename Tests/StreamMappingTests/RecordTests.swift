import StreamMapping
import Testing

/// Sets `a`, `b`, then `a` again, and one JSON value, to show how a record keeps its fields.
private final class OverwritingParser: Parser {
    func parse(_ line: UnsafeRawBufferPointer, into record: inout Record) -> Bool {
        let a = record.field("a")
        record.set(a, lineBytes: 0..<1)
        record.set(record.field("b"), text: "x")
        record.set(a, lineBytes: 1..<line.count)
        let list = record.field("list")
        Array(#"[1,"two"]"#.utf8).withUnsafeBytes { record.set(list, json: $0) }
        return true
    }
}

@Suite("Record")
struct RecordTests {
    @Test("setting a field again replaces its value and keeps its place")
    func replaceKeepsPlace() throws {
        let registry = ParserRegistry()
        registry.register("overwrite") { _ in OverwritingParser() }
        let spec = MappingSpec(parser: .custom(name: "overwrite", options: [:]), defaultStream: "s")
        let mapper = try EventMapper(spec: spec, registry: registry)
        #expect(map(mapper, "1234").json == #"{"a":"234","b":"x","list":[1,"two"]}"#)
        #expect(map(mapper, "56").json == #"{"a":"6","b":"x","list":[1,"two"]}"#)
    }

    @Test("a record on its own hands out ids and gives back each field's text")
    func standalone() {
        var record = Record()
        let name = record.field("name")
        let port = record.field("port")
        let missing = record.field("missing")
        #expect(record.field("name") == name)
        #expect(name != port)

        record.set(name, text: "web \"1\"")
        record.set(port, .int(8080))
        #expect(record.count == 2)
        // A record cannot be copied, and #expect's function-call form copies its subject.
        let hasName = record.contains(name)
        let hasMissing = record.contains(missing)
        #expect(hasName)
        #expect(!hasMissing)
        #expect(record.withText(of: name) { String(decoding: $0, as: UTF8.self) } == "web \"1\"")
        #expect(record.withText(of: port) { String(decoding: $0, as: UTF8.self) } == "8080")
        #expect(record.withText(of: missing) { _ in true } == nil)
        #expect(record.reject("no good") == false)
        #expect(record.failure == "no good")
    }
}
