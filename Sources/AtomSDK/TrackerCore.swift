import AtomBase

/// The shared state of a `Tracker`: streams, the event storage, the queue of sealed batches and
/// the backlog bounds. Workers and the timer thread hold this object, not the `Tracker`, so
/// dropping the tracker can stop them.
final class TrackerCore: @unchecked Sendable {
    // Safe: every `var` below is only read or written while `lock` is held; the `let`s are
    // immutable and Sendable (the storage is called under `lock` only).
    let options: TrackerOptions
    let transport: any Transport
    let deadLetters: DeadLetterWriter?
    let storage: any EventStorage
    let logger: Logger
    /// `options.debug` with a logger that writes debug lines: log every request.
    let logRequests: Bool
    let onReport: @Sendable (BatchReport) -> Void
    let onError: (@Sendable (DeliveryError) -> Void)?
    let random: @Sendable () -> Double
    let lock = ConditionLock()
    /// The flush timer's own condition (see `timerLoop`), and whether it must end.
    let timerWake = ConditionLock()
    var timerStopped = false

    var streams: [StreamState] = []
    private var streamIDs: [String: Int] = [:]
    /// The stream `track(stream:data:)` named last: a caller tracking to one stream skips the
    /// dictionary lookup (hashing the name) for every event.
    private var lastNamed: StreamState?
    /// Sealed batches waiting for a worker.
    var queue = FIFO<EventBatch>()
    /// Batches a worker took and has not settled (a 413's halves replace their batch).
    var inFlight: [ObjectIdentifier: EventBatch] = [:]
    /// Events and bytes accepted and not yet settled (stored, queued or in flight).
    var backlogEvents = 0
    var backlogBytes = 0
    var counters = TrackerCounters()
    /// `track` calls waiting for room: partial batches are then sealed as soon as the pool allows.
    var roomWaiters = 0
    /// A stream holds a full batch that the pool had no room for: workers seal it when they can.
    var sealDeferred = false
    /// Tries that failed and were retried, per stream.
    var retriesByStream: [String: Int] = [:]
    /// `stop` began: `track` refuses, workers drain what is left.
    var stopping = false
    /// Workers and the timer exit; nothing more is reported.
    var shutdown = false
    /// Report and error callbacks running now; `stop` waits for them to end.
    var callbacksRunning = 0

    init(options: TrackerOptions, transport: any Transport, deadLetters: DeadLetterWriter?,
         storage: (any EventStorage)?, logger: Logger, onReport: @escaping @Sendable (BatchReport) -> Void,
         onError: (@Sendable (DeliveryError) -> Void)?) {
        let options = options.normalized
        self.options = options
        self.transport = transport
        self.deadLetters = deadLetters
        self.storage = storage
            ?? MemoryEventStorage(maxEvents: options.backlogEvents, maxBytes: options.backlogBytes)
        let logger = options.debug && logger === Logger.disabled ? Logger(level: .debug) : logger
        self.logger = logger
        logRequests = options.debug && logger.enabled(.debug)
        self.onReport = onReport
        self.onError = onError
        self.random = options.random ?? { Double.random(in: 0..<1) }
    }

    // MARK: Streams

    func stream(named name: String, authKey: String?) -> StreamID {
        lock.withLock { StreamID(rawValue: streamIndexLocked(name, authKey: authKey)) }
    }

    /// The index of stream `name`, registering it on first use. A later key fills in a missing one;
    /// a stream registered without any key takes `options.authKey`.
    func streamIndexLocked(_ name: String, authKey: String?) -> Int {
        if let last = lastNamed, last.name == name, authKey == nil || last.authKey?.isEmpty == false {
            return last.index
        }
        if let index = streamIDs[name] {
            lastNamed = streams[index]
            if streams[index].authKey?.isEmpty ?? true, let authKey, !authKey.isEmpty {
                streams[index].authKey = authKey
            }
            return index
        }
        let key = authKey.flatMap { $0.isEmpty ? nil : $0 } ?? options.authKey
        let stream = StreamState(index: streams.count, name: name, authKey: key)
        streams.append(stream)
        streamIDs[name] = stream.index
        lastNamed = stream
        return streams.count - 1
    }

    /// Events accepted and not settled, per stream name.
    var backlogByStream: [String: Int] {
        lock.withLock {
            var depths: [String: Int] = [:]
            for stream in streams { depths[stream.name] = stream.unsettled }
            return depths
        }
    }

    func streamState(named name: String) -> StreamState? {
        streamIDs[name].map { streams[$0] }
    }

    // MARK: Tracking

    /// Stores every event of `slab` (copying the bytes), one after the other as `track` would.
    func track(_ slab: EventSlab, to id: StreamID) throws(TrackerError) {
        let count = slab.count
        guard count > 0 else { return }
        let tokens = slab.tokens

        lock.lock()
        defer { lock.unlock() }
        precondition(streams.indices.contains(id.rawValue), "StreamID from another tracker")
        let stream = streams[id.rawValue]
        do throws(TrackerError) {
            try admitLocked(events: count, bytes: slab.byteCount, stream: stream)
        } catch {
            counters.dropped += count
            throw error
        }

        var run = 0
        var leftInRun = tokens.first?.count ?? 0
        for index in 0..<count {
            while leftInRun == 0 {
                run += 1
                leftInRun = tokens[run].count
            }
            leftInRun -= 1
            let event = slab.event(at: index)
            do throws(TrackerError) {
                try addLocked(event, text: nil, size: slab.escapedSize(at: index) + 3,
                              token: tokens[run].token, to: stream)
            } catch {
                // Only a custom storage can refuse here (the default one is bounded as the backlog).
                for rest in index..<count { releaseLocked(events: 1, bytes: slab.event(at: rest).count + 1, stream) }
                counters.dropped += count - index
                throw error
            }
        }
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
            try admitLocked(events: count, bytes: slab.byteCount, stream: stream)
        } else {
            // The producer checks `hasRoom` before it reads more, so it can keep discovering files
            // while the backlog is full; what it already read is admitted over the bound.
            if stopping { throw .stopped }
            countInLocked(events: count, bytes: slab.byteCount, stream)
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
        if stream.pending > 0 { sealAllPendingLocked(stream) }
        let taken = slab.take()
        queue.push(EventBatch(stream: stream.name, authKey: stream.authKey, storage: taken.storage,
                              ends: taken.ends, range: 0..<count, tokens: taken.runs, dataBytes: taken.dataBytes))
        lock.broadcast()
    }

    /// One event given as JSON text, sent as is.
    func track(stream name: String, data: String, authKey: String?, token: UInt64) throws(TrackerError) {
        var text = data
        let outcome: Result<Void, TrackerError> = text.withUTF8 { raw in
            let event = UnsafeRawBufferPointer(raw)
            let size = AtomWire.escapedLength(event) + 3
            lock.lock()
            defer { lock.unlock() }
            let stream = streams[streamIndexLocked(name, authKey: authKey)]
            do throws(TrackerError) {
                try admitLocked(events: 1, bytes: event.count + 1, stream: stream)  // stored with its line feed
            } catch {
                counters.dropped += 1
                return .failure(error)
            }
            do throws(TrackerError) {
                try addLocked(event, text: data, size: size, token: token, to: stream)
            } catch {
                releaseLocked(events: 1, bytes: event.count + 1, stream)
                counters.dropped += 1
                return .failure(error)
            }
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

    /// The deadline of a wait for room: none when blocking, `enqueueTimeout` from now when not.
    private var roomDeadline: UInt64? {
        options.blocking ? nil : Clock.nanos() &+ Self.nanos(options.enqueueTimeout)
    }

    /// Waits for the condition until `deadline` (forever when nil), counted as a waiter for room so
    /// that partial batches are sealed for it. False when the deadline has passed.
    private func waitForRoomLocked(until deadline: UInt64?) -> Bool {
        roomWaiters += 1
        defer { roomWaiters -= 1 }
        if sealPendingLocked(partial: true) { lock.broadcast() }
        if let deadline {
            if Clock.nanos() >= deadline { return false }
            lock.wait(untilNanos: deadline)
        } else {
            lock.wait()
        }
        return true
    }

    /// Waits until `events`/`bytes` fit in the backlog (an empty backlog takes anything), then
    /// counts them in.
    private func admitLocked(events: Int, bytes: Int, stream: StreamState) throws(TrackerError) {
        let deadline = roomDeadline
        while true {
            if stopping { throw .stopped }
            if backlogEvents == 0 || (backlogEvents + events <= options.backlogEvents
                                      && backlogBytes + bytes <= options.backlogBytes) {
                break
            }
            if !waitForRoomLocked(until: deadline) { throw .backlogFull(stream: stream.name) }
        }
        countInLocked(events: events, bytes: bytes, stream)
    }

    private func countInLocked(events: Int, bytes: Int, _ stream: StreamState) {
        backlogEvents += events
        backlogBytes += bytes
        stream.unsettled += events
        counters.accepted += events
    }

    /// Takes back what `admitLocked` counted in, for events that were not stored after all.
    func releaseLocked(events: Int, bytes: Int, _ stream: StreamState) {
        backlogEvents -= events
        backlogBytes -= bytes
        stream.unsettled -= events
        counters.accepted -= events
        lock.broadcast()
    }

    /// Adds one admitted event (`size`: its share of the `data` text) to the storage, sealing the
    /// stream's batch before it when the event would not fit, and after it when the batch is full.
    /// - Parameter text: the event as a String when the caller has one (saves a copy).
    private func addLocked(_ event: UnsafeRawBufferPointer, text: String?, size: Int, token: UInt64,
                           to stream: StreamState) throws(TrackerError) {
        if event.count > options.hardEventLimit {
            queue.push(refusedBatch(event, size: size, token: token, stream: stream))
            lock.broadcast()
            return
        }
        var queued = false
        if stream.pending > 0 && 1 + stream.pendingData + size > options.batchBytes && poolHasRoom {
            queued = sealOneLocked(stream)
        }

        let stored = StoredEvent(stream: stream.name, data: text ?? String(decoding: event, as: UTF8.self),
                                 token: token)
        let deadline = roomDeadline
        while !storage.add(stored) {
            if queued { lock.broadcast() }
            queued = false
            if stopping { throw .stopped }
            if storage.isEmpty { throw .backlogFull(stream: stream.name) }  // no room will ever come
            if !waitForRoomLocked(until: deadline) { throw .backlogFull(stream: stream.name) }
        }
        if stream.pending == 0 { stream.pendingSince = Clock.nanos() }
        stream.pending += 1
        stream.pendingData += size
        stream.pendingBytes += event.count + 1

        if stream.hasFullBatch(options) {
            if poolHasRoom {
                queued = sealOneLocked(stream) || queued
            } else {
                sealDeferred = true
            }
        }
        if queued { lock.broadcast() }
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

    static func nanos(_ seconds: Double) -> UInt64 {
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return UInt64(min(seconds, 1e9) * 1e9)
    }
}

/// A registered stream: its key, and what it has in the storage and in the backlog.
final class StreamState {
    let index: Int
    let name: String
    var authKey: String?
    /// Events of this stream in the storage (added and not yet taken into a batch).
    var pending = 0
    /// Their share of a `data` text: per event its escaped length, two quotes and a comma.
    var pendingData = 0
    /// Their bytes as JSON lines (each with its line feed).
    var pendingBytes = 0
    /// When the oldest of them was added (monotonic); a batch cut from the front keeps it.
    var pendingSince: UInt64 = 0
    /// Events accepted and not yet settled (stored, queued or in flight).
    var unsettled = 0

    init(index: Int, name: String, authKey: String?) {
        self.index = index
        self.name = name
        self.authKey = authKey
    }

    /// Whether the pending events make at least one full batch.
    func hasFullBatch(_ options: TrackerOptions) -> Bool {
        pending >= options.batchSize || 1 + pendingData >= options.batchBytes
    }
}
