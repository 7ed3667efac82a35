import AtomBase
import Foundation
import Glibc

/// One request as the proxy saw it.
public struct ProxiedRequest: Sendable {
    /// `POST`, `GET`, `CONNECT`...
    public let method: String
    /// The request target as sent to the proxy: an absolute URL, or `host:port` for CONNECT.
    public let target: String
}

/// A forwarding HTTP proxy on 127.0.0.1 for tests: it records every request, forwards plain
/// requests (absolute-form targets) to their 127.0.0.1 origin over a connection of its own, and
/// answers CONNECT with 403 (no tunnels). Anything aimed at another host is answered 403 too.
/// One OS thread per connection; dropping it stops it.
public final class LoopbackProxy: Sendable {
    private let core: ProxyCore

    public init() throws {
        core = try ProxyCore()
        Threads.spawn(name: "loopback-proxy-accept") { [core] in core.acceptLoop() }
    }

    deinit { core.stop() }

    /// `http://127.0.0.1:PORT`, as a proxy variable holds it.
    public var url: String { "http://127.0.0.1:\(core.port)" }

    /// Every request received, in arrival order.
    public var requests: [ProxiedRequest] { core.recorded }
}

final class ProxyCore: @unchecked Sendable {
    // Safe: `stopped` and `requests` are guarded by `lock`; each socket has one thread.
    let port: Int
    private let listener: Int32
    private let lock = ConditionLock()
    private var stopped = false
    private var requests: [ProxiedRequest] = []

    init() throws {
        let (fd, port, _) = try LoopbackSocket.listening(backlog: 64)
        listener = fd
        self.port = port
    }

    var recorded: [ProxiedRequest] { lock.withLock { requests } }

    private var isStopped: Bool { lock.withLock { stopped } }

    func stop() {
        lock.withLock { stopped = true }
    }

    func acceptLoop() {
        defer { close(listener) }
        while let client = LoopbackSocket.acceptNext(listener, stopped: { isStopped }) {
            Threads.spawn(name: "loopback-proxy-connection") { [self] in
                serve(client)
                close(client)
            }
        }
    }

    private func serve(_ client: Int32) {
        var inbound = HTTPStream(fd: client, stopped: { [self] in isStopped })
        var upstream: (fd: Int32, stream: HTTPStream, port: Int)?
        defer { if let upstream { close(upstream.fd) } }
        while let head = inbound.readHead() {
            let parts = head.lines.first?.split(separator: " ") ?? []
            guard parts.count >= 3 else { return }
            let method = String(parts[0])
            let target = String(parts[1])
            lock.withLock { requests.append(ProxiedRequest(method: method, target: target)) }
            guard method != "CONNECT", let (port, path) = Self.loopbackOrigin(target) else {
                _ = inbound.send(Array("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".utf8))
                return
            }
            guard let body = inbound.readBody(length: head.contentLength) else { return }

            if upstream?.port != port {
                if let old = upstream { close(old.fd) }
                guard let fd = Self.connectLoopback(port: port) else { return }
                upstream = (fd, HTTPStream(fd: fd, stopped: { [self] in isStopped }), port)
            }
            guard var origin = upstream else { return }
            var request = "\(method) \(path) \(parts[2])\r\n"
            for line in head.lines.dropFirst() where !line.lowercased().hasPrefix("proxy-") {
                request += line + "\r\n"
            }
            guard origin.stream.send(Array((request + "\r\n").utf8) + body),
                  let answer = origin.stream.readHead(),
                  let answerBody = origin.stream.readBody(length: answer.contentLength) else { return }
            upstream = origin
            let bytes = Array((answer.lines.joined(separator: "\r\n") + "\r\n\r\n").utf8) + answerBody
            guard inbound.send(bytes) else { return }
        }
    }

    /// The port and origin-form path of `http://127.0.0.1:PORT/path`; nil for any other target.
    static func loopbackOrigin(_ target: String) -> (Int, String)? {
        let prefix = "http://127.0.0.1:"
        guard target.hasPrefix(prefix) else { return nil }
        let rest = target.dropFirst(prefix.count)
        let digits = rest.prefix { $0.isNumber }
        guard let port = Int(digits) else { return nil }
        let path = rest.dropFirst(digits.count)
        return (port, path.isEmpty ? "/" : String(path))
    }

    static func connectLoopback(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else {
            close(fd)
            return nil
        }
        return fd
    }
}

/// Reads HTTP/1.1 messages (head, then a Content-Length body) from a socket, and sends bytes.
struct HTTPStream {
    struct Head {
        var lines: [String]
        var contentLength: Int
    }

    let fd: Int32
    let stopped: () -> Bool
    private var buffer: [UInt8] = []

    init(fd: Int32, stopped: @escaping () -> Bool) {
        self.fd = fd
        self.stopped = stopped
    }

    mutating func readHead() -> Head? {
        while true {
            if let end = headEnd() {
                let text = String(decoding: buffer[0..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                let lines = text.components(separatedBy: "\r\n")
                var length = 0
                for line in lines.dropFirst() where line.lowercased().hasPrefix("content-length:") {
                    length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
                }
                return Head(lines: lines, contentLength: length)
            }
            guard fill() else { return nil }
        }
    }

    mutating func readBody(length: Int) -> [UInt8]? {
        while buffer.count < length {
            guard fill() else { return nil }
        }
        let body = Array(buffer[0..<length])
        buffer.removeFirst(length)
        return body
    }

    func send(_ bytes: [UInt8]) -> Bool {
        LoopbackSocket.sendAll(bytes, on: fd)
    }

    private func headEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4)
        where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }

    private mutating func fill() -> Bool {
        LoopbackSocket.receiveSome(fd, into: &buffer, stopped: stopped)
    }
}
