import StreamMapping
import Testing

@Suite("Routing")
struct RoutingTests {
    /// Lines `level=<word> user=<word> path=<rest>`, where user is optional.
    static let pattern = #"^level=(?<level>\w+)(?: user=(?<user>\w+))? path=(?<path>\S+)$"#

    static func mapper(_ routes: [Route], adding fields: [(String, FieldValue)] = []) throws -> EventMapper {
        let spec = MappingSpec(
            parser: .regex(pattern: pattern), addFields: fields, routes: routes, defaultStream: "default"
        )
        return try EventMapper(spec: spec)
    }

    @Test("the first route that matches wins, and a line no route matches goes to the default stream")
    func firstMatchWins() throws {
        let mapper = try Self.mapper([
            Route(when: .equals(field: "level", value: "error"), stream: "errors"),
            Route(when: .matches(field: "path", pattern: "^/api/"), stream: "api"),
            Route(when: .equals(field: "level", value: "error"), stream: "never"),
        ])
        #expect(streamName(mapper, "level=error path=/api/x") == "errors")
        #expect(streamName(mapper, "level=info path=/api/x") == "api")
        #expect(streamName(mapper, "level=info path=/home") == "default")
        #expect(mapper.streams.map(\.name) == ["errors", "api", "never", "default"])
    }

    @Test("equals compares the whole value byte for byte")
    func equals() throws {
        let mapper = try Self.mapper([Route(when: .equals(field: "level", value: "warn"), stream: "hit")])
        #expect(streamName(mapper, "level=warn path=/") == "hit")
        #expect(streamName(mapper, "level=warning path=/") == "default")
        #expect(streamName(mapper, "level=WARN path=/") == "default")
    }

    @Test("matches searches anywhere in the value unless the pattern anchors itself")
    func matches() throws {
        let mapper = try Self.mapper([
            Route(when: .matches(field: "path", pattern: #"\.php$"#), stream: "php"),
            Route(when: .matches(field: "path", pattern: "admin"), stream: "admin"),
        ])
        #expect(streamName(mapper, "level=info path=/x/index.php") == "php")
        #expect(streamName(mapper, "level=info path=/x/index.php?a=1") == "default")
        #expect(streamName(mapper, "level=info path=/site/admin/users") == "admin")
    }

    @Test("exists is true only when the optional group took part")
    func exists() throws {
        let mapper = try Self.mapper([Route(when: .exists(field: "user"), stream: "users")])
        #expect(streamName(mapper, "level=info user=kim path=/") == "users")
        #expect(streamName(mapper, "level=info path=/") == "default")
    }

    @Test("all, any and not combine conditions, including their empty forms")
    func combinators() throws {
        let mapper = try Self.mapper([
            Route(when: .all([.equals(field: "level", value: "error"), .exists(field: "user")]),
                  stream: "user-errors"),
            Route(when: .any([.equals(field: "level", value: "debug"), .equals(field: "level", value: "trace")]),
                  stream: "verbose"),
            Route(when: .not(.matches(field: "path", pattern: "^/")), stream: "odd-path"),
            Route(when: .any([]), stream: "never"),
            Route(when: .all([.equals(field: "level", value: "info"), .all([])]), stream: "info"),
        ])
        #expect(streamName(mapper, "level=error user=kim path=/") == "user-errors")
        #expect(streamName(mapper, "level=error path=/") == "default")
        #expect(streamName(mapper, "level=trace path=/") == "verbose")
        #expect(streamName(mapper, "level=error path=relative") == "odd-path")
        #expect(streamName(mapper, "level=info path=/") == "info")
    }

    @Test("a drop route returns no stream, and a route without a condition matches everything")
    func drop() throws {
        let mapper = try Self.mapper([
            Route(when: .matches(field: "path", pattern: "^/health"), stream: nil, drop: true),
            Route(when: nil, stream: "all"),
        ])
        #expect(map(mapper, "level=info path=/healthz").stream == nil)
        #expect(streamName(mapper, "level=info path=/") == "all")
    }

    @Test("targets are distinct pairs of stream and key, and a route without a key takes the default key")
    func targets() throws {
        let spec = MappingSpec(
            parser: .regex(pattern: Self.pattern),
            routes: [
                Route(when: .equals(field: "level", value: "a"), stream: "web"),
                Route(when: .equals(field: "level", value: "b"), stream: "web", authKey: "other"),
                Route(when: .equals(field: "level", value: "c"), stream: "web"),
                Route(when: .equals(field: "level", value: "d"), stream: "main", authKey: "k1"),
            ],
            defaultStream: "main",
            defaultAuthKey: "k1"
        )
        let mapper = try EventMapper(spec: spec)
        #expect(mapper.streams == [
            StreamTarget(name: "web", authKey: "k1"),
            StreamTarget(name: "web", authKey: "other"),
            StreamTarget(name: "main", authKey: "k1"),
        ])
        #expect(map(mapper, "level=a path=/").stream == 0)
        #expect(map(mapper, "level=b path=/").stream == 1)
        #expect(map(mapper, "level=c path=/").stream == 0)
        #expect(map(mapper, "level=d path=/").stream == 2)
        #expect(map(mapper, "level=z path=/").stream == 2)
    }

    @Test("conditions see added fields, which win over parsed fields of the same name")
    func addedFields() throws {
        let mapper = try Self.mapper(
            [
                Route(when: .equals(field: "level", value: "fixed"), stream: "fixed"),
                Route(when: .equals(field: "port", value: "8080"), stream: "never"),
            ],
            adding: [("level", .string("fixed")), ("port", .int(8080))]
        )
        #expect(streamName(mapper, "level=error path=/") == "fixed")
        #expect(map(mapper, "level=error path=/").json == #"{"path":"/","level":"fixed","port":8080}"#)

        let byPort = try Self.mapper(
            [Route(when: .all([.equals(field: "port", value: "8080"), .exists(field: "on")]), stream: "port")],
            adding: [("port", .int(8080)), ("on", .null)]
        )
        #expect(streamName(byPort, "level=info path=/") == "port")
    }

    @Test("a failure event routes on its message and parse error like any other event")
    func failureEvents() throws {
        let mapper = try Self.mapper([
            Route(when: .matches(field: "message", pattern: "^secret"), stream: nil, drop: true),
            Route(when: .exists(field: "parse_error"), stream: "unparsed"),
        ])
        #expect(streamName(mapper, "garbage") == "unparsed")
        #expect(map(mapper, "secret stuff").stream == nil)
        #expect(streamName(mapper, "level=info path=/") == "default")
        #expect(mapper.parseFailures == 2)
    }

    @Test("a pattern condition sees each invalid byte of a value as U+FFFD")
    func matchesInvalidUTF8() throws {
        let spec = MappingSpec(
            parser: .raw(),
            routes: [Route(when: .matches(field: "message", pattern: "^bad . byte$"), stream: "odd")],
            defaultStream: "default"
        )
        let mapper = try EventMapper(spec: spec)
        let line: [UInt8] = Array("bad ".utf8) + [0xFF] + Array(" byte".utf8)
        #expect(map(mapper, bytes: line).stream.map { mapper.streams[$0].name } == "odd")
        #expect(streamName(mapper, "bad xx byte") == "default")
    }
}
