/// Settings of the HTTP client shared by `AtomHTTPTransport` and `AtomClient`.
///
/// Proxies come from the environment (`http_proxy`, `https_proxy`, `no_proxy`), read by libcurl.
public struct HTTPOptions: Sendable {
    /// Seconds allowed for the TCP (and TLS) connection.
    public var connectTimeout: Double = 10
    /// Seconds allowed for the whole request, connection included.
    public var requestTimeout: Double = 30
    /// A PEM file of CA certificates to trust instead of the system's.
    public var caBundle: String?
    /// Skips TLS certificate and host name checks (testing only).
    public var insecure = false
    /// Compresses request bodies with gzip (`Content-Encoding: gzip`).
    public var gzip = false
    /// The `User-Agent` header.
    public var userAgent = "atom-swift/\(AtomSDKInfo.version)"

    public init() {}
}

/// How `AtomClient.putEvent` sends a single event.
public enum HTTPMethod: Sendable, Equatable {
    /// The body's JSON, base64-encoded, in the `data` query parameter.
    case get
    /// The body's JSON as the request body.
    case post
}

/// Identity of this SDK in the `x-ironsource-atom-sdk-*` headers.
public enum AtomSDKInfo {
    /// Sent as `x-ironsource-atom-sdk-type`.
    public static let type = "atom-swift"
    /// Sent as `x-ironsource-atom-sdk-version`.
    public static let version = "1.0.0"
}
