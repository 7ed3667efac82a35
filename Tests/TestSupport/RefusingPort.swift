import Foundation
import Glibc

/// A loopback port that refuses every connection: bound (so no other test can take it) but
/// never listening. Closed on deinit.
public final class RefusingPort: Sendable {
    /// The bound port.
    public let port: Int
    private let fd: Int32

    public init() throws {
        (fd, port, _) = try LoopbackSocket.bound()
    }

    deinit { close(fd) }

    /// Starts answering on this port: a receiver listening on the same (duplicated) socket.
    public func startListening(keys: [String: String] = [:]) throws -> AtomReceiver {
        try AtomReceiver(boundSocket: fd, keys: keys)
    }

    /// `http://127.0.0.1:PORT/`.
    public var endpoint: String { "http://127.0.0.1:\(port)/" }
}
