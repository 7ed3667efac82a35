import AtomBase
import StreamMapping

/// What the mapper made of one line: the stream it picked and the event's JSON text
/// (nil when the event is not valid UTF-8, which would be a bug in itself).
struct MappedLine {
    var stream: Int?
    var json: String?
}

/// Routes and encodes one line given as bytes, as the shipper does.
func map(_ mapper: EventMapper, bytes line: [UInt8]) -> MappedLine {
    line.withUnsafeBytes { raw in
        let stream = mapper.route(raw)
        let out = ByteBuffer(capacity: 64)
        mapper.encode(into: out)
        return MappedLine(stream: stream, json: String(validating: out.array, as: UTF8.self))
    }
}

/// Routes and encodes one line given as text.
func map(_ mapper: EventMapper, _ line: String) -> MappedLine {
    map(mapper, bytes: Array(line.utf8))
}

/// The stream name the mapper picked for `line`, or nil for a drop.
func streamName(_ mapper: EventMapper, _ line: String) -> String? {
    map(mapper, line).stream.map { mapper.streams[$0].name }
}

/// The mapping error `body` throws, or nil when it throws none.
func mappingError(_ body: () throws(MappingError) -> EventMapper) -> MappingError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}
