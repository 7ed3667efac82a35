import AtomBase

/// Sends batches to an Atom endpoint as bulk requests (`POST {endpoint}bulk`) through libcurl.
///
/// Easy handles live in a small pool, so each worker thread reuses a kept-alive connection.
public final class AtomHTTPTransport: Transport {
    /// The endpoint as given, e.g. `https://track.atom-data.io/`.
    public let endpoint: String
    private let bulkURL: String
    private let session: CurlSession

    /// - Parameters:
    ///   - endpoint: the Atom base URL; bulk requests go to `endpoint + "bulk"`.
    ///   - options: timeouts, TLS and compression settings.
    public init(endpoint: String, options: HTTPOptions = .init()) {
        self.endpoint = endpoint
        self.bulkURL = AtomHTTPTransport.join(endpoint, "bulk")
        self.session = CurlSession(options: options)
    }

    /// Why HTTP delivery cannot work on this host (libcurl is missing or broken), or nil when it
    /// can. libcurl is loaded on first use; a program checks this before it starts delivering.
    public static var unavailableReason: String? {
        if case .failure(let error) = CurlLibrary.shared { return error.message }
        return nil
    }

    /// Sends `batch` as one bulk request and maps the answer (DESIGN: 2xx delivered; 5xx, 408,
    /// 429 and transfer errors retried; 413 split; other statuses rejected).
    public func send(_ batch: EventBatch) -> TransportResult {
        let result = session.withHandle { handle in
            handle.body.removeAll()
            AtomWire.bulkBody(batch, into: handle.body, scratch: handle.scratch)
            return handle.perform(url: bulkURL, body: handle.body.bytes)
        }
        guard let result else {
            let reason = Self.unavailableReason ?? "libcurl could not create a handle"
            return .retry(status: nil, reason: reason, retryAfter: nil)
        }
        return Self.map(result)
    }

    /// The transport result for one HTTP exchange.
    static func map(_ result: HTTPResult) -> TransportResult {
        guard let status = result.status else {
            return .retry(status: nil, reason: result.error ?? "no response", retryAfter: nil)
        }
        let reason = describe(status: status, body: result.body)
        switch status {
        case 200..<300: return .delivered
        case 413: return .tooLarge
        case 408, 429, 500..<600:
            return .retry(status: status, reason: reason, retryAfter: result.retryAfter)
        default: return .rejected(status: status, reason: reason)
        }
    }

    static func describe(status: Int, body: String) -> String {
        let trimmed = body.trimmingCharacters(in: " \t\r\n")
        if trimmed.isEmpty { return "HTTP \(status)" }
        return "HTTP \(status): " + String(trimmed.prefix(300))
    }

    /// `base` + `path`, with exactly one slash between them.
    static func join(_ base: String, _ path: String) -> String {
        base.hasSuffix("/") ? base + path : base + "/" + path
    }
}
