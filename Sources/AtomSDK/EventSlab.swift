import AtomBase

/// A run of consecutive events that carry the same caller token (for example a file position
/// group), so reports stay small when thousands of events share one token.
public struct TokenRun: Sendable, Equatable {
    /// The caller's token, passed to `EventSlab.commit(token:)` or `Tracker.track`.
    public var token: UInt64
    /// How many consecutive events carry it.
    public var count: Int

    public init(token: UInt64, count: Int) {
        self.token = token
        self.count = count
    }
}

extension Array where Element == TokenRun {
    /// Adds one event with `token`, extending the last run when the token repeats.
    mutating func appendToken(_ token: UInt64, count: Int = 1) {
        if let last = indices.last, self[last].token == token {
            self[last].count += count
        } else {
            append(TokenRun(token: token, count: count))
        }
    }

    /// The runs covering events `range` of the sequence these runs describe.
    func slice(events range: Range<Int>) -> [TokenRun] {
        var result: [TokenRun] = []
        var position = 0
        for run in self {
            let start = Swift.max(position, range.lowerBound)
            let end = Swift.min(position + run.count, range.upperBound)
            if start < end { result.append(TokenRun(token: run.token, count: end - start)) }
            position += run.count
            if position >= range.upperBound { break }
        }
        return result
    }
}

/// Events of one stream stored back to back as JSON texts; a producer fills one, then hands it over.
///
/// Write an event's JSON bytes into `data`, then `commit(token:)` it; `rollback()` drops a
/// half-written event. `Tracker.track(_:to:)` copies the committed events, so the slab can be
/// reused (`removeAll()`) as soon as that call returns.
public final class EventSlab: @unchecked Sendable {
    // Safe to send: a slab has one owner at a time (the producer, then the tracker during
    // `track`); it is handed over, never used from two threads at once.

    /// Where the producer writes an event's JSON bytes before committing it.
    public let data: ByteBuffer
    private var ends: [Int] = []
    private var runs: [TokenRun] = []

    /// Creates an empty slab whose buffer starts with room for `capacity` bytes.
    public init(capacity: Int = 64 * 1024) {
        data = ByteBuffer(capacity: capacity)
    }

    /// Ends the event written since the last commit, tagging it with `token`.
    /// An empty event (nothing written) is committed as an empty text; avoid it.
    public func commit(token: UInt64) {
        ends.append(data.count)
        runs.appendToken(token)
    }

    /// Drops the bytes written since the last commit.
    public func rollback() {
        data.count = committedBytes
    }

    /// Number of committed events.
    public var count: Int { ends.count }

    /// Bytes of the committed events.
    public var byteCount: Int { committedBytes }

    /// The tokens of the committed events, run-length encoded in event order.
    public var tokens: [TokenRun] { runs }

    /// The JSON bytes of committed event `index`; valid until the slab is changed.
    public func event(at index: Int) -> UnsafeRawBufferPointer {
        let start = index == 0 ? 0 : ends[index - 1]
        return data.slice(start..<ends[index])
    }

    /// Forgets every event, keeping the memory for reuse.
    public func removeAll() {
        data.removeAll()
        ends.removeAll(keepingCapacity: true)
        runs.removeAll(keepingCapacity: true)
    }

    private var committedBytes: Int { ends.last ?? 0 }
}
