import StreamMapping
import Testing

@Suite("Mapping errors")
struct MappingErrorTests {
    static func error(_ spec: MappingSpec) -> MappingError? {
        mappingError { () throws(MappingError) in try EventMapper(spec: spec, registry: ParserRegistry()) }
    }

    @Test(
        "a mapping that cannot work names the key path at fault",
        arguments: [
            (MappingSpec(parser: .raw(), routes: [Route(when: nil, stream: nil)], defaultStream: "s"),
             "routes[0].stream"),
            (MappingSpec(parser: .raw(), routes: [Route(when: nil, stream: "", drop: false)], defaultStream: "s"),
             "routes[0].stream"),
            (MappingSpec(parser: .raw(), routes: [Route(when: nil, stream: "x", drop: true)], defaultStream: "s"),
             "routes[0].stream"),
            (MappingSpec(parser: .raw(), defaultStream: ""), "defaultStream"),
            (MappingSpec(parser: .raw(field: ""), defaultStream: "s"), "parser.field"),
            (MappingSpec(parser: .raw(), addFields: [("a", .int(1)), ("a", .int(2))], defaultStream: "s"),
             "addFields[1]"),
            (MappingSpec(parser: .raw(), addFields: [("", .int(1))], defaultStream: "s"), "addFields[0]"),
            (MappingSpec(parser: .raw(), addFields: [("x", .double(.nan))], defaultStream: "s"), "addFields[0]"),
            (MappingSpec(parser: .raw(), routes: [
                Route(when: .exists(field: "a"), stream: "a"),
                Route(when: .matches(field: "a", pattern: "[unclosed"), stream: "b"),
            ], defaultStream: "s"), "routes[1].when.matches"),
            (MappingSpec(parser: .raw(), routes: [
                Route(when: .any([.exists(field: "a"), .not(.matches(field: "a", pattern: "(?<"))]), stream: "b"),
            ], defaultStream: "s"), "routes[0].when.any[1].not.matches"),
            (MappingSpec(parser: .raw(), routes: [Route(when: .equals(field: "", value: "x"), stream: "b")],
                         defaultStream: "s"), "routes[0].when.equals.field"),
        ]
    )
    func keyPaths(spec: MappingSpec, keyPath: String) {
        #expect(Self.error(spec)?.keyPath == keyPath)
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
        #expect(error?.description == "routes[0].when.matches: regex does not compile at offset 1: unmatched closing parenthesis")
    }
}
