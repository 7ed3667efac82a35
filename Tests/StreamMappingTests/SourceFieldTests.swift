import AtomBase
import Foundation
import StreamMapping
import Testing

/// Fields from outside the line (container envelope, metadata) as the mapper writes them.
@Suite("Source fields")
struct SourceFieldTests {
    static func spec(_ parser: ParserSpec, addFields: [(String, FieldValue)] = [],
                     routes: [Route] = []) -> MappingSpec {
        var spec = MappingSpec(parser: parser, addFields: addFields, routes: routes, defaultStream: "events")
        var container = ContainerSpec(format: .cri)
        container.streamField = "stream"
        container.timeField = "time"
        spec.container = container
        spec.metadata.path = "file"
        spec.metadata.offset = "offset"
        spec.metadata.eventID = "event_id"
        spec.metadata.ingestTime = "ingest_time"
        spec.metadata.host = "host"
        spec.metadata.hostName = "web-1"
        spec.metadata.input = "input"
        spec.metadata.inputName = "app"
        return spec
    }

    /// Sets every source field as the pipeline does for one event, maps `line`, returns the JSON.
    static func event(_ mapper: EventMapper, _ line: String, stream: String = "stderr",
                      offset: Int64 = 1234) -> (json: String, stream: Int?, size: Int, escaped: Int) {
        let writer = SourceFieldWriter(mapper: mapper)
        writer.begin(path: "/var/log/a \"b\".log", fingerprint: "0123456789abcdef0123456789abcdef",
                     readAt: 1_700_000_000.25)
        let streamText = Array(stream.utf8)
        let time = Array("2024-05-01T12:00:00Z".utf8)
        streamText.withUnsafeBytes { s in
            time.withUnsafeBytes { t in writer.set(offset: offset, stream: s, time: t) }
        }
        return Array(line.utf8).withUnsafeBytes { raw in
            let routed = mapper.route(raw)
            let out = ByteBuffer()
            let size = mapper.encode(into: out)
            return (out.string, routed, size, JSON.escapedLength(out.bytes))
        }
    }

    static let sourceTail = #""stream":"stderr","time":"2024-05-01T12:00:00Z","file":"/var/log/a \"b\".log","#
        + #""offset":1234,"ingest_time":"2023-11-14T22:13:20.250Z","#
        + #""event_id":"0123456789abcdef0123456789abcdef-1234","host":"web-1","input":"app"}"#

    @Test("after the parsed fields, in a fixed order, then the added ones; the size is exact")
    func rawLine() throws {
        let mapper = try EventMapper(spec: Self.spec(.raw(), addFields: [("env", .string("prod"))]))
        let result = Self.event(mapper, "a \"quoted\" line")
        // host and input are the same on every event: they come with the added fields.
        let tail = Self.sourceTail.replacingOccurrences(of: #""host""#, with: #""env":"prod","host""#)
        #expect(result.json == #"{"message":"a \"quoted\" line","# + tail)
        #expect(result.size == result.escaped)
    }

    @Test("a JSON line gets them spliced in, and its own member of the same name is left out")
    func jsonLine() throws {
        let mapper = try EventMapper(spec: Self.spec(.json))
        let result = Self.event(mapper, #"{"level":"info","offset":"mine","n":[1,2]}"#)
        #expect(result.json == #"{"level":"info","n":[1,2],"# + Self.sourceTail)
        #expect(result.size == result.escaped)
        let empty = Self.event(mapper, "{}")
        #expect(empty.json == "{" + Self.sourceTail)
        #expect(empty.size == empty.escaped)
    }

    @Test("they win over a parsed field of the same name, and a parse failure keeps them")
    func parsedAndFailed() throws {
        let mapper = try EventMapper(spec: Self.spec(.regex(pattern: #"^(?<time>\S+) (?<message>.*)$"#)))
        let parsed = Self.event(mapper, "yesterday hello")
        #expect(parsed.json == #"{"message":"hello","# + Self.sourceTail)
        let failed = Self.event(mapper, "nospace")
        #expect(failed.json == #"{"message":"nospace","parse_error":"line does not match the pattern","#
                + Self.sourceTail)
        #expect(failed.size == failed.escaped)
    }

    @Test("routes see them")
    func routing() throws {
        let routes = [Route(when: .equals(field: "stream", value: "stderr"), stream: "errors")]
        let mapper = try EventMapper(spec: Self.spec(.raw(), routes: routes))
        #expect(Self.event(mapper, "x", stream: "stderr").stream.map { mapper.streams[$0].name } == "errors")
        #expect(Self.event(mapper, "x", stream: "stdout").stream.map { mapper.streams[$0].name } == "events")
    }

    @Test("a line rejected before parsing becomes a parse failure with them")
    func rejectedLine() throws {
        let mapper = try EventMapper(spec: Self.spec(.raw()))
        _ = Self.event(mapper, "unused")
        let out = ByteBuffer()
        _ = Array("garbage".utf8).withUnsafeBytes { mapper.routeRejected($0, reason: "not a CRI log line") }
        mapper.encode(into: out)
        #expect(out.string == #"{"message":"garbage","parse_error":"not a CRI log line","# + Self.sourceTail)
        #expect(mapper.parseFailures == 1)
    }

    @Test("an empty envelope stream or time leaves the field out")
    func clearedFields() throws {
        let mapper = try EventMapper(spec: Self.spec(.raw()))
        let writer = SourceFieldWriter(mapper: mapper)
        writer.begin(path: "p", fingerprint: "f", readAt: 0)
        let none = UnsafeRawBufferPointer(start: nil, count: 0)
        writer.set(offset: 7, stream: none, time: none)
        _ = Array("m".utf8).withUnsafeBytes { mapper.route($0) }
        let out = ByteBuffer()
        mapper.encode(into: out)
        #expect(out.string == #"{"message":"m","file":"p","offset":7,"ingest_time":"1970-01-01T00:00:00.000Z","#
                + #""event_id":"f-7","host":"web-1","input":"app"}"#)
    }

    @Test("two fields the mapping writes cannot share a name, nor have an empty one")
    func collisions() {
        let changes: [(String, (inout MappingSpec) -> Void)] = [
            ("metadata.offset", { $0.metadata.offset = "file" }),
            ("metadata.host", { $0.metadata.host = "env" }),
            ("metadata.eventId", { $0.metadata.eventID = "" }),
            ("metadata.input", { $0.metadata.input = "stream" }),
            ("container.timeField", { $0.container?.timeField = "stream" }),
        ]
        for (keyPath, change) in changes {
            var spec = Self.spec(.raw(), addFields: [("env", .string("prod"))])
            change(&spec)
            let error = mappingError { () throws(MappingError) in try EventMapper(spec: spec) }
            #expect(error?.keyPath == keyPath)
        }
    }

    @Test("ingest times are ISO 8601 UTC with milliseconds")
    func ingestTime() {
        #expect(UTCTime.iso8601(unixSeconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(UTCTime.iso8601(unixSeconds: 951_782_400.999) == "2000-02-29T00:00:00.999Z")
        #expect(UTCTime.iso8601(unixSeconds: 4_102_444_799.5) == "2099-12-31T23:59:59.500Z")
    }
}
