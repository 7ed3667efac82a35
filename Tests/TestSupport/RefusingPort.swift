import Foundation
import Glibc

/// A loopback port that refuses every connection: bound (so no other test can take it) but
/// never listening. Closed on deinit.
public final class RefusingPort: Sendable {
    /// The bound port.
    public let port: Int
    private let fd: Int32

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            let code = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }

    /// Starts answering on this port: a receiver listening on the same (duplicated) socket.
    public func startListening(keys: [String: String] = [:]) throws -> AtomReceiver {
        try AtomReceiver(boundSocket: fd, keys: keys)
    }

    /// `http://127.0.0.1:PORT/`.
    public var endpoint: String { "http://127.0.0.1:\(port)/" }
}
