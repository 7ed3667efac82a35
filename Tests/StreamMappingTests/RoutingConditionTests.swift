import StreamMapping
import Testing

@Suite("Routing: comparisons, not-equals and the parse-error stream")
struct RoutingConditionTests {
    /// Lines `status=<word> bytes=<word>`.
    static let pattern = #"^status=(?<status>\S+) bytes=(?<bytes>\S+)$"#

    static func mapper(_ routes: [Route], parseErrorStream: String? = nil) throws -> EventMapper {
        var spec = MappingSpec(parser: .regex(pattern: pattern), routes: routes, defaultStream: "default")
        spec.parseErrorStream = parseErrorStream
        return try EventMapper(spec: spec)
    }

    @Test(
        "a comparison reads the field's text as a number, and text that is not one never matches",
        arguments: [
            (Comparison.lt, 500.0, ["499", "-1", "4.99e2", "+12", "-9223372036854775808"], ["500", "501", "5e2"]),
            (.lte, 500, ["500", "500.0", "5e2", "0"], ["500.5", "1e3"]),
            (.gt, 399.5, ["400", "399.6", "1E3", "9223372036854775807"], ["399.5", "399", "-400"]),
            (.gte, 7, ["7", "7.0", "70"], ["6.999", "-7"]),
            // Whole numbers compare exactly: as doubles, 2^53 + 1 would equal 2^53.
            (.gt, 9007199254740992, ["9007199254740993", "9223372036854775807"], ["9007199254740992"]),
        ]
    )
    func compare(comparison: Comparison, value: Double, hits: [String], misses: [String]) throws {
        let mapper = try Self.mapper([Route(when: .compare(field: "status", comparison, value), stream: "hit")])
        for status in hits {
            #expect(streamName(mapper, "status=\(status) bytes=1") == "hit", "\(status) \(comparison) \(value)")
        }
        for status in misses + ["-", "abc", "12abc", "1.", ".5", "1e", "--1", "0x10", "nan", "inf", ""] {
            #expect(streamName(mapper, "status=\(status) bytes=1") != "hit", "\(status) \(comparison) \(value)")
        }
    }

    @Test("comparisons combine into a range, and read JSON numbers by their text")
    func range() throws {
        let mapper = try Self.mapper([
            Route(when: .all([.compare(field: "status", .gte, 500), .compare(field: "status", .lt, 600)]),
                  stream: "5xx"),
            Route(when: .compare(field: "bytes", .gt, 1_000_000), stream: "large"),
        ])
        #expect(streamName(mapper, "status=503 bytes=10") == "5xx")
        #expect(streamName(mapper, "status=600 bytes=10") == "default")
        #expect(streamName(mapper, "status=200 bytes=1048576") == "large")
        #expect(streamName(mapper, "status=200 bytes=-") == "default")

        let json = try EventMapper(spec: MappingSpec(
            parser: .json, routes: [Route(when: .compare(field: "ms", .gte, 250), stream: "slow")],
            defaultStream: "default"
        ))
        #expect(streamName(json, #"{"ms": 250.0}"#) == "slow")
        #expect(streamName(json, #"{"ms": 2.5e2}"#) == "slow")
        #expect(streamName(json, #"{"ms": "300"}"#) == "slow")
        #expect(streamName(json, #"{"ms": 249}"#) == "default")
        #expect(streamName(json, #"{"ms": true}"#) == "default")
    }

    @Test("not-equals holds for a different value and for a missing field")
    func notEquals() throws {
        let mapper = try EventMapper(spec: MappingSpec(
            parser: .json, routes: [Route(when: .notEquals(field: "level", value: "debug"), stream: "kept")],
            defaultStream: "default"
        ))
        #expect(streamName(mapper, #"{"level":"info"}"#) == "kept")
        #expect(streamName(mapper, #"{"other":1}"#) == "kept")
        #expect(streamName(mapper, #"{"level":"debug"}"#) == "default")
    }

    @Test("a comparison with a value that is not finite is refused at its key path")
    func infiniteValue() {
        let error = mappingError { () throws(MappingError) in
            try EventMapper(spec: MappingSpec(
                parser: .raw(), routes: [Route(when: .not(.compare(field: "a", .lt, .nan)), stream: "x")],
                defaultStream: "s"
            ))
        }
        #expect(error?.keyPath == "routes[0].when.not.lt")
    }

    @Test("a line the parser rejects goes to the parse-error stream without trying the routes")
    func parseErrorStream() throws {
        let mapper = try Self.mapper(
            [
                Route(when: .exists(field: "message"), stream: nil, drop: true),
                Route(when: .compare(field: "status", .gte, 500), stream: "errors"),
            ],
            parseErrorStream: "unparsed"
        )
        let line = Array("not a status line".utf8)
        let decision = line.withUnsafeBytes { mapper.explain($0) }
        #expect(decision.parseFailed)
        #expect(decision.route == nil)
        #expect(decision.target.map { mapper.streams[$0].name } == "unparsed")
        #expect(map(mapper, "not a status line").json
            == #"{"message":"not a status line","parse_error":"line does not match the pattern"}"#)

        let parsed = Array("status=502 bytes=1".utf8).withUnsafeBytes { mapper.explain($0) }
        #expect(parsed == RoutingDecision(target: 0, route: 1, parseFailed: false))
        #expect(streamName(mapper, "status=200 bytes=1") == "default")
        #expect(mapper.parseFailures == 2)
    }
}
