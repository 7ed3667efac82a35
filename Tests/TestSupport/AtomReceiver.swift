import AtomBase
import CCrypto
import Foundation
import Glibc

/// A scripted answer of `AtomReceiver` to one request.
public enum PlannedResponse: Sendable, Equatable {
    /// Answer this status (with extra headers); events are recorded only for a 2xx.
    case status(Int, headers: [String: String] = [:])
    /// Read the request, answer nothing for this long (or until the client hangs up), then close.
    case stall(seconds: Double)
    /// Read the request and close the socket at once without answering (a TCP reset).
    case reset
    /// Wait this long, then answer as usual (200).
    case delay(seconds: Double)
}

/// One request as the receiver saw it.
public struct RecordedRequest: Sendable {
    /// `GET` or `POST`.
    public let method: String
    /// The path without the query, e.g. `/bulk`.
    public let path: String
    /// The raw query string (after `?`), if any.
    public let query: String?
    /// Header names lowercased.
    public let headers: [String: String]
    /// The body as received (before any content decoding).
    public let body: [UInt8]
    /// The request JSON (the body, or the decoded `data` query parameter of a GET).
    public let json: [UInt8]
    /// The Atom table named in the request, when it could be parsed.
    public let table: String?
    /// The `data` string of the request.
    public let data: String?
    /// The `auth` field, if sent.
    public let auth: String?
    /// The status answered; nil for a stall or a reset.
    public let status: Int?

    /// The body as text.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
    /// The request JSON as text.
    public var jsonText: String { String(decoding: json, as: UTF8.self) }
}

/// A loopback Atom endpoint for tests: HTTP/1.1 with keep-alive on 127.0.0.1 (a port the OS
/// picks), one OS thread per connection, each response written in one send with TCP_NODELAY.
///
/// It accepts `POST /` (single), `POST /bulk` and `GET /?data=<base64>`, checks `auth` for tables
/// that have a key, records events per stream in arrival order, and can be scripted to fail.
/// Dropping it stops it.
public final class AtomReceiver: Sendable {
    /// Decodes a request body with a `Content-Encoding` (name lowercased) the receiver was given.
    public typealias BodyDecoder = @Sendable ([UInt8]) -> [UInt8]?

    private let core: ReceiverCore

    /// Binds 127.0.0.1 on a port the OS picks (or `port`) and starts accepting.
    /// - Parameters:
    ///   - keys: HMAC key per table; a table without one accepts any or no `auth`.
    ///   - decoders: body decoders by `Content-Encoding` (e.g. "gzip"); others are answered 415.
    ///   - port: a port to bind instead of one the OS picks (a receiver that comes back after
    ///     another was stopped on it).
    public init(keys: [String: String] = [:], decoders: [String: BodyDecoder] = [:], port: Int = 0) throws {
        core = try ReceiverCore(keys: keys, decoders: decoders, port: port)
        core.start()
    }

    /// Starts listening on a socket that is already bound (it takes its own duplicate of `fd`),
    /// so that a port which refused connections until now starts answering them.
    public init(boundSocket fd: Int32, keys: [String: String] = [:]) throws {
        core = try ReceiverCore(keys: keys, decoders: [:], boundSocket: fd)
        core.start()
    }

    deinit { core.stop() }

    /// The port the OS picked.
    public var port: Int { core.port }

    /// `http://127.0.0.1:PORT/`.
    public var endpoint: String { "http://127.0.0.1:\(core.port)/" }

    /// Stops accepting, closes every connection and waits (up to a few seconds) for the threads.
    /// Afterwards the port refuses connections.
    public func stop() { core.stop() }

    /// Scripts the answers to the next requests for `stream` (or for any request, when nil);
    /// afterwards requests get normal answers. Plans for a stream come before plans for any.
    public func plan(_ responses: [PlannedResponse], stream: String? = nil) {
        core.plan(responses, stream: stream)
    }

    /// Events recorded for `stream` in arrival order (their JSON texts).
    public func events(stream: String) -> [String] { core.events(stream: stream) }

    /// Every recorded event with its stream, in arrival order.
    public var allEvents: [(stream: String, event: String)] { core.allEvents }

    /// Every request received, in the order they were answered.
    public var requests: [RecordedRequest] { core.requests }

    /// The most requests that were being handled at the same moment.
    public var maxConcurrentRequests: Int { core.maxConcurrentRequests }

    /// Requests answered 401 because `auth` did not match the table's key.
    public var authFailures: Int { core.authFailures }

    /// TCP connections accepted so far (1 for any number of kept-alive requests).
    public var connectionsAccepted: Int { core.connectionsAccepted }

    /// Waits until at least `count` events were recorded; false after `timeout` seconds.
    public func waitForEvents(count: Int, timeout: Double) -> Bool {
        core.waitForEvents(count: count, timeout: timeout)
    }

    /// Waits until at least `count` requests were answered (or dropped); false after `timeout`.
    public func waitForRequests(count: Int, timeout: Double) -> Bool {
        core.waitForRequests(count: count, timeout: timeout)
    }

    /// Lowercase hex HMAC-SHA256 (OpenSSL), computed independently of the SDK's own code.
    public static func hmacHex(key: String, data: [UInt8]) -> String {
        ReceiverCore.hmacHex(key: key, data: data)
    }
}

/// The receiver's state and threads; the threads hold this, not the `AtomReceiver`, so that
/// dropping the receiver stops them.
final class ReceiverCore: @unchecked Sendable {
    // Safe: every mutable property is guarded by `lock`; each socket is used by one thread.
    typealias BodyDecoder = AtomReceiver.BodyDecoder

    /// The port the OS picked.
    let port: Int
    private let keys: [String: String]
    private let decoders: [String: BodyDecoder]
    private let listener: Int32
    private let lock = ConditionLock()
    private var stopped = false
    private var threads = 0
    private var recordedEvents: [(stream: String, event: String)] = []
    private var recordedRequests: [RecordedRequest] = []
    private var plans: [String: [PlannedResponse]] = [:]
    private var anyPlan: [PlannedResponse] = []
    private var concurrent = 0
    private var maxConcurrent = 0
    private var failures = 0
    private var connections = 0

    init(keys: [String: String] = [:], decoders: [String: BodyDecoder] = [:], port: Int = 0,
         boundSocket: Int32? = nil) throws {
        self.keys = keys
        self.decoders = decoders
        let fd = boundSocket.map { fcntl($0, F_DUPFD_CLOEXEC, 0) }
            ?? socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        var bound: Int32 = 0
        if boundSocket == nil {
            var yes: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, named == 0, listen(fd, 128) == 0 else {
            let code = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        listener = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    func start() {
        lock.withLock { threads = 1 }
        Threads.spawn(name: "atom-receiver-accept") { [self] in acceptLoop() }
    }

    /// Stops accepting, closes every connection and waits (up to a few seconds) for the threads.
    /// Afterwards the port refuses connections.
    func stop() {
        lock.lock()
        defer { lock.unlock() }
        stopped = true
        lock.broadcast()
        let deadline = Clock.nanos() + 5_000_000_000
        while threads > 0 && Clock.nanos() < deadline { lock.wait(untilNanos: deadline) }
    }

    /// Scripts the answers to the next requests for `stream` (or for any request, when nil);
    /// afterwards requests get normal answers. Plans for a stream come before plans for any.
    func plan(_ responses: [PlannedResponse], stream: String? = nil) {
        lock.withLock {
            if let stream { plans[stream, default: []].append(contentsOf: responses) }
            else { anyPlan.append(contentsOf: responses) }
        }
    }

    /// Events recorded for `stream` in arrival order (their JSON texts).
    func events(stream: String) -> [String] {
        lock.withLock { recordedEvents.filter { $0.stream == stream }.map(\.event) }
    }

    /// Every recorded event with its stream, in arrival order.
    var allEvents: [(stream: String, event: String)] { lock.withLock { recordedEvents } }

    /// Every request received, in the order they were answered.
    var requests: [RecordedRequest] { lock.withLock { recordedRequests } }

    /// The most requests that were being handled at the same moment.
    var maxConcurrentRequests: Int { lock.withLock { maxConcurrent } }

    /// Requests answered 401 because `auth` did not match the table's key.
    var authFailures: Int { lock.withLock { failures } }

    var connectionsAccepted: Int { lock.withLock { connections } }

    /// Waits until at least `count` events were recorded; false after `timeout` seconds.
    func waitForEvents(count: Int, timeout: Double) -> Bool {
        waitUntil(timeout: timeout) { recordedEvents.count >= count }
    }

    /// Waits until at least `count` requests were answered (or dropped); false after `timeout`.
    func waitForRequests(count: Int, timeout: Double) -> Bool {
        waitUntil(timeout: timeout) { recordedRequests.count >= count }
    }

    private func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Clock.nanos() + UInt64(max(0, timeout) * 1e9)
        lock.lock()
        defer { lock.unlock() }
        while !condition() {
            if Clock.nanos() >= deadline { return false }
            lock.wait(untilNanos: deadline)
        }
        return true
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func threadEnded() {
        lock.withLock {
            threads -= 1
            lock.broadcast()
        }
    }

    // MARK: Connections

    private func acceptLoop() {
        defer {
            close(listener)
            threadEnded()
        }
        while let client = LoopbackSocket.acceptNext(listener, stopped: { isStopped }) {
            var yes: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            lock.withLock {
                threads += 1
                connections += 1
            }
            Threads.spawn(name: "atom-receiver-connection") { [self] in
                serve(client)
                threadEnded()
            }
        }
    }

    private func serve(_ fd: Int32) {
        var connection = Connection(fd: fd)
        defer { close(fd) }
        while let request = readRequest(&connection) {
            lock.withLock {
                concurrent += 1
                maxConcurrent = max(maxConcurrent, concurrent)
            }
            let keepOpen = respond(to: request, on: fd)
            lock.withLock {
                concurrent -= 1
                lock.broadcast()
            }
            if !keepOpen { return }
        }
    }

    private struct Connection {
        let fd: Int32
        var buffer: [UInt8] = []
    }

    private struct Request {
        var method: String
        var target: String
        var headers: [String: String]
        var body: [UInt8]
    }

    /// Reads bytes until `count` are buffered; false on end of stream, error or stop.
    private func fill(_ connection: inout Connection, until done: ([UInt8]) -> Bool) -> Bool {
        while !done(connection.buffer) {
            guard LoopbackSocket.receiveSome(connection.fd, into: &connection.buffer, stopped: { isStopped }) else {
                return false
            }
        }
        return true
    }

    private static let headerEnd: [UInt8] = Array("\r\n\r\n".utf8)

    private static func headerLength(_ buffer: [UInt8]) -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4)
        where buffer[index] == 13 && buffer[index..<index + 4].elementsEqual(headerEnd) {
            return index + 4
        }
        return nil
    }

    private func readRequest(_ connection: inout Connection) -> Request? {
        guard fill(&connection, until: { Self.headerLength($0) != nil }),
              let headLength = Self.headerLength(connection.buffer) else { return nil }
        let head = String(decoding: connection.buffer[0..<(headLength - 4)], as: UTF8.self)
        connection.buffer.removeFirst(headLength)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        if headers["expect"]?.lowercased() == "100-continue" {
            guard send(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8), on: connection.fd) else { return nil }
        }
        let length = max(0, Int(headers["content-length"] ?? "0") ?? 0)  // no chunked bodies
        guard fill(&connection, until: { $0.count >= length }) else { return nil }
        let body = Array(connection.buffer[0..<length])
        connection.buffer.removeFirst(length)
        return Request(method: String(requestLine[0]), target: String(requestLine[1]), headers: headers,
                       body: body)
    }

    private func send(_ bytes: [UInt8], on fd: Int32) -> Bool {
        LoopbackSocket.sendAll(bytes, on: fd)
    }

    // MARK: Answers

    /// Answers one request; returns false when the connection must close.
    private func respond(to request: Request, on fd: Int32) -> Bool {
        let parts = request.target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0])
        let query = parts.count > 1 ? String(parts[1]) : nil
        var parsed = ParsedRequest()
        var status = parse(request, query: query, into: &parsed)

        var extraHeaders: [String: String] = [:]
        if status == nil {
            switch nextPlan(for: parsed.table) {
            case .status(let code, let headers)?:
                extraHeaders = headers
                if !(200..<300).contains(code) { status = code }
            case .stall(let seconds)?:
                record(request, path: path, query: query, parsed: parsed, status: nil, events: [])
                stall(fd, seconds: seconds)
                return false
            case .reset?:
                record(request, path: path, query: query, parsed: parsed, status: nil, events: [])
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                return false
            case .delay(let seconds)?:
                pause(seconds)
            case nil:
                break
            }
        }

        var events: [String] = []
        if status == nil, let table = parsed.table, let data = parsed.data {
            if let key = keys[table], parsed.auth != Self.hmacHex(key: key, data: Array(data.utf8)) {
                status = 401
                lock.withLock { failures += 1 }
            } else if path.hasSuffix("/bulk") {
                if let array = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String] {
                    events = array
                } else {
                    status = 400
                }
            } else {
                events = [data]
            }
        }
        let code = status ?? 200
        record(request, path: path, query: query, parsed: parsed, status: code, events: events)

        let body = (200..<300).contains(code) ? "{\"status\":\"OK\"}" : "{\"error\":\"status \(code)\"}"
        var head = "HTTP/1.1 \(code) \(Self.reason(code))\r\nContent-Type: application/json\r\n"
        head += "Content-Length: \(body.utf8.count)\r\n"
        for (name, value) in extraHeaders { head += "\(name): \(value)\r\n" }
        let close = request.headers["connection"]?.lowercased() == "close"
        head += close ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n"
        return send(Array((head + body).utf8), on: fd) && !close
    }

    private struct ParsedRequest {
        var json: [UInt8] = []
        var table: String?
        var data: String?
        var auth: String?
    }

    /// Decodes the request JSON; returns an error status, or nil when it is a valid Atom request.
    private func parse(_ request: Request, query: String?, into parsed: inout ParsedRequest) -> Int? {
        var json = request.body
        if let encoding = request.headers["content-encoding"]?.lowercased(), encoding != "identity" {
            guard let decoder = decoders[encoding], let decoded = decoder(json) else { return 415 }
            json = decoded
        }
        if request.method == "GET" {
            let items = (query ?? "").split(separator: "&")
            guard let item = items.first(where: { $0.hasPrefix("data=") }),
                  let text = String(item.dropFirst(5)).removingPercentEncoding,
                  let decoded = Data(base64Encoded: text) else { return 400 }
            json = Array(decoded)
        } else if request.method != "POST" {
            return 405
        }
        parsed.json = json
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any],
              let table = object["table"] as? String, let data = object["data"] as? String else {
            return 400
        }
        parsed.table = table
        parsed.data = data
        parsed.auth = object["auth"] as? String
        return nil
    }

    private func nextPlan(for table: String?) -> PlannedResponse? {
        lock.withLock {
            if let table, var list = plans[table], !list.isEmpty {
                let first = list.removeFirst()
                plans[table] = list
                return first
            }
            return anyPlan.isEmpty ? nil : anyPlan.removeFirst()
        }
    }

    private func record(_ request: Request, path: String, query: String?, parsed: ParsedRequest,
                        status: Int?, events: [String]) {
        let recorded = RecordedRequest(method: request.method, path: path, query: query,
                                       headers: request.headers, body: request.body, json: parsed.json,
                                       table: parsed.table, data: parsed.data, auth: parsed.auth,
                                       status: status)
        lock.withLock {
            recordedRequests.append(recorded)
            if let table = parsed.table, let status, (200..<300).contains(status) {
                for event in events { recordedEvents.append((stream: table, event: event)) }
            }
            lock.broadcast()
        }
    }

    /// Waits `seconds` without answering, ending early on stop or when the client hangs up.
    private func stall(_ fd: Int32, seconds: Double) {
        let deadline = Clock.nanos() + UInt64(max(0, seconds) * 1e9)
        while Clock.nanos() < deadline && !isStopped {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 20) > 0 else { continue }
            var probe: UInt8 = 0
            let peeked = recv(fd, &probe, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
            if peeked == 0 { return }
            if peeked > 0 { usleep(20_000) }  // pipelined bytes: keep stalling
        }
    }

    /// Waits `seconds`, ending early on stop.
    private func pause(_ seconds: Double) {
        let deadline = Clock.nanos() + UInt64(max(0, seconds) * 1e9)
        while Clock.nanos() < deadline && !isStopped { usleep(10_000) }
    }

    private static func reason(_ code: Int) -> String {
        switch code {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 408: "Request Timeout"
        case 413: "Payload Too Large"
        case 415: "Unsupported Media Type"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }

    /// Lowercase hex HMAC-SHA256, computed here independently of the SDK's own code.
    static func hmacHex(key: String, data: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let keyBytes = Array(key.utf8) + [0]
        let input = data + [0]
        _ = keyBytes.withUnsafeBytes { keyRaw in
            input.withUnsafeBufferPointer { dataRaw in
                HMAC(EVP_sha256(), keyRaw.baseAddress, Int32(keyBytes.count - 1), dataRaw.baseAddress,
                     data.count, &digest, &length)
            }
        }
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }
}
