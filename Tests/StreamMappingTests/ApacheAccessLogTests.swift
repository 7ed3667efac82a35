import AtomBase
import Foundation
import StreamMapping
import Testing

@Suite("Real Apache access log")
struct ApacheAccessLogTests {
    static let combined = #"^(?<client>\S+) (?<ident>\S+) (?<user>\S+) \[(?<time>[^\]]+)\] "#
        + #""(?<method>\S+) (?<path>\S+) (?<protocol>[^"]+)" (?<status>\d{3}) (?<bytes>\S+) "#
        + #""(?<referrer>[^"]*)" "(?<agent>[^"]*)""#

    @Test(
        "every line of the shared access log parses into an event with the counts its README gives",
        .disabled(if: RealSamples.unavailable("apache_access.log"), "ATOM_SKIP_SHARED=1")
    )
    func accessLog() throws {
        let data = try Data(contentsOf: RealSamples.url("apache_access.log"))
        let spec = MappingSpec(parser: .regex(pattern: Self.combined), defaultStream: "web")
        let mapper = try EventMapper(spec: spec)

        var events = 0
        var methods: [String: Int] = [:]
        var dashBytes = 0
        var fieldSets = Set<[String]>()
        let out = ByteBuffer(capacity: 1 << 16)
        data.withUnsafeBytes { (file: UnsafeRawBufferPointer) in
            var start = 0
            while start < file.count {
                let end = file[start...].firstIndex(of: UInt8(ascii: "\n")) ?? file.count
                let line = UnsafeRawBufferPointer(rebasing: file[start..<end])
                start = end + 1

                out.removeAll()
                #expect(mapper.route(line) == 0)
                mapper.encode(into: out)
                let decoded = try? JSONSerialization.jsonObject(with: Data(out.array))
                guard let event = decoded as? [String: String] else {
                    Issue.record("event is not a JSON object of strings: \(out.string)")
                    continue
                }
                events += 1
                methods[event["method"] ?? "?", default: 0] += 1
                if event["bytes"] == "-" { dashBytes += 1 }
                fieldSets.insert(event.keys.sorted())
            }
        }

        #expect(events == 8_463)
        #expect(mapper.parseFailures == 0)
        #expect(methods == ["GET": 8_420, "HEAD": 39, "POST": 4])
        #expect(dashBytes == 613)
        let allFields = [
            "agent", "bytes", "client", "ident", "method", "path", "protocol", "referrer", "status", "time",
            "user",
        ]
        #expect(fieldSets == [allFields])
    }
}
