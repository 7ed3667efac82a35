/// A stream registered with a `Tracker` (`Tracker.stream(named:authKey:)`).
public struct StreamID: Hashable, Sendable {
    /// Index of the stream in its tracker, in registration order.
    public let rawValue: Int

    init(rawValue: Int) {
        self.rawValue = rawValue
    }
}

/// Why `Tracker.track` did not accept events.
public enum TrackerError: Error, Sendable, CustomStringConvertible {
    /// Non-blocking mode: the backlog (or the storage) stayed full for `enqueueTimeout`; or the
    /// storage refused an event while empty, so that no room could ever come.
    case backlogFull(stream: String)
    /// The tracker is stopping or stopped.
    case stopped
    /// The data could not be encoded as JSON (a non-finite number, a value of no JSON type).
    case notJSON(stream: String, reason: String)

    public var description: String {
        switch self {
        case .backlogFull(let stream):
            "the backlog stayed full until the enqueue timeout: event not tracked (stream \(stream))"
        case .stopped: "the tracker is stopped"
        case .notJSON(let stream, let reason):
            "the data cannot be encoded as JSON: \(reason) (stream \(stream))"
        }
    }
}

/// How a batch settled.
public enum BatchOutcome: Sendable, Equatable {
    /// The endpoint accepted it.
    case delivered
    /// Written to the dead-letter file (when one is set): a 4xx other than 408/413/429, an event
    /// above the hard limit, or retries given up. `status` is the last HTTP status, if any.
    case deadLettered(status: Int?, reason: String)
}

/// One settled batch, reported exactly once (split halves are reported each on their own).
public struct BatchReport: Sendable {
    /// The stream the batch belonged to.
    public let stream: String
    /// Number of events.
    public let events: Int
    /// The events' tokens, run-length encoded in event order.
    public let tokens: [TokenRun]
    /// Delivered or dead-lettered.
    public let outcome: BatchOutcome
    /// Requests made for this batch (0 when it was refused without sending).
    public let attempts: Int

    public init(stream: String, events: Int, tokens: [TokenRun], outcome: BatchOutcome, attempts: Int) {
        self.stream = stream
        self.events = events
        self.tokens = tokens
        self.outcome = outcome
        self.attempts = attempts
    }
}

/// Same arguments as the official SDKs' error callback, for a rejected or given-up batch.
public struct DeliveryError: Sendable {
    /// When the batch was given up (seconds since the Unix epoch).
    public let unixTime: Double
    /// The last HTTP status, nil when there was no response.
    public let status: Int?
    /// Why the batch failed.
    public let message: String
    /// The `data` string that was sent: the JSON array of the events' JSON strings.
    public let data: String
    /// The stream.
    public let stream: String

    public init(unixTime: Double, status: Int?, message: String, data: String, stream: String) {
        self.unixTime = unixTime
        self.status = status
        self.message = message
        self.data = data
        self.stream = stream
    }
}

/// Running totals of a tracker, for metrics.
public struct TrackerCounters: Sendable, Equatable {
    /// Events accepted by `track`.
    public var accepted = 0
    /// Requests made (every try of every batch).
    public var sent = 0
    /// Events delivered.
    public var delivered = 0
    /// Tries that failed and were retried.
    public var retried = 0
    /// Events dead-lettered.
    public var deadLettered = 0
    /// Batches split in halves after a 413.
    public var split = 0
    /// Batches taken by a worker and not yet settled.
    public var batchesInFlight = 0
    /// Events refused by `track` (backlog full, tracker stopped) or left unsettled by `stop`.
    public var dropped = 0
    /// The last failure: a retried or dead-lettered try's reason, with its stream.
    public var lastError: String?

    public init() {}
}
