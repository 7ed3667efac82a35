import Foundation
import Glibc

/// TCP sockets on 127.0.0.1 for the test servers.
enum LoopbackSocket {
    /// A TCP socket bound to 127.0.0.1 on a port the OS picks (not listening yet).
    static func bound() throws -> (fd: Int32, port: Int, address: sockaddr_in) {
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
        return (fd, Int(UInt16(bigEndian: address.sin_port)), address)
    }

    /// Connects a new socket to `address` without waiting for the handshake; -1 on failure.
    static func connectWithoutWaiting(to address: sockaddr_in) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                        | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var target = address
        _ = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return fd
    }

    /// A bound socket listening with `backlog`.
    static func listening(backlog: Int32) throws -> (fd: Int32, port: Int, address: sockaddr_in) {
        let socket = try bound()
        guard listen(socket.fd, backlog) == 0 else {
            let code = errno
            close(socket.fd)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        return socket
    }

    /// Sends all of `bytes` (retrying short sends and EINTR); false when the peer is gone.
    static func sendAll(_ bytes: [UInt8], on fd: Int32) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.send(fd, base + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    /// Waits (in 50 ms polls, until `stopped`) for bytes and appends what one recv(2) gives to
    /// `buffer`; false at end of stream, on an error or once stopped.
    static func receiveSome(_ fd: Int32, into buffer: inout [UInt8], stopped: () -> Bool) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !stopped() {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 50)
            if ready == 0 || (ready < 0 && errno == EINTR) { continue }
            if ready < 0 { return false }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
        return false
    }

    /// The next connection on `listener` (close-on-exec), polling every 50 ms; nil once stopped.
    static func acceptNext(_ listener: Int32, stopped: () -> Bool) -> Int32? {
        while !stopped() {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            return client
        }
        return nil
    }
}
