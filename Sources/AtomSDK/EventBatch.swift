import AtomBase

/// A sealed batch as transports see it: events of one stream, back to back, each followed by a
/// line feed, read-only.
///
/// The tracker builds batches; a 413 split makes two batches that share the parent's bytes.
public final class EventBatch: @unchecked Sendable {
    // Safe to send: the bytes are written before the batch is sealed and only read afterwards;
    // a batch is handed to one worker at a time.

    /// The stream (Atom table) every event goes to.
    public let stream: String
    /// The stream's HMAC key; nil or empty sends no `auth`.
    public let authKey: String?
    /// The events' tokens, run-length encoded in event order.
    public let tokens: [TokenRun]

    let storage: ByteBuffer
    /// End offset in `storage` of every event of the parent batch (shared by split halves).
    let ends: [Int]
    /// Which of the parent's events this batch holds.
    let range: Range<Int>
    /// Length of the bulk `data` text (`[` + escaped events + `]`), known from tracking.
    let dataBytes: Int
    /// Set when the batch must not be sent (an event above the hard limit): the dead-letter reason.
    let refusal: String?

    init(stream: String, authKey: String?, storage: ByteBuffer, ends: [Int], range: Range<Int>,
         tokens: [TokenRun], dataBytes: Int, refusal: String? = nil) {
        self.stream = stream
        self.authKey = authKey
        self.storage = storage
        self.ends = ends
        self.range = range
        self.tokens = tokens
        self.dataBytes = dataBytes
        self.refusal = refusal
    }

    /// Builds a batch from event JSON texts, for custom transports and their tests.
    /// - Parameters:
    ///   - stream: the Atom table.
    ///   - authKey: the stream key; nil or empty sends no `auth`.
    ///   - events: each event's JSON text, sent as given.
    ///   - token: the token every event carries in `tokens`.
    public convenience init(stream: String, authKey: String?, events: [String], token: UInt64 = 0) {
        let storage = ByteBuffer(capacity: events.reduce(16) { $0 + $1.utf8.count })
        var ends: [Int] = []
        var dataBytes = 1
        for event in events {
            let start = storage.count
            storage.append(string: event)
            ends.append(storage.count)
            dataBytes += AtomWire.escapedLength(storage.slice(start..<storage.count)) + 3
            storage.append(UInt8(ascii: "\n"))
        }
        let tokens = events.isEmpty ? [] : [TokenRun(token: token, count: events.count)]
        self.init(stream: stream, authKey: authKey, storage: storage, ends: ends, range: 0..<events.count,
                  tokens: tokens, dataBytes: events.isEmpty ? 2 : dataBytes)
    }

    /// Number of events.
    public var count: Int { range.count }

    /// Bytes of the events as JSON lines, each with its line feed (not of the request).
    public var byteCount: Int {
        range.isEmpty ? 0 : ends[range.upperBound - 1] + 1 - start(of: range.lowerBound)
    }

    /// The events as JSON lines, each followed by a line feed: one contiguous range of the storage.
    public var jsonLines: UnsafeRawBufferPointer {
        range.isEmpty ? UnsafeRawBufferPointer(start: nil, count: 0)
            : storage.slice(start(of: range.lowerBound)..<(ends[range.upperBound - 1] + 1))
    }

    /// The JSON text of event `index` (0-based within this batch); valid while the batch lives.
    public func event(at index: Int) -> UnsafeRawBufferPointer {
        let absolute = range.lowerBound + index
        return storage.slice(start(of: absolute)..<ends[absolute])
    }

    /// The two halves of a batch of two or more events (for a 413 answer), sharing its bytes.
    func split() -> (EventBatch, EventBatch) {
        let middle = count / 2
        let first = half(0..<middle)
        let second = half(middle..<count)
        return (first, second)
    }

    private func half(_ local: Range<Int>) -> EventBatch {
        let absolute = (range.lowerBound + local.lowerBound)..<(range.lowerBound + local.upperBound)
        var dataBytes = 1
        for index in absolute {
            dataBytes += AtomWire.escapedLength(storage.slice(start(of: index)..<ends[index])) + 3
        }
        return EventBatch(stream: stream, authKey: authKey, storage: storage, ends: ends, range: absolute,
                          tokens: tokens.slice(events: local), dataBytes: dataBytes)
    }

    private func start(of index: Int) -> Int { index == 0 ? 0 : ends[index - 1] + 1 }
}
