import Foundation
import Glibc

/// A loopback port whose connections never complete: it listens with the smallest accept queue,
/// never accepts, and fills that queue itself, so the kernel drops further connection attempts
/// (SYNs) and a client's connect waits until its own timeout. Closed on deinit.
public final class SilentPort: Sendable {
    /// The port.
    public let port: Int
    private let listener: Int32
    private let fillers: [Int32]

    public init() throws {
        let (fd, port, address) = try LoopbackSocket.listening(backlog: 0)
        listener = fd
        self.port = port
        // An accept queue of backlog 0 holds one connection; two more attempts make sure it is full.
        fillers = (0..<3).map { _ in LoopbackSocket.connectWithoutWaiting(to: address) }.filter { $0 >= 0 }
        usleep(50_000)  // let the handshakes that can complete do so
    }

    deinit {
        for fd in fillers { close(fd) }
        close(listener)
    }

    /// `http://127.0.0.1:PORT/`.
    public var endpoint: String { "http://127.0.0.1:\(port)/" }
}
