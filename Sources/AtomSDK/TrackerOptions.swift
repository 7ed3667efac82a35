/// Batching, backlog and retry settings of a `Tracker`.
public struct TrackerOptions: Sendable {
    /// Events per request.
    public var batchSize = 500
    /// Bytes of a request's `data` text (the JSON array of escaped events), clamped to ≤ 512 KiB.
    /// An event that alone exceeds it is sent in a batch of its own.
    public var batchBytes = 64 * 1024
    /// Seconds; a stream's partial batch older than this is sent.
    public var flushInterval: Double = 10
    /// Worker threads sending batches, so at most this many requests are in flight.
    public var workers = 2
    /// Sealed batches waiting for a worker, at most (the official SDKs' batch pool size). Beyond
    /// it, tracked events wait in the `EventStorage` until a worker takes a batch; `flush`,
    /// `stop` and `submit` seal regardless.
    public var batchPoolSize = 1000
    /// Bytes of events waiting or in flight across streams; `track` blocks beyond it. The default
    /// storage bounds each stream's queue by this too.
    public var backlogBytes = 4 << 20
    /// Events waiting or in flight across streams; `track` blocks beyond it. The default storage
    /// bounds each stream's queue by this too.
    public var backlogEvents = 500_000
    /// false: `track` waits at most `enqueueTimeout` for room, then throws `backlogFull`.
    public var blocking = true
    /// Seconds `track` waits for room when not `blocking`.
    public var enqueueTimeout: Double = 1
    /// Retries a failing batch until it is delivered (or the tracker stops).
    public var retryForever = true
    /// When not `retryForever`: retries after the first try, so at most `retryMaxCount + 1` tries.
    public var retryMaxCount = 10
    /// When not `retryForever`: seconds across all tries of one batch (waits included).
    public var retryMaxTime: Double = 1800
    /// Seconds; the delay before retry n (from 0) is random(0, min(backoffMax, backoffBase · 2ⁿ)),
    /// and at least the server's `Retry-After`.
    public var backoffBase: Double = 0.1
    /// Seconds; the cap of the backoff window.
    public var backoffMax: Double = 30
    /// Bytes; a larger event is dead-lettered at once with a reason, without being sent.
    public var hardEventLimit = 4 << 20
    /// The key of every stream registered without one (`stream(named:authKey:)`, `track`); nil
    /// or empty sends no `auth`.
    public var authKey: String?
    /// Logs every request (stream, events, bytes, result, attempt) at debug level; with no logger
    /// given to the tracker, on stderr.
    public var debug = false
    /// Returns a number in [0, 1) for the backoff jitter; nil uses the system generator.
    /// Tests inject a fixed sequence to know the exact delays.
    public var random: (@Sendable () -> Double)?
    /// Waits the given seconds between tries; nil waits on the tracker's own clock, cut short by
    /// `stop`. Tests inject one that records the delays instead of sleeping.
    public var sleep: (@Sendable (Double) -> Void)?

    public init() {}

    /// The largest `batchBytes` the public Atom SDKs allow.
    public static let maxBatchBytes = 512 * 1024

    /// These options with every value brought into its valid range.
    var normalized: TrackerOptions {
        var options = self
        options.batchSize = max(1, batchSize)
        options.batchBytes = min(max(1, batchBytes), Self.maxBatchBytes)
        options.flushInterval = flushInterval.isFinite ? max(0.001, flushInterval) : 10
        options.workers = min(max(1, workers), 256)
        options.batchPoolSize = max(1, batchPoolSize)
        options.backlogBytes = max(1, backlogBytes)
        options.backlogEvents = max(1, backlogEvents)
        options.enqueueTimeout = enqueueTimeout.isFinite ? max(0, enqueueTimeout) : 1
        options.retryMaxCount = max(0, retryMaxCount)
        options.retryMaxTime = retryMaxTime.isNaN ? 0 : max(0, retryMaxTime)
        options.backoffBase = backoffBase.isFinite ? max(0, backoffBase) : 0.1
        options.backoffMax = backoffMax.isFinite ? max(0, backoffMax) : 30
        options.hardEventLimit = max(1, hardEventLimit)
        return options
    }
}
