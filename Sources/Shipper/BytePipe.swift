import AtomBase
import CZlib
import Glibc

/// Bytes written into a pipe by a thread of their own, so that a `PipeReader` frames them as it
/// frames standard input: a gzip file's decompressed text, or lines given in the config.
final class BytePipe: @unchecked Sendable {
    // Safe: `failure` is written by the feeding thread before `finished` is signalled and read
    // only after waiting for it.

    /// The end to read (closed by `close()`).
    let readFD: Int32
    private let finished = Completion()
    private var failure: String?

    /// Starts a thread that runs `produce` with a function writing to the pipe, then closes the
    /// pipe's write end. `produce` returns an error message, or nil.
    init(name: String, produce: @escaping @Sendable (_ write: (UnsafeRawBufferPointer) -> Bool) -> String?)
        throws(ShipperError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw ShipperError("cannot make a pipe: \(String(cString: strerror(errno)))")
        }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        readFD = fds[0]
        let writeFD = fds[1]
        Threads.spawn(name: name) { [self] in
            let message = produce { bytes in
                do {
                    try Sys.writeAll(writeFD, bytes)
                    return true
                } catch {
                    return false
                }
            }
            Sys.close(writeFD)
            failure = message
            finished.signal()
        }
    }

    /// Waits until the feeding thread is done; returns its error message, if any.
    func wait() -> String? {
        finished.wait()
        return failure
    }

    func close() { Sys.close(readFD) }

    /// A pipe of `bytes`.
    static func of(_ bytes: [UInt8]) throws(ShipperError) -> BytePipe {
        try BytePipe(name: "preview-lines") { write in
            _ = bytes.withUnsafeBytes { write($0) }
            return nil
        }
    }

    /// A pipe of the decompressed text of the gzip file open at `fd` (closed when done), member
    /// after member, as `gzip -dc` would give it.
    static func gunzip(fd: Int32, path: String) throws(ShipperError) -> BytePipe {
        try BytePipe(name: "preview-gunzip") { write in
            defer { Sys.close(fd) }
            return inflate(fd: fd, path: path, write: write)
        }
    }

    private static func inflate(fd: Int32, path: String, write: (UnsafeRawBufferPointer) -> Bool) -> String? {
        var stream = z_stream()
        // 15 + 16: gzip headers only.
        guard atom_inflate_init2(&stream, 15 + 16) == Z_OK else { return "\(path): zlib could not start" }
        defer { inflateEnd(&stream) }
        let capacity = 1 << 16
        let input = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        let output = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer {
            input.deallocate()
            output.deallocate()
        }
        var offset: Int64 = 0
        var inMember = false
        var memberEnded = false
        while true {
            let count: Int
            do {
                count = try Sys.read(fd, input, capacity, path: path)
            } catch {
                return error.description
            }
            if count == 0 {
                return inMember ? "\(path): the gzip archive ends early (at compressed byte \(offset))" : nil
            }
            offset += Int64(count)
            stream.next_in = input
            stream.avail_in = UInt32(count)
            while stream.avail_in > 0 {
                if memberEnded {
                    // Another member may follow (concatenated gzip); other bytes end the archive,
                    // as gzip -d ignores trailing garbage.
                    guard stream.next_in[0] == 0x1F else { return nil }
                    inflateReset(&stream)
                    memberEnded = false
                }
                inMember = true
                stream.next_out = output
                stream.avail_out = UInt32(capacity)
                let code = CZlib.inflate(&stream, Z_NO_FLUSH)
                let produced = capacity - Int(stream.avail_out)
                if produced > 0, !write(UnsafeRawBufferPointer(start: output, count: produced)) { return nil }
                if code == Z_STREAM_END {
                    inMember = false
                    memberEnded = true
                } else if code != Z_OK && code != Z_BUF_ERROR {
                    let reason = stream.msg.map { String(cString: $0) } ?? "error \(code)"
                    return "\(path): not a valid gzip archive (zlib: \(reason))"
                }
            }
        }
    }
}
