import AtomBase

/// The answer to one `AtomClient` request.
public struct AtomResponse: Sendable {
    /// The HTTP status, or -1 when no response came (connection error, timeout).
    public let status: Int
    /// The response body as text.
    public let body: String
    /// Why the request failed: the transfer error, or the body of a non-2xx answer; nil on success.
    public let error: String?
}

/// The low-level Atom client, as in the official SDKs: one request per call, on the caller's thread.
public final class AtomClient: Sendable {
    /// The endpoint as given.
    public let endpoint: String
    /// The default HMAC key, used when a call names none.
    public let authKey: String?
    private let session: CurlSession

    /// - Parameters:
    ///   - endpoint: the Atom base URL.
    ///   - authKey: the default stream key; nil or empty sends no `auth`.
    ///   - options: timeouts, TLS and compression settings.
    public init(endpoint: String = "https://track.atom-data.io/", authKey: String? = nil,
                options: HTTPOptions = .init()) {
        self.endpoint = endpoint
        self.authKey = authKey
        self.session = CurlSession(options: options)
    }

    /// Sends one event (`data`, JSON text sent as given) to `stream`.
    /// - Parameters:
    ///   - method: `.post` sends the JSON body; `.get` sends it base64 in the `data` query parameter.
    ///   - authKey: this call's key, overriding the client's default.
    public func putEvent(stream: String, data: String, method: HTTPMethod = .post,
                         authKey: String? = nil) -> AtomResponse {
        let body = AtomWire.singleBody(stream: stream, data: data, authKey: authKey ?? self.authKey)
        switch method {
        case .post:
            return send(url: endpoint, body: body)
        case .get:
            let separator = endpoint.contains("?") ? "&" : "?"
            return send(url: endpoint + separator + AtomWire.getQuery(body: body), body: nil)
        }
    }

    /// Sends `events` (each JSON text, sent as given) to `stream` in one bulk request.
    public func putEvents(stream: String, events: [String], authKey: String? = nil) -> AtomResponse {
        let body = AtomWire.bulkBody(stream: stream, events: events, authKey: authKey ?? self.authKey)
        return send(url: AtomHTTPTransport.join(endpoint, "bulk"), body: body)
    }

    private func send(url: String, body: [UInt8]?) -> AtomResponse {
        let result = session.withHandle { handle in
            if let body {
                return body.withUnsafeBytes { handle.perform(url: url, body: $0) }
            }
            return handle.perform(url: url, body: nil)
        }
        guard let result else {
            return AtomResponse(status: -1, body: "", error: "libcurl could not create a handle")
        }
        guard let status = result.status else {
            return AtomResponse(status: -1, body: "", error: result.error ?? "no response")
        }
        let error = (200..<300).contains(status)
            ? nil : AtomHTTPTransport.describe(status: status, body: result.body)
        return AtomResponse(status: status, body: result.body, error: error)
    }
}
