/// Delivers sealed batches somewhere: the Atom endpoint, files, or a test double.
public protocol Transport: Sendable {
    /// Sends one batch (all events of `batch.stream`); called on a tracker worker thread; may block.
    func send(_ batch: EventBatch) -> TransportResult
}

/// What became of one attempt to send a batch.
public enum TransportResult: Sendable, Equatable {
    /// Accepted (2xx).
    case delivered
    /// Try again later: 5xx, 408, 429, timeouts, connection errors. `retryAfter` is the server's
    /// `Retry-After` in seconds, when it sent one.
    case retry(status: Int?, reason: String, retryAfter: Double?)
    /// 413: the tracker splits the batch and retries the halves.
    case tooLarge
    /// Other 4xx: not retried; the error callback fires and the batch is dead-lettered.
    case rejected(status: Int, reason: String)
}
