import AtomBase
import CZlib
import Glibc

/// Reads the decompressed bytes of a gzip file through zlib, member after member.
///
/// Concatenated (multi-member) archives read as one stream; zlib checks each member's CRC-32 and
/// length. Reaching the end of the compressed bytes inside a member is not an error here: the archive
/// may still be being written, so the caller decides (with `gzipSettle`) when it is broken.
final class GzipReader {
    enum Status: Equatable {
        /// Bytes were written to the output.
        case data(Int)
        /// The compressed bytes end inside a member: still being written, or truncated.
        case needMore
        /// Every member ended cleanly at the end of the file.
        case finished
        /// zlib rejected the data; the message names the compressed offset.
        case corrupt(String)
    }

    private let fd: Int32
    private let path: String
    private var stream = z_stream()
    private let input: UnsafeMutablePointer<UInt8>
    private let inputCapacity = 64 * 1024
    private var memberEnded = false
    private var initialized = false
    /// Offset in the compressed file of the next byte to read from disk.
    private(set) var compressedRead: Int64 = 0
    /// Decompressed bytes produced so far.
    private(set) var produced: Int64 = 0
    /// Bytes after the last member that are not gzip (ignored, as gzip(1) does).
    private(set) var trailingGarbage = false
    /// The archive's last member has ended and nothing more will be read.
    private var sawEnd = false

    /// Compressed offset zlib has consumed up to (for error messages and progress).
    var compressedOffset: Int64 { compressedRead - Int64(stream.avail_in) }

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        input = .allocate(capacity: inputCapacity)
        // 15 + 32: zlib or gzip header, detected; gzip is what we open.
        initialized = atom_inflate_init2(&stream, 15 + 16) == Z_OK
    }

    deinit {
        if initialized { inflateEnd(&stream) }
        input.deallocate()
    }

    /// Decompresses into `output` up to `capacity` bytes.
    func read(into output: UnsafeMutablePointer<UInt8>, capacity: Int) -> Status {
        guard initialized else { return .corrupt("zlib could not be initialised") }
        stream.next_out = output
        stream.avail_out = UInt32(capacity)
        var madeAny: Int { capacity - Int(stream.avail_out) }

        while stream.avail_out > 0 {
            if stream.avail_in == 0 {
                let n: Int
                do {
                    n = try Sys.pread(fd, input, inputCapacity, compressedRead, path: path)
                } catch {
                    return .corrupt("\(error)")
                }
                if n == 0 || sawEnd {
                    if madeAny > 0 { break }
                    return memberEnded || sawEnd ? .finished : .needMore
                }
                compressedRead += Int64(n)
                stream.next_in = input
                stream.avail_in = UInt32(n)
            }
            if memberEnded {
                // Another member follows only if the gzip magic does; anything else ends the archive.
                guard stream.next_in[0] == 0x1F else {
                    trailingGarbage = stream.next_in[0] != 0
                    stream.avail_in = 0
                    sawEnd = true
                    if madeAny > 0 { break }
                    return .finished
                }
                inflateReset(&stream)
                memberEnded = false
            }
            let rc = inflate(&stream, Z_NO_FLUSH)
            switch rc {
            case Z_STREAM_END:
                memberEnded = true
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                if stream.avail_in == 0 { continue }
                return .corrupt("inflate made no progress at compressed offset \(compressedOffset)")
            default:
                let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                return .corrupt("\(reason) at compressed offset \(compressedOffset)")
            }
        }
        let n = madeAny
        produced += Int64(n)
        return .data(n)
    }

    /// Decompresses and discards `count` bytes (to resume at a checkpoint).
    func skip(_ count: Int64, scratch: UnsafeMutablePointer<UInt8>, scratchCapacity: Int) -> Status {
        var left = count
        while left > 0 {
            let status = read(into: scratch, capacity: Int(min(Int64(scratchCapacity), left)))
            guard case .data(let n) = status else { return status }
            left -= Int64(n)
        }
        return .data(Int(count))
    }
}
