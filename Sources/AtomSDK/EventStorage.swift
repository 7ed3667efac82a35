/// One event waiting in an `EventStorage` until the tracker puts it into a batch.
public struct StoredEvent: Sendable, Equatable {
    /// The stream (Atom table) the event goes to.
    public var stream: String
    /// The event's JSON text, sent as given.
    public var data: String
    /// The caller's token, handed back in the report of the batch that settles the event.
    public var token: UInt64

    /// An event of `stream` with its JSON text and the caller's token.
    public init(stream: String, data: String, token: UInt64 = 0) {
        self.stream = stream
        self.data = data
        self.token = token
    }
}

/// The backlog of a `Tracker`: events that `track` accepted and that are not in a batch yet,
/// kept per stream in the order they were added (as `EventStorage` in the official SDKs).
///
/// The tracker calls it under its own lock, one call at a time, from the threads that call
/// `track` and from its workers: an implementation needs locking only for other users of it.
/// Events leave the storage when the tracker copies them into a batch (`get`, then `remove`),
/// which happens once a stream has a full batch, its oldest event is `flushInterval` old, or
/// `flush` is called, and only while the tracker holds fewer than `batchPoolSize` batches.
/// So while the endpoint is slow or down, events wait here.
///
/// A tracker takes out only the events it added itself; events a storage already holds when it
/// is given to a tracker are left alone.
public protocol EventStorage: AnyObject, Sendable {
    /// Appends `event` to the queue of `event.stream`.
    /// - Returns: false when there is no room. The tracker then waits for room (a blocking
    ///   tracker) or for at most `enqueueTimeout` (a non-blocking one, then `track` throws
    ///   `backlogFull`); an empty storage that refuses an event makes `track` throw at once.
    func add(_ event: StoredEvent) -> Bool

    /// The oldest event of `stream`, left in place; nil when the stream has none.
    func get(stream: String) -> StoredEvent?

    /// Removes the oldest event of `stream` (the one `get` returns); nothing when it has none.
    func remove(stream: String)

    /// Whether no stream holds an event.
    var isEmpty: Bool { get }
}
