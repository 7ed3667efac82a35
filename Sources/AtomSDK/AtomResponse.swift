/// Why an `AtomClient` request did not succeed.
public enum AtomError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The endpoint answered with a status outside 2xx; `message` is the status and the start of
    /// the body (`HTTP 401: {"error":"..."}`).
    case http(status: Int, message: String)
    /// No answer: the connection was refused or reset, the name did not resolve, TLS failed
    /// (libcurl's message).
    case connection(String)
    /// No answer within the connect or request timeout.
    case timeout(String)
    /// The data could not be encoded as JSON; nothing was sent.
    case encoding(String)

    public var description: String {
        switch self {
        case .http(_, let message): message
        case .connection(let message): "connection failed: \(message)"
        case .timeout(let message): "timed out: \(message)"
        case .encoding(let message): "not JSON: \(message)"
        }
    }
}

/// The answer to one `AtomClient` request.
public struct AtomResponse: Sendable, Equatable {
    /// The HTTP status, or -1 when no response came (connection error, timeout, encoding error).
    public let status: Int
    /// The response body as text (at most 64 KiB of it).
    public let body: String
    /// Why the request failed; nil on a 2xx answer.
    public let error: AtomError?

    /// An answer (for transports and tests that build one).
    public init(status: Int, body: String, error: AtomError?) {
        self.status = status
        self.body = body
        self.error = error
    }

    /// Whether the endpoint accepted the request (2xx).
    public var isSuccess: Bool { error == nil && (200..<300).contains(status) }
}
