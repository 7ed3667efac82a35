import StreamMapping
import Testing

@Suite("Mapping errors")
struct MappingErrorTests {
    static func error(_ spec: MappingSpec) -> MappingError? {
        mappingError { () throws(MappingError) in try EventMapper(spec: spec, registry: ParserRegistry()) }
    }

    /// A mapping that cannot work, the key path its error must name, and a readable test id.
    struct BadMapping: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var spec: MappingSpec
        var keyPath: String

        init(_ what: String, _ spec: MappingSpec, _ keyPath: String) {
            testDescription = what
            self.spec = spec
            self.keyPath = keyPath
        }
    }

    static let badMappings: [BadMapping] = [
        BadMapping("route without stream",
                   MappingSpec(parser: .raw(), routes: [Route(when: nil, stream: nil)], defaultStream: "s"),
                   "routes[0].stream"),
        BadMapping("route with empty stream",
                   MappingSpec(parser: .raw(), routes: [Route(when: nil, stream: "")], defaultStream: "s"),
                   "routes[0].stream"),
        BadMapping("drop route with a stream",
                   MappingSpec(parser: .raw(), routes: [Route(when: nil, stream: "x", drop: true)],
                               defaultStream: "s"),
                   "routes[0].stream"),
        BadMapping("empty default stream", MappingSpec(parser: .raw(), defaultStream: ""), "defaultStream"),
        BadMapping("empty raw field", MappingSpec(parser: .raw(field: ""), defaultStream: "s"), "parser.field"),
        BadMapping("field added twice",
                   MappingSpec(parser: .raw(), addFields: [("a", .int(1)), ("a", .int(2))], defaultStream: "s"),
                   "addFields[1]"),
        BadMapping("added field without name",
                   MappingSpec(parser: .raw(), addFields: [("", .int(1))], defaultStream: "s"),
                   "addFields[0]"),
        BadMapping("added NaN",
                   MappingSpec(parser: .raw(), addFields: [("x", .double(.nan))], defaultStream: "s"),
                   "addFields[0]"),
        BadMapping("bad pattern in the second route",
                   MappingSpec(parser: .raw(), routes: [
                       Route(when: .exists(field: "a"), stream: "a"),
                       Route(when: .matches(field: "a", pattern: "[unclosed"), stream: "b"),
                   ], defaultStream: "s"),
                   "routes[1].when.matches"),
        BadMapping("bad pattern deep inside any and not",
                   MappingSpec(parser: .raw(), routes: [
                       Route(when: .any([.exists(field: "a"), .not(.matches(field: "a", pattern: "(?<"))]),
                             stream: "b"),
                   ], defaultStream: "s"),
                   "routes[0].when.any[1].not.matches"),
        BadMapping("condition on a field without name",
                   MappingSpec(parser: .raw(), routes: [Route(when: .equals(field: "", value: "x"), stream: "b")],
                               defaultStream: "s"),
                   "routes[0].when.equals.field"),
    ]

    @Test("a mapping that cannot work names the key path at fault", arguments: badMappings)
    func keyPaths(bad: BadMapping) {
        #expect(Self.error(bad.spec)?.keyPath == bad.keyPath)
    }

    @Test("an empty parse-error field name is refused")
    func parseErrorField() {
        var spec = MappingSpec(parser: .json, defaultStream: "s")
        spec.parseErrorField = ""
        #expect(Self.error(spec)?.keyPath == "parseErrorField")
    }

    @Test("a condition pattern error carries PCRE2's reason and offset")
    func conditionPatternMessage() {
        let spec = MappingSpec(
            parser: .raw(), routes: [Route(when: .matches(field: "message", pattern: "a)"), stream: "b")],
            defaultStream: "s"
        )
        let error = Self.error(spec)
        let expected = "routes[0].when.matches: regex does not compile at offset 1: unmatched closing parenthesis"
        #expect(error?.description == expected)
    }
}
