import AtomBase
import Foundation
import StreamMapping
import Testing

/// A mapper whose parser is the built-in `name` of the shared registry, with `options`.
func builtInMapper(
    _ name: String, _ options: [String: FieldValue] = [:], routes: [Route] = []
) throws -> EventMapper {
    let spec = MappingSpec(
        parser: .custom(name: name, options: options), routes: routes, defaultStream: "events"
    )
    return try EventMapper(spec: spec)
}

/// The error the shared registry's `name` parser gives for `options`, or nil when it takes them.
func builtInError(_ name: String, _ options: [String: FieldValue]) -> MappingError? {
    mappingError { () throws(MappingError) in
        let spec = MappingSpec(parser: .custom(name: name, options: options), defaultStream: "s")
        return try EventMapper(spec: spec)
    }
}

/// The event `mapper` makes of `line`, decoded with Foundation (nil when it is not an object).
func decodedEvent(_ mapper: EventMapper, _ line: String) -> [String: Any]? {
    decodedEvent(mapper, bytes: Array(line.utf8))
}

/// The event `mapper` makes of the bytes of `line`, decoded with Foundation.
func decodedEvent(_ mapper: EventMapper, bytes line: [UInt8]) -> [String: Any]? {
    line.withUnsafeBytes { raw in
        _ = mapper.route(raw)
        let out = ByteBuffer(capacity: 256)
        mapper.encode(into: out)
        return (try? JSONSerialization.jsonObject(with: Data(out.array))) as? [String: Any]
    }
}

/// Whether a decoded event has exactly the `expected` fields, each a string or a whole number.
func eventEquals(_ event: [String: Any]?, _ expected: [String: Any]) -> Bool {
    guard let event, Set(event.keys) == Set(expected.keys) else { return false }
    for (key, value) in expected {
        switch value {
        case let text as String:
            guard event[key] as? String == text else { return false }
        case let number as Int:
            guard let found = event[key] as? NSNumber, !(event[key] is String),
                  found.intValue == number, "\(found)" == "\(number)" else { return false }
        default:
            Issue.record("expected values are strings or whole numbers, not \(value)")
            return false
        }
    }
    return true
}

/// The real-world samples: the copies whose license allows it in `Tests/ShipperTests/Fixtures`
/// (with their attribution in NOTICE.md), the others in the shared folder beside the repository.
enum RealSamples {
    /// Set `ATOM_SKIP_SHARED=1` where the shared folder is not laid out beside the repository.
    static let skip = ProcessInfo.processInfo.environment["ATOM_SKIP_SHARED"] == "1"

    /// Whether a test of sample `name` must be skipped: the repository has no copy of it and
    /// `ATOM_SKIP_SHARED=1` says the shared folder is not there.
    static func unavailable(_ name: String) -> Bool {
        skip && url(name).path.contains("/shared/data/real/")
    }

    /// Where sample `name` is: the repository's copy when there is one, else the shared folder's.
    static func url(_ name: String) -> URL {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let copy = tests.appendingPathComponent("ShipperTests/Fixtures/\(name)")
        if FileManager.default.fileExists(atPath: copy.path) { return copy }
        return tests.appendingPathComponent("../../shared/data/real/\(name)").standardizedFileURL
    }

    /// The lines of sample `name`: split on LF, a trailing CR stripped, no empty line for a
    /// final LF.
    static func lines(_ name: String) throws -> [[UInt8]] {
        let data = try Data(contentsOf: url(name))
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { line -> [UInt8] in
                var bytes = Array(line)
                if bytes.last == 0x0D { bytes.removeLast() }
                return bytes
            }
        if data.last == UInt8(ascii: "\n") { lines.removeLast() }
        return lines
    }
}
