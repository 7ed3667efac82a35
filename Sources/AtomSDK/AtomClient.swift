import AtomBase

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

    /// Sends one event given as a value, JSON-encoded (`AtomJSON.encode`), like `putEvent` with
    /// its text; an encoding failure is answered with `.encoding` and nothing is sent.
    public func putEvent<T: Encodable>(stream: String, data: T, method: HTTPMethod = .post,
                                       authKey: String? = nil) -> AtomResponse {
        do {
            return putEvent(stream: stream, data: try AtomJSON.encode(data), method: method, authKey: authKey)
        } catch {
            return AtomResponse(status: -1, body: "", error: .encoding(error.message))
        }
    }

    /// Sends one event given as a dictionary, JSON-encoded (`AtomJSON.encode(dictionary:)`).
    public func putEvent(stream: String, data: [String: Any], method: HTTPMethod = .post,
                         authKey: String? = nil) -> AtomResponse {
        do {
            return putEvent(stream: stream, data: try AtomJSON.encode(dictionary: data), method: method,
                            authKey: authKey)
        } catch {
            return AtomResponse(status: -1, body: "", error: .encoding(error.message))
        }
    }

    /// Sends `events` (each JSON text, sent as given) to `stream` in one bulk request.
    public func putEvents(stream: String, events: [String], authKey: String? = nil) -> AtomResponse {
        let body = AtomWire.bulkBody(stream: stream, events: events, authKey: authKey ?? self.authKey)
        return send(url: AtomHTTPTransport.join(endpoint, "bulk"), body: body)
    }

    /// Sends `events` given as values, each JSON-encoded, in one bulk request.
    public func putEvents<T: Encodable>(stream: String, events: [T], authKey: String? = nil) -> AtomResponse {
        do {
            var texts: [String] = []
            texts.reserveCapacity(events.count)
            for event in events { texts.append(try AtomJSON.encode(event)) }
            return putEvents(stream: stream, events: texts, authKey: authKey)
        } catch {
            return AtomResponse(status: -1, body: "", error: .encoding(error.message))
        }
    }

    /// Sends `events` given as dictionaries, each JSON-encoded, in one bulk request.
    public func putEvents(stream: String, events: [[String: Any]], authKey: String? = nil) -> AtomResponse {
        do {
            var texts: [String] = []
            texts.reserveCapacity(events.count)
            for event in events { texts.append(try AtomJSON.encode(dictionary: event)) }
            return putEvents(stream: stream, events: texts, authKey: authKey)
        } catch {
            return AtomResponse(status: -1, body: "", error: .encoding(error.message))
        }
    }

    private func send(url: String, body: [UInt8]?) -> AtomResponse {
        let result = session.withHandle { handle in
            if let body {
                return body.withUnsafeBytes { handle.perform(url: url, body: $0) }
            }
            return handle.perform(url: url, body: nil)
        }
        guard let result else {
            let reason = AtomHTTPTransport.unavailableReason ?? "libcurl could not create a handle"
            return AtomResponse(status: -1, body: "", error: .connection(reason))
        }
        guard let status = result.status else {
            let message = result.error ?? "no response"
            return AtomResponse(status: -1, body: "", error: result.timedOut ? .timeout(message) : .connection(message))
        }
        let error: AtomError? = (200..<300).contains(status)
            ? nil : .http(status: status, message: AtomHTTPTransport.describe(status: status, body: result.body))
        return AtomResponse(status: status, body: result.body, error: error)
    }
}
