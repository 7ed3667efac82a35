import AtomBase

/// Sets a mapper's source fields (`EventMapper.SourceField`) for each event: the file's path and
/// read time once per chunk, the offset, event id and container envelope per event. Only the
/// fields the mapping writes are computed.
public final class SourceFieldWriter {
    private let mapper: EventMapper
    private let writesPath: Bool
    private let writesOffset: Bool
    private let writesIngestTime: Bool
    private let writesEventID: Bool
    private let writesStream: Bool
    private let writesTime: Bool
    private var path = ""
    /// The event id being built: the file's fingerprint and `-`, then the offset.
    private let eventID = ByteBuffer(capacity: 64)
    private var fingerprintLength = 0

    public init(mapper: EventMapper) {
        self.mapper = mapper
        writesPath = mapper.writes(.path)
        writesOffset = mapper.writes(.offset)
        writesIngestTime = mapper.writes(.ingestTime)
        writesEventID = mapper.writes(.eventID)
        writesStream = mapper.writes(.containerStream)
        writesTime = mapper.writes(.containerTime)
    }

    /// The events that follow come from the file at `path`, with content fingerprint
    /// `fingerprint`, read at `readAt` (Unix seconds).
    public func begin(path: String, fingerprint: String, readAt: Double) {
        if writesPath && path != self.path {
            self.path = path
            mapper.setSource(.path, text: path)
        }
        if writesIngestTime { mapper.setSource(.ingestTime, text: UTCTime.iso8601(unixSeconds: readAt)) }
        if writesEventID {
            eventID.removeAll()
            eventID.append(string: fingerprint)
            eventID.append(UInt8(ascii: "-"))
            fingerprintLength = eventID.count
        }
    }

    /// The next event starts at `offset` of the file, with the container envelope's `stream` and
    /// `time` (empty when there is none).
    @inline(__always)
    public func set(offset: Int64, stream: UnsafeRawBufferPointer, time: UnsafeRawBufferPointer) {
        if writesOffset { mapper.setSource(.offset, number: offset) }
        if writesEventID {
            eventID.count = fingerprintLength
            eventID.append(decimal: offset)
            mapper.setSource(.eventID, text: eventID.bytes)
        }
        if writesStream {
            if stream.isEmpty { mapper.clearSource(.containerStream) } else {
                mapper.setSource(.containerStream, text: stream)
            }
        }
        if writesTime {
            if time.isEmpty { mapper.clearSource(.containerTime) } else { mapper.setSource(.containerTime, text: time) }
        }
    }
}
