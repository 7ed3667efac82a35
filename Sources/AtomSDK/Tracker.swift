import AtomBase

/// Batches events per stream and delivers them through a `Transport` with a pool of worker threads.
///
/// A stream's events are cut into batches at `batchSize` events or `batchBytes` of request data,
/// and a partial batch is sent once it is `flushInterval` old. Failed sends are retried with
/// exponential backoff and full jitter; a 413 splits the batch; other 4xx answers, events above
/// `hardEventLimit` and (when not retrying forever) exhausted retries go to the dead-letter file.
/// Every settled batch is reported once through `onReport`, with its tokens, so a caller can move
/// its checkpoints. No callback runs after `stop` has returned.
public final class Tracker: Sendable {
    let core: TrackerCore

    /// Creates the tracker and starts its worker and timer threads.
    /// - Parameters:
    ///   - options: batching, backlog and retry settings.
    ///   - transport: where batches go.
    ///   - deadLetters: where undeliverable batches are written; nil only logs them.
    ///   - storage: the backlog of events not yet in a batch; nil keeps a `MemoryEventStorage`
    ///     bounded per stream by `backlogEvents` and `backlogBytes`.
    ///   - logger: receives retries, splits and dead letters (and, with `options.debug`, each
    ///     request).
    ///   - onReport: called once per settled batch, on a worker thread (workers may call it at the
    ///     same time). A batch counts as pending until its report returns, so `waitUntilIdle`
    ///     and `stop` see every report first. It must not call `track` or `stop`.
    ///   - onError: called once per rejected or given-up batch, before its report.
    public init(options: TrackerOptions, transport: any Transport, deadLetters: DeadLetterWriter?,
                storage: (any EventStorage)? = nil, logger: Logger = .disabled,
                onReport: @escaping @Sendable (BatchReport) -> Void = { _ in },
                onError: (@Sendable (DeliveryError) -> Void)? = nil) {
        core = TrackerCore(options: options, transport: transport, deadLetters: deadLetters, storage: storage,
                           logger: logger, onReport: onReport, onError: onError)
        core.start()
    }

    /// A tracker that sends to an Atom endpoint over HTTP (`AtomHTTPTransport`), as the official
    /// SDKs' trackers do; the other parameters are as above.
    /// - Parameters:
    ///   - endpoint: the Atom base URL; bulk requests go to `endpoint + "bulk"`.
    ///   - http: timeouts, TLS, proxy and compression settings.
    public convenience init(endpoint: String = "https://track.atom-data.io/", http: HTTPOptions = .init(),
                            options: TrackerOptions = .init(), deadLetters: DeadLetterWriter? = nil,
                            storage: (any EventStorage)? = nil, logger: Logger = .disabled,
                            onReport: @escaping @Sendable (BatchReport) -> Void = { _ in },
                            onError: (@Sendable (DeliveryError) -> Void)? = nil) {
        self.init(options: options, transport: AtomHTTPTransport(endpoint: endpoint, options: http),
                  deadLetters: deadLetters, storage: storage, logger: logger, onReport: onReport, onError: onError)
    }

    deinit { core.shutdownNow() }

    /// Registers a stream once; the same name returns the same id. A key given for a stream that
    /// has none is adopted; a second, different key is ignored.
    public func stream(named: String, authKey: String?) -> StreamID {
        core.stream(named: named, authKey: authKey)
    }

    /// Appends every event of `slab` to the stream (copying the bytes), cutting batches at
    /// batchSize/batchBytes. Blocks while the backlog is over its bounds (blocking mode). The
    /// caller may reuse the slab after return. The slab is admitted to the backlog whole or not at
    /// all; only a custom storage that refuses an event part-way keeps the events before it.
    /// - Throws: `.backlogFull` when not blocking and no room came within `enqueueTimeout`;
    ///   `.stopped` once `stop` has begun.
    public func track(_ slab: EventSlab, to stream: StreamID) throws(TrackerError) {
        try core.track(slab, to: stream)
    }

    /// One event, as the official SDKs' track(stream, data): data is sent as given (must be JSON
    /// text). An unknown stream is registered with `authKey`.
    /// - Throws: as `track(_:to:)`.
    public func track(stream: String, data: String, authKey: String? = nil,
                      token: UInt64 = 0) throws(TrackerError) {
        try core.track(stream: stream, data: data, authKey: authKey, token: token)
    }

    /// Hands the slab's events over as one batch without copying them, when they fit
    /// `batchSize` and `batchBytes` (a producer that fills slabs up to `limits` makes them fit);
    /// otherwise they are tracked by copy and cut as `track(_:to:)` does. Blocks like `track` while
    /// the backlog is full. The slab is left empty (with a fresh buffer) either way.
    public func submit(_ slab: EventSlab, to stream: StreamID) throws(TrackerError) {
        try core.submit(slab, to: stream)
    }

    /// As `submit(_:to:)`, but never waits: the events are admitted even over the backlog bound.
    /// For a producer that checks `hasRoom` (or `waitForRoom`) before it makes more events, so that
    /// it is never stuck inside a call while the backlog is full.
    public func submitWithoutWaiting(_ slab: EventSlab, to stream: StreamID) throws(TrackerError) {
        try core.submit(slab, to: stream, waitForRoom: false)
    }

    /// Whether the backlog is below its bounds (events and bytes).
    public var hasRoom: Bool { core.hasRoom }

    /// Waits up to `timeout` seconds for the backlog to drop below its bounds; true when it did.
    public func waitForRoom(timeout: Double) -> Bool { core.waitForRoom(timeout: timeout) }

    /// The batch limits in force (after clamping): a producer building its own batches for
    /// `submit` cuts them at these.
    public var limits: (batchSize: Int, batchBytes: Int, flushInterval: Double) {
        (core.options.batchSize, core.options.batchBytes, core.options.flushInterval)
    }

    /// One event given as a value, JSON-encoded (`AtomJSON.encode`); otherwise as
    /// `track(stream:data:authKey:token:)` with its text.
    /// - Throws: `.notJSON` when the value cannot be encoded; otherwise as `track(_:to:)`.
    public func track<T: Encodable>(stream: String, data: T, authKey: String? = nil,
                                    token: UInt64 = 0) throws(TrackerError) {
        let text: String
        do {
            text = try AtomJSON.encode(data)
        } catch {
            throw .notJSON(stream: stream, reason: error.message)
        }
        try core.track(stream: stream, data: text, authKey: authKey, token: token)
    }

    /// One event given as a dictionary, JSON-encoded (`AtomJSON.encode(dictionary:)`).
    /// - Throws: `.notJSON` when a value has no JSON form; otherwise as `track(_:to:)`.
    public func track(stream: String, data: [String: Any], authKey: String? = nil,
                      token: UInt64 = 0) throws(TrackerError) {
        let text: String
        do {
            text = try AtomJSON.encode(dictionary: data)
        } catch {
            throw .notJSON(stream: stream, reason: error.message)
        }
        try core.track(stream: stream, data: text, authKey: authKey, token: token)
    }

    /// Seals every stream's pending events into batches now (sending is asynchronous); the
    /// `batchPoolSize` bound does not hold them back.
    public func flush() {
        core.flush()
    }

    /// Seals the stream's pending events into batches now (sending is asynchronous).
    public func flush(_ stream: StreamID) {
        core.flush(stream)
    }

    /// Seals and sends everything, waits up to `deadline` seconds for all batches to settle, stops
    /// the workers. Returns the number of events not settled by then (never reported).
    @discardableResult
    public func stop(deadline: Double) -> Int {
        stopReporting(deadline: deadline).reduce(0) { $0 + $1.count }
    }

    /// `stop(deadline:)`, returning the batches not settled by the deadline (each with its stream,
    /// key, events and tokens), so that the caller can keep them: the batches still queued, in the
    /// order they were sealed, then those a worker was sending or waiting to retry. A batch whose
    /// request was on the wire at the deadline may still have reached the endpoint.
    public func stopReporting(deadline: Double) -> [EventBatch] {
        core.stop(deadline: deadline)
    }

    /// Events accepted but not yet settled (partial, queued or in flight).
    public var pendingEvents: Int {
        core.lock.withLock { core.backlogEvents }
    }

    /// Waits until nothing is pending; true when that happened within `timeout` seconds.
    /// Partial batches wait for their interval: call `flush()` first to send them now.
    public func waitUntilIdle(timeout: Double) -> Bool {
        core.waitUntilIdle(timeout: timeout)
    }

    /// Whether sealed batches wait for a worker (every worker is busy).
    public var hasQueuedBatches: Bool {
        core.lock.withLock { !core.queue.isEmpty }
    }

    /// Events and bytes accepted and not yet settled (partial, queued or in flight).
    public var backlog: (events: Int, bytes: Int) {
        core.lock.withLock { (core.backlogEvents, core.backlogBytes) }
    }

    /// Tries that failed and were retried, per stream name.
    public var retriesByStream: [String: Int] {
        core.lock.withLock { core.retriesByStream }
    }

    /// Running totals: accepted, sent, delivered, retried, dead-lettered, dropped; batches in
    /// flight; the last error.
    public var counters: TrackerCounters {
        core.lock.withLock { core.counters }
    }

    /// Events accepted and not yet settled (stored, queued or in flight), per stream name, for
    /// every stream the tracker knows.
    public var backlogByStream: [String: Int] {
        core.backlogByStream
    }
}
