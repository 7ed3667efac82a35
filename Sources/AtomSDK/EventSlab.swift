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

/// Events of one stream stored back to back as JSON texts, each followed by a line feed; a
/// producer fills one, then hands it over.
///
/// Write an event's JSON bytes into `data`, then `commit(token:)` it; `rollback()` drops a
/// half-written event. `Tracker.track(_:to:)` copies the committed events, so the slab can be
/// reused (`removeAll()`) as soon as that call returns; `Tracker.submit(_:to:)` takes them over
/// without a copy and leaves the slab empty with a fresh buffer.
///
/// The line feed after each event is not part of it: it lets a JSON-lines transport write a
/// batch with one system call.
public final class EventSlab: @unchecked Sendable {
    // Safe to send: a slab has one owner at a time (the producer, then the tracker during
    // `track` or `submit`); it is handed over, never used from two threads at once.

    // The state lives behind a pointer, not in stored `var`s: a class property pays a dynamic
    // exclusivity check on every access, and a slab is touched several times per event.
    struct State {
        var data: ByteBuffer
        var ends: [Int] = []
        var runs: [TokenRun] = []
        var sizes: [Int] = []
        var dataBytes = 1
        var firstEventNanos: UInt64 = 0
    }

    private let state: UnsafeMutablePointer<State>
    private let capacity: Int

    /// Where the producer writes an event's JSON bytes before committing it. `submit` replaces it
    /// with a fresh buffer, so read it again after submitting.
    public var data: ByteBuffer { state.pointee.data }
    var ends: [Int] { state.pointee.ends }
    var runs: [TokenRun] { state.pointee.runs }
    /// Length of the bulk `data` text these events make: `[`, `]`, and per event its escaped
    /// text, two quotes and a comma (the first event's comma is the `]`).
    public var dataBytes: Int { state.pointee.dataBytes }
    /// Monotonic time of the first committed event (0 when empty).
    public var firstEventNanos: UInt64 { state.pointee.firstEventNanos }

    /// Creates an empty slab whose buffer starts with room for `capacity` bytes.
    public init(capacity: Int = 64 * 1024) {
        self.capacity = capacity
        state = .allocate(capacity: 1)
        state.initialize(to: State(data: ByteBuffer(capacity: capacity)))
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// Ends the event written since the last commit, tagging it with `token`; measures its escaped
    /// length. An empty event (nothing written) is committed as an empty text; avoid it.
    public func commit(token: UInt64) {
        commit(token: token, escapedSize: JSON.escapedLength(data.slice(committedBytes..<data.count)))
    }

    /// Ends the event written since the last commit when the producer already knows its escaped
    /// length (`JSON.escapedLength` of its bytes): nothing is scanned again.
    public func commit(token: UInt64, escapedSize: Int) {
        if state.pointee.ends.isEmpty { state.pointee.firstEventNanos = Clock.nanos() }
        let data = state.pointee.data
        state.pointee.ends.append(data.count)
        data.append(UInt8(ascii: "\n"))
        state.pointee.runs.appendToken(token)
        state.pointee.sizes.append(escapedSize)
        state.pointee.dataBytes += escapedSize + 3
    }

    /// Drops the bytes written since the last commit.
    public func rollback() {
        data.count = committedBytes
    }

    /// Number of committed events.
    public var count: Int { state.pointee.ends.count }

    /// Bytes of the committed events as JSON lines, each with its line feed.
    public var byteCount: Int { committedBytes }

    /// The tokens of the committed events, run-length encoded in event order.
    public var tokens: [TokenRun] { runs }

    /// The bytes written since the last commit (the event being built).
    public var pendingBytes: UnsafeRawBufferPointer { data.slice(committedBytes..<data.count) }

    /// The JSON bytes of committed event `index`; valid until the slab is changed.
    public func event(at index: Int) -> UnsafeRawBufferPointer {
        let start = index == 0 ? 0 : ends[index - 1] + 1
        return data.slice(start..<ends[index])
    }

    /// Escaped length of committed event `index` (see `commit(token:escapedSize:)`).
    func escapedSize(at index: Int) -> Int { state.pointee.sizes[index] }

    /// Forgets every event, keeping the memory for reuse.
    public func removeAll() {
        state.pointee.data.removeAll()
        state.pointee.ends.removeAll(keepingCapacity: true)
        state.pointee.runs.removeAll(keepingCapacity: true)
        state.pointee.sizes.removeAll(keepingCapacity: true)
        state.pointee.dataBytes = 1
        state.pointee.firstEventNanos = 0
    }

    /// Moves the committed events out (bytes, ends, tokens, data length) and leaves the slab empty
    /// with a fresh buffer; bytes written after the last commit are dropped.
    func take() -> (storage: ByteBuffer, ends: [Int], runs: [TokenRun], dataBytes: Int) {
        let used = committedBytes
        data.count = used
        let old = state.pointee
        if used * 4 < capacity {
            // A partial batch (caught up, flush interval, shutdown): hand over a copy of its size
            // and keep the big buffer, so that many small batches waiting in the backlog hold
            // what they contain, not a full batch's capacity each.
            let copy = ByteBuffer(capacity: max(used, 16))
            copy.append(old.data.bytes)
            state.pointee.data.removeAll(keepingCapacity: true)
            state.pointee.ends.removeAll(keepingCapacity: true)
            state.pointee.runs.removeAll(keepingCapacity: true)
            state.pointee.sizes.removeAll(keepingCapacity: true)
            state.pointee.dataBytes = 1
            state.pointee.firstEventNanos = 0
            return (copy, Array(old.ends[...]), Array(old.runs[...]), old.dataBytes)
        }
        state.pointee = State(data: ByteBuffer(capacity: capacity))
        state.pointee.sizes = old.sizes
        state.pointee.sizes.removeAll(keepingCapacity: true)
        return (old.data, old.ends, old.runs, old.dataBytes)
    }

    private var committedBytes: Int { state.pointee.ends.last.map { $0 + 1 } ?? 0 }
}
