import Glibc

/// Settings of the HTTP client shared by `AtomHTTPTransport` and `AtomClient`.
///
/// Proxies come from the environment unless set here: `HTTP_PROXY` for http:// endpoints,
/// `HTTPS_PROXY` for https:// ones (through a CONNECT tunnel), `ALL_PROXY` for both when the
/// other is unset, and `NO_PROXY` for hosts reached directly; each name also in lowercase, which
/// wins when both are set.
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
    /// Proxy URL for http:// endpoints (`http://host:port`); nil or empty: none.
    public var httpProxy: String?
    /// Proxy URL for https:// endpoints; nil or empty: none.
    public var httpsProxy: String?
    /// Hosts reached without a proxy: comma-separated names (a name also covers its
    /// subdomains), IP addresses, or `*` for all.
    public var noProxy: String?

    /// The defaults, with the proxies of the process environment.
    public init() {
        self.init(environment: Self.proxyVariables.reduce(into: [:]) { found, name in
            if let value = getenv(name) { found[name] = String(cString: value) }
        })
    }

    /// The defaults, with the proxies of `environment` (names as in the process environment).
    public init(environment: [String: String]) {
        func lookup(_ name: String) -> String? {
            for key in [name.lowercased(), name] {
                if let value = environment[key], !value.isEmpty { return value }
            }
            return nil
        }
        let all = lookup("ALL_PROXY")
        httpProxy = lookup("HTTP_PROXY") ?? all
        httpsProxy = lookup("HTTPS_PROXY") ?? all
        noProxy = lookup("NO_PROXY")
    }

    private static let proxyVariables = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
                                         "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"]

    /// The proxy for `url` by its scheme ("" for none).
    func proxy(for url: String) -> String {
        let secure = url.utf8.starts(with: "https:".utf8) || url.utf8.starts(with: "HTTPS:".utf8)
        return (secure ? httpsProxy : httpProxy) ?? ""
    }
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
