import AtomBase
import CCrypto
import Glibc

/// A file's identity by content: SHA-256 of its first `length` bytes (decompressed for gzip),
/// as 32 hex digits (the first 128 bits).
public struct Fingerprint: Hashable, Sendable, CustomStringConvertible {
    public var hex: String
    /// How many bytes of the head it covers; less than the configured size for a short file.
    public var length: Int

    public var description: String { "\(hex)/\(length)" }

    static func of(_ bytes: UnsafeRawBufferPointer) -> Fingerprint {
        var digest = [UInt8](repeating: 0, count: 32)
        digest.withUnsafeMutableBufferPointer { out in
            _ = SHA256(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, out.baseAddress)
        }
        let table = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(32)
        for byte in digest.prefix(16) {
            text.append(table[Int(byte >> 4)])
            text.append(table[Int(byte & 0xF)])
        }
        return Fingerprint(hex: String(decoding: text, as: UTF8.self), length: bytes.count)
    }
}

/// Reads a file's head (up to `limit` bytes, decompressed when gzip) to fingerprint it.
enum HeadReader {
    struct Head {
        var bytes: [UInt8]
        /// For gzip: the head stopped because the compressed data ran out inside a member (the archive
        /// may still be being written).
        var incomplete: Bool
        var corrupt: String?
    }

    static func read(fd: Int32, path: String, gzip: Bool, limit: Int) -> Head {
        var bytes = [UInt8](repeating: 0, count: limit)
        if !gzip {
            let n = bytes.withUnsafeMutableBytes { raw in
                guard let base = raw.baseAddress else { return 0 }
                return (try? Sys.pread(fd, base, limit, 0, path: path)) ?? 0
            }
            bytes.removeSubrange(n...)
            return Head(bytes: bytes, incomplete: false, corrupt: nil)
        }
        let reader = GzipReader(fd: fd, path: path)
        var got = 0
        var incomplete = false
        var corrupt: String?
        bytes.withUnsafeMutableBufferPointer { out in
            guard let base = out.baseAddress else { return }
            while got < limit {
                switch reader.read(into: base + got, capacity: limit - got) {
                case .data(let n): got += n
                case .needMore: incomplete = true; return
                case .finished: return
                case .corrupt(let message): corrupt = message; return
                }
            }
        }
        bytes.removeSubrange(got...)
        return Head(bytes: bytes, incomplete: incomplete, corrupt: corrupt)
    }

    /// True when the file starts with the gzip magic bytes.
    static func isGzip(fd: Int32, path: String) -> Bool {
        var magic: (UInt8, UInt8) = (0, 0)
        let n = withUnsafeMutableBytes(of: &magic) { raw in
            guard let base = raw.baseAddress else { return 0 }
            return (try? Sys.pread(fd, base, 2, 0, path: path)) ?? 0
        }
        return n == 2 && magic.0 == 0x1F && magic.1 == 0x8B
    }
}
