import AtomBase
import CCurl

/// What one HTTP exchange produced: a status, or a transfer error (connection, timeout).
struct HTTPResult: Sendable {
    var status: Int?
    var body: String
    var retryAfter: Double?
    var error: String?
    /// The transfer failed because a connect or request timeout ran out.
    var timedOut = false

    init(status: Int, body: String, retryAfter: Double?) {
        self.status = status
        self.body = body
        self.retryAfter = retryAfter
    }

    /// A transfer that got no response.
    init(failure: String, timedOut: Bool = false) {
        body = ""
        error = failure
        self.timedOut = timedOut
    }
}

/// A small pool of libcurl easy handles: a worker takes one for a request and puts it back, so
/// connections stay alive between requests (keep-alive) without a handle per thread forever.
final class CurlSession: @unchecked Sendable {
    // Safe: `idle` is only touched under `lock`; a handle is used by one thread at a time.
    let options: HTTPOptions
    private let lock = ConditionLock()
    private var idle: [CurlHandle] = []
    private let maxIdle = 16

    init(options: HTTPOptions) {
        self.options = options
    }

    /// Runs `body` with a handle of its own; nil when libcurl could not make one.
    func withHandle<T>(_ body: (CurlHandle) -> T) -> T? {
        let handle = lock.withLock { idle.popLast() } ?? CurlHandle(options: options)
        guard let handle else { return nil }
        let result = body(handle)
        lock.withLock { if idle.count < maxIdle { idle.append(handle) } }
        return result
    }
}

/// Collects one response: its body (capped) and a `Retry-After` header.
final class ResponseSink {
    var body: [UInt8] = []
    var retryAfter: Double?
    let maxBody = 64 * 1024

    func reset() {
        body.removeAll(keepingCapacity: true)
        retryAfter = nil
    }

    func header(_ line: UnsafeRawBufferPointer) {
        let text = String(decoding: line, as: UTF8.self)
        if text.hasPrefix("HTTP/") {
            retryAfter = nil  // a new response (after `100 Continue` or a redirect)
            return
        }
        guard let colon = text.firstIndex(of: ":") else { return }
        guard text[..<colon].lowercased() == "retry-after" else { return }
        retryAfter = Self.parseRetryAfter(String(text[text.index(after: colon)...]))
    }

    /// Seconds to wait from a `Retry-After` value: delay-seconds, or an HTTP date (counted from
    /// `now`, unix seconds; a date in the past means no wait). Nil for garbage; at most a day.
    static func parseRetryAfter(_ value: String, now: Double = Clock.unixTime()) -> Double? {
        let trimmed = value.trimmingCharacters(in: " \t\r\n")
        if trimmed.first?.isNumber == true {
            guard let seconds = Double(trimmed), seconds.isFinite, seconds >= 0 else { return nil }
            return min(seconds, 86_400)
        }
        guard let date = HTTPDate.parse(trimmed) else { return nil }
        return min(max(date - now, 0), 86_400)
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        let scalars = Set(set.unicodeScalars)
        var view = Substring(self).unicodeScalars
        while let first = view.first, scalars.contains(first) { view.removeFirst() }
        while let last = view.last, scalars.contains(last) { view.removeLast() }
        return String(view)
    }
}

/// One libcurl easy handle with the session's fixed options and its own reusable buffers.
final class CurlHandle {
    private let curl: CurlLibrary
    private let easy: UnsafeMutableRawPointer
    private let postHeaders: UnsafeMutablePointer<curl_slist>?
    private let getHeaders: UnsafeMutablePointer<curl_slist>?
    private let errorText: UnsafeMutablePointer<CChar>
    private let sink = ResponseSink()
    private let gzip: Bool
    private let options: HTTPOptions
    /// The proxy last set on the handle, so that it is set again only when it changes.
    private var proxy: String?

    /// Request body, D scratch and compressed body, reused from request to request.
    let body = ByteBuffer(capacity: 64 * 1024)
    let scratch = ByteBuffer(capacity: 64 * 1024)
    private let compressed = ByteBuffer(capacity: 16 * 1024)

    init?(options: HTTPOptions) {
        guard case .success(let curl) = CurlLibrary.shared, let easy = curl.easyInit() else { return nil }
        self.curl = curl
        self.easy = easy
        gzip = options.gzip
        self.options = options
        errorText = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorText.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))

        var common: UnsafeMutablePointer<curl_slist>?
        common = curl.slistAppend(common, "x-ironsource-atom-sdk-type: \(AtomSDKInfo.type)")
        common = curl.slistAppend(common, "x-ironsource-atom-sdk-version: \(AtomSDKInfo.version)")
        getHeaders = common
        var post = curl.slistAppend(nil, "Content-Type: application/json")
        post = curl.slistAppend(post, "x-ironsource-atom-sdk-type: \(AtomSDKInfo.type)")
        post = curl.slistAppend(post, "x-ironsource-atom-sdk-version: \(AtomSDKInfo.version)")
        post = curl.slistAppend(post, "Expect:")  // no 100-continue round trip
        if options.gzip { post = curl.slistAppend(post, "Content-Encoding: gzip") }
        postHeaders = post

        curl.setopt(easy, CURLOPT_NOSIGNAL, 1)
        curl.setopt(easy, CURLOPT_TCP_KEEPALIVE, 1)
        curl.setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, Self.millis(options.connectTimeout))
        curl.setopt(easy, CURLOPT_TIMEOUT_MS, Self.millis(options.requestTimeout))
        curl.setopt(easy, CURLOPT_USERAGENT, string: options.userAgent)
        if let caBundle = options.caBundle { curl.setopt(easy, CURLOPT_CAINFO, string: caBundle) }
        if options.insecure {
            curl.setopt(easy, CURLOPT_SSL_VERIFYPEER, 0)
            curl.setopt(easy, CURLOPT_SSL_VERIFYHOST, 0)
        }
        // Set even when empty: libcurl then ignores the environment, which `HTTPOptions` has read.
        curl.setopt(easy, CURLOPT_NOPROXY, string: options.noProxy ?? "")
        curl.setopt(easy, CURLOPT_ERRORBUFFER, pointer: errorText)
        let context = Unmanaged.passUnretained(sink).toOpaque()
        curl.setopt(easy, CURLOPT_WRITEDATA, pointer: context)
        curl.setopt(easy, CURLOPT_HEADERDATA, pointer: context)
        curl.setWriteFunction(easy) { data, size, count, context in
            guard let data, let context else { return 0 }
            let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
            let length = size * count
            let room = max(0, sink.maxBody - sink.body.count)
            if room > 0 {
                sink.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: min(length, room)))
            }
            return length
        }
        curl.setHeaderFunction(easy) { data, size, count, context in
            guard let data, let context else { return 0 }
            let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
            sink.header(UnsafeRawBufferPointer(start: data, count: size * count))
            return size * count
        }
    }

    deinit {
        curl.easyCleanup(easy)
        curl.slistFreeAll(postHeaders)
        curl.slistFreeAll(getHeaders)
        errorText.deallocate()
    }

    /// Sends one request and waits for its answer (`curl_easy_perform`).
    /// - Parameters:
    ///   - url: the full URL, query included.
    ///   - body: the POST body; nil sends a GET.
    func perform(url: String, body: UnsafeRawBufferPointer?) -> HTTPResult {
        sink.reset()
        errorText[0] = 0
        curl.setopt(easy, CURLOPT_URL, string: url)
        let proxy = options.proxy(for: url)
        if proxy != self.proxy {
            curl.setopt(easy, CURLOPT_PROXY, string: proxy)
            self.proxy = proxy
        }
        if var payload = body {
            if gzip {
                guard Gzip.compress(payload, into: compressed) else {
                    return HTTPResult(failure: "gzip compression failed")
                }
                payload = compressed.bytes
            }
            curl.setopt(easy, CURLOPT_POST, 1)
            curl.setopt(easy, CURLOPT_HTTPHEADER, list: postHeaders)
            let start = payload.baseAddress ?? UnsafeRawPointer(errorText)  // any valid pointer for 0 bytes
            curl.setopt(easy, CURLOPT_POSTFIELDS, pointer: start)
            curl.setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, offset: curl_off_t(payload.count))
        } else {
            curl.setopt(easy, CURLOPT_HTTPGET, 1)
            curl.setopt(easy, CURLOPT_HTTPHEADER, list: getHeaders)
        }

        let code = curl.easyPerform(easy)
        if code != CURLE_OK {
            let detail = String(cString: errorText)
            let summary = curl.easyStrerror(code).map { String(cString: $0) } ?? "libcurl error \(code.rawValue)"
            return HTTPResult(failure: detail.isEmpty ? summary : detail, timedOut: code == CURLE_OPERATION_TIMEDOUT)
        }
        var status = 0
        curl.getinfo(easy, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResult(status: status, body: String(decoding: sink.body, as: UTF8.self),
                          retryAfter: sink.retryAfter)
    }

    private static func millis(_ seconds: Double) -> Int {
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return max(1, Int((seconds * 1000).rounded()))
    }
}
