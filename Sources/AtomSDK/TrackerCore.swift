import AtomBase

/// The shared state of a `Tracker`: streams, their partial batches, the queue of sealed
/// batches and the backlog bounds. Workers and the timer thread hold this object, not the
/// `Tracker`, so dropping the tracker can stop them.
final class TrackerCore: @unchecked Sendable {
    // Safe: every `var` below is only read or written while `lock` is held; the `let`s are
    // immutable and Sendable.
    let options: TrackerOptions
    let transport: any Transport
    let deadLetters: DeadLetterWriter?
    let logger: Logger
    let onReport: @Sendable (BatchReport) -> Void
    let onError: (@Sendable (DeliveryError) -> Void)?
    let random: @Sendable () -> Double
    let lock = ConditionLock()
    /// The flush timer's own condition (see `timerLoop`), and whether it must end.
    let timerWake = ConditionLock()
    var timerStopped = false

    private var streams: [StreamState] = []
    private var streamIDs: [String: Int] = [:]
    var queue = BatchQueue()
    /// Events and bytes accepted and not yet settled (open, queued or in flight).
    var backlogEvents = 0
    var backlogBytes = 0
    var counters = TrackerCounters()
    /// `stop` began: `track` refuses, workers drain what is left.
    var stopping = false
    /// Workers and the timer exit; nothing more is reported.
    var shutdown = false
    /// Report and error callbacks running now; `stop` waits for them to end.
    var callbacksRunning = 0

    init(options: TrackerOptions, transport: any Transport, deadLetters: DeadLetterWriter?,
         logger: Logger, onReport: @escaping @Sendable (BatchReport) -> Void,
         onError: (@Sendable (DeliveryError) -> Void)?) {
        self.options = options.normalized
        self.transport = transport
        self.deadLetters = deadLetters
        self.logger = logger
        self.onReport = onReport
        self.onError = onError
        self.random = options.random ?? { Double.random(in: 0..<1) }
    }

    // MARK: Streams

    func stream(named name: String, authKey: String?) -> StreamID {
        lock.withLock { StreamID(rawValue: streamIndexLocked(name, authKey: authKey)) }
    }

    /// The index of stream `name`, registering it on first use. A later key fills in a missing one.
    private func streamIndexLocked(_ name: String, authKey: String?) -> Int {
        if let index = streamIDs[name] {
            if streams[index].authKey?.isEmpty ?? true, let authKey, !authKey.isEmpty {
                streams[index].authKey = authKey
            }
            return index
        }
        streams.append(StreamState(name: name, authKey: authKey))
        streamIDs[name] = streams.count - 1
        return streams.count - 1
    }

    // MARK: Tracking

    func track(_ slab: EventSlab, to id: StreamID) throws(TrackerError) {
        let count = slab.count
        guard count > 0 else { return }
        let tokens = slab.tokens

        lock.lock()
        defer { lock.unlock() }
        precondition(streams.indices.contains(id.rawValue), "StreamID from another tracker")
        let stream = streams[id.rawValue]
        try admitLocked(events: count, bytes: slab.byteCount, stream: stream.name)

        var queued = false
        var run = 0
        var leftInRun = tokens.first?.count ?? 0
        for index in 0..<count {
            while leftInRun == 0 {
                run += 1
                leftInRun = tokens[run].count
            }
            leftInRun -= 1
            let event = slab.event(at: index)
            let token = tokens[run].token
            if appendLocked(event, size: slab.escapedSize(at: index) + 3, token: token, to: stream) { queued = true }
        }
        if queued { lock.broadcast() }
    }

    /// Takes the slab's events as one sealed batch, without copying them, when they fit the batch
    /// limits (or are a single event); otherwise tracks them by copy. The slab is left empty.
    func submit(_ slab: EventSlab, to id: StreamID, waitForRoom: Bool = true) throws(TrackerError) {
        let count = slab.count
        guard count > 0 else { return }
        guard count == 1 || (count <= options.batchSize && slab.dataBytes <= options.batchBytes) else {
            try track(slab, to: id)
            slab.removeAll()
            return
        }
        lock.lock()
        defer { lock.unlock() }
        precondition(streams.indices.contains(id.rawValue), "StreamID from another tracker")
        let stream = streams[id.rawValue]
        if waitForRoom {
            try admitLocked(events: count, bytes: slab.byteCount, stream: stream.name)
        } else {
            // The producer checks `hasRoom` before it reads more, so it can keep discovering files
            // while the backlog is full; what it already read is admitted over the bound.
            if stopping { throw .stopped }
            backlogEvents += count
            backlogBytes += slab.byteCount
            counters.accepted += count
        }
        if count == 1 && slab.event(at: 0).count > options.hardEventLimit {
            let event = slab.event(at: 0)
            queue.push(refusedBatch(event, size: slab.escapedSize(at: 0) + 3, token: slab.tokens[0].token,
                                    stream: stream))
            slab.removeAll()
            lock.broadcast()
            return
        }
        // Anything tracked one by one on this stream goes first, keeping the stream's order.
        sealLocked(stream)
        let taken = slab.take()
        queue.push(EventBatch(stream: stream.name, authKey: stream.authKey, storage: taken.storage,
                              ends: taken.ends, range: 0..<count, tokens: taken.runs, dataBytes: taken.dataBytes))
        lock.broadcast()
    }

    func track(stream name: String, data: String, authKey: String?, token: UInt64) throws(TrackerError) {
        var text = data
        let outcome: Result<Void, TrackerError> = text.withUTF8 { raw in
            let event = UnsafeRawBufferPointer(raw)
            let size = AtomWire.escapedLength(event) + 3
            lock.lock()
            defer { lock.unlock() }
            let stream = streams[streamIndexLocked(name, authKey: authKey)]
            do throws(TrackerError) {
                try admitLocked(events: 1, bytes: event.count + 1, stream: name)  // stored with its line feed
            } catch {
                return .failure(error)
            }
            if appendLocked(event, size: size, token: token, to: stream) { lock.broadcast() }
            return .success(())
        }
        try outcome.get()
    }

    /// Whether the backlog is below its bounds.
    var hasRoom: Bool {
        lock.withLock { backlogEvents < options.backlogEvents && backlogBytes < options.backlogBytes }
    }

    /// Waits up to `timeout` seconds for the backlog to drop below its bounds.
    func waitForRoom(timeout: Double) -> Bool {
        let end = Clock.nanos() &+ Self.nanos(timeout)
        lock.lock()
        defer { lock.unlock() }
        while !(backlogEvents < options.backlogEvents && backlogBytes < options.backlogBytes) && !stopping {
            if Clock.nanos() >= end { return false }
            lock.wait(untilNanos: end)
        }
        return true
    }

    /// Waits until `events`/`bytes` fit in the backlog (an empty backlog takes anything), then
    /// counts them in. Seals partial batches first so that workers can drain.
    private func admitLocked(events: Int, bytes: Int, stream: String) throws(TrackerError) {
        let deadline = options.blocking ? nil : Clock.nanos() &+ Self.nanos(options.enqueueTimeout)
        var sealedForRoom = false
        while true {
            if stopping { throw .stopped }
            if backlogEvents == 0 || (backlogEvents + events <= options.backlogEvents
                                      && backlogBytes + bytes <= options.backlogBytes) {
                break
            }
            if !sealedForRoom {
                sealedForRoom = true
                if sealAllLocked() { lock.broadcast() }
            }
            if let deadline {
                if Clock.nanos() >= deadline { throw .backlogFull(stream: stream) }
                lock.wait(untilNanos: deadline)
            } else {
                lock.wait()
            }
        }
        backlogEvents += events
        backlogBytes += bytes
        counters.accepted += events
    }

    /// Adds one event (`size`: its share of the `data` text) to the stream's partial batch,
    /// sealing batches at `batchSize` and `batchBytes`. Returns true when a batch was queued.
    private func appendLocked(_ event: UnsafeRawBufferPointer, size: Int, token: UInt64,
                              to stream: StreamState) -> Bool {
        if event.count > options.hardEventLimit {
            queue.push(refusedBatch(event, size: size, token: token, stream: stream))
            return true
        }

        var queued = false
        if let open = stream.open, open.dataBytes + size > options.batchBytes {
            queued = sealLocked(stream)
        }
        let open = stream.open ?? OpenBatch(capacity: min(options.batchBytes, 16 * 1024))
        stream.open = open
        open.append(event, size: size, token: token)
        if open.count >= options.batchSize || open.dataBytes >= options.batchBytes {
            queued = sealLocked(stream) || queued
        }
        return queued
    }

    private func refusedBatch(_ event: UnsafeRawBufferPointer, size: Int, token: UInt64,
                              stream: StreamState) -> EventBatch {
        let storage = ByteBuffer(capacity: event.count + 1)
        storage.append(event)
        storage.append(UInt8(ascii: "\n"))
        let reason = "event of \(event.count) bytes is larger than the hard limit of "
            + "\(options.hardEventLimit) bytes"
        return EventBatch(stream: stream.name, authKey: stream.authKey, storage: storage,
                          ends: [event.count], range: 0..<1, tokens: [TokenRun(token: token, count: 1)],
                          dataBytes: 1 + size, refusal: reason)
    }

    // MARK: Sealing

    /// Queues the stream's partial batch; returns true when there was one.
    @discardableResult
    func sealLocked(_ stream: StreamState) -> Bool {
        guard let open = stream.open else { return false }
        stream.open = nil
        queue.push(EventBatch(stream: stream.name, authKey: stream.authKey, storage: open.storage,
                              ends: open.ends, range: 0..<open.count, tokens: open.runs,
                              dataBytes: open.dataBytes))
        return true
    }

    /// Queues every partial batch; returns true when there was one.
    @discardableResult
    func sealAllLocked() -> Bool {
        var queued = false
        for stream in streams where sealLocked(stream) { queued = true }
        return queued
    }

    func flush() {
        lock.withLock { if sealAllLocked() { lock.broadcast() } }
    }

    func flush(_ id: StreamID) {
        lock.withLock {
            guard streams.indices.contains(id.rawValue) else { return }
            if sealLocked(streams[id.rawValue]) { lock.broadcast() }
        }
    }

    /// Seals partial batches older than `flushInterval`; returns the monotonic time of the next
    /// one due (or one interval from now).
    func sealExpiredLocked(now: UInt64) -> UInt64 {
        let interval = Self.nanos(options.flushInterval)
        var next = now &+ interval
        var queued = false
        for stream in streams {
            guard let open = stream.open else { continue }
            let due = open.createdNanos &+ interval
            if due <= now {
                queued = sealLocked(stream) || queued
            } else {
                next = min(next, due)
            }
        }
        if queued { lock.broadcast() }
        return next
    }

    static func nanos(_ seconds: Double) -> UInt64 {
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return UInt64(min(seconds, 1e9) * 1e9)
    }
}

/// A registered stream and its partial batch.
final class StreamState {
    let name: String
    var authKey: String?
    var open: OpenBatch?

    init(name: String, authKey: String?) {
        self.name = name
        self.authKey = authKey
    }
}

/// A batch being filled: event bytes back to back, their ends and tokens.
final class OpenBatch {
    let storage: ByteBuffer
    var ends: [Int] = []
    var runs: [TokenRun] = []
    /// Length of the `data` text so far: `[` and `]` plus, per event, its escaped text, quotes and comma.
    var dataBytes = 1
    let createdNanos = Clock.nanos()

    init(capacity: Int) {
        storage = ByteBuffer(capacity: capacity)
    }

    var count: Int { ends.count }

    func append(_ event: UnsafeRawBufferPointer, size: Int, token: UInt64) {
        storage.append(event)
        ends.append(storage.count)
        storage.append(UInt8(ascii: "\n"))
        runs.appendToken(token)
        dataBytes += size
    }
}

/// First-in first-out queue of sealed batches.
struct BatchQueue {
    private var items: [EventBatch?] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }

    mutating func push(_ batch: EventBatch) {
        items.append(batch)
    }

    mutating func pop() -> EventBatch? {
        guard head < items.count else { return nil }
        let batch = items[head]
        items[head] = nil
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return batch
    }
}
