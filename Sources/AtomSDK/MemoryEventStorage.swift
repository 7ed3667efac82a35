import Synchronization

/// The default `EventStorage`: a first-in first-out queue per stream in memory, each bounded in
/// events and in bytes (an empty queue takes one event of any size).
public final class MemoryEventStorage: EventStorage {
    /// Most events one stream's queue holds.
    public let maxEvents: Int
    /// Most bytes (events' UTF-8 lengths) one stream's queue holds.
    public let maxBytes: Int

    /// The queues by stream, and the one used last (a caller adding to one stream skips hashing
    /// its name every time).
    private struct Queues {
        var byStream: [String: StreamQueue] = [:]
        var last: StreamQueue?

        mutating func queue(_ stream: String) -> StreamQueue? {
            if let last, last.stream == stream { return last }
            last = byStream[stream]
            return last
        }
    }

    private let queues = Mutex(Queues())

    /// - Parameters:
    ///   - maxEvents: events per stream, at least 1.
    ///   - maxBytes: bytes per stream, at least 1.
    public init(maxEvents: Int, maxBytes: Int) {
        self.maxEvents = max(1, maxEvents)
        self.maxBytes = max(1, maxBytes)
    }

    /// Appends `event` unless its stream's queue would pass `maxEvents` or `maxBytes`.
    public func add(_ event: StoredEvent) -> Bool {
        let bytes = event.data.utf8.count
        return queues.withLock { queues in
            let queue: StreamQueue
            if let known = queues.queue(event.stream) {
                queue = known
            } else {
                queue = StreamQueue(stream: event.stream)
                queues.byStream[event.stream] = queue
                queues.last = queue
            }
            if queue.count > 0 && (queue.count + 1 > maxEvents || queue.bytes + bytes > maxBytes) {
                return false
            }
            queue.push(event.data, token: event.token, bytes: bytes)
            return true
        }
    }

    /// The oldest event of `stream`, left in its queue.
    public func get(stream: String) -> StoredEvent? {
        queues.withLock { queues in
            guard let queue = queues.queue(stream), let first = queue.first else { return nil }
            return StoredEvent(stream: stream, data: first.data, token: first.token)
        }
    }

    /// Drops the oldest event of `stream`.
    public func remove(stream: String) {
        queues.withLock { queues in queues.queue(stream)?.popFirst() }
    }

    /// Whether every stream's queue is empty.
    public var isEmpty: Bool {
        queues.withLock { queues in queues.byStream.values.allSatisfy { $0.count == 0 } }
    }

    /// Events waiting in `stream`'s queue.
    public func count(stream: String) -> Int {
        queues.withLock { queues in queues.queue(stream)?.count ?? 0 }
    }
}

/// One stream's queue and the bytes it holds.
private final class StreamQueue {
    struct Entry {
        var data: String
        var token: UInt64
    }

    let stream: String
    private var entries = FIFO<Entry>()
    private(set) var bytes = 0

    init(stream: String) {
        self.stream = stream
    }

    var count: Int { entries.count }

    var first: Entry? { entries.first }

    func push(_ data: String, token: UInt64, bytes: Int) {
        entries.push(Entry(data: data, token: token))
        self.bytes += bytes
    }

    func popFirst() {
        if let entry = entries.pop() { bytes -= entry.data.utf8.count }
    }
}
