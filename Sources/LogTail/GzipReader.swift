import AtomBase
import CIsal
import Glibc

/// Reads the decompressed bytes of a gzip file, member after member, with ISA-L's inflate (SIMD
/// deflate decoding at several times zlib's speed, so that a backfill is not bound by it).
///
/// Concatenated (multi-member) archives read as one stream; each member's CRC-32 is checked.
/// Reaching the end of the compressed bytes inside a member is not an error here: the archive may
/// still be being written, so the caller decides (with `gzipSettle`) when it is broken.
final class GzipReader {
    enum Status: Equatable {
        /// Bytes were written to the output.
        case data(Int)
        /// The compressed bytes end inside a member: still being written, or truncated.
        case needMore
        /// Every member ended cleanly at the end of the file.
        case finished
        /// The data is not valid gzip; the message names the compressed offset.
        case corrupt(String)
    }

    private let fd: Int32
    private let path: String
    /// ISA-L's state is large (its history window and tables), so it lives on the heap.
    private let state: UnsafeMutablePointer<inflate_state>
    private let input: UnsafeMutablePointer<UInt8>
    private let inputCapacity = 64 * 1024
    private var memberEnded = false
    /// Offset in the compressed file of the next byte to read from disk.
    private(set) var compressedRead: Int64 = 0
    /// Decompressed bytes produced so far.
    private(set) var produced: Int64 = 0
    /// Bytes after the last member that are not gzip (ignored, as gzip(1) does).
    private(set) var trailingGarbage = false
    /// The archive's last member has ended and nothing more will be read.
    private var sawEnd = false

    /// Compressed offset the decoder has consumed up to (for error messages and progress).
    var compressedOffset: Int64 { compressedRead - Int64(state.pointee.avail_in) }

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        input = .allocate(capacity: inputCapacity)
        state = .allocate(capacity: 1)
        isal_inflate_init(state)
        state.pointee.crc_flag = UInt32(atom_isal_gzip_flag())
    }

    deinit {
        state.deallocate()
        input.deallocate()
    }

    /// Decompresses into `output` up to `capacity` bytes.
    func read(into output: UnsafeMutablePointer<UInt8>, capacity: Int) -> Status {
        state.pointee.next_out = output
        state.pointee.avail_out = UInt32(clamping: capacity)
        var madeAny: Int { capacity - Int(state.pointee.avail_out) }

        while state.pointee.avail_out > 0 {
            if state.pointee.avail_in == 0 {
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
                state.pointee.next_in = input
                state.pointee.avail_in = UInt32(n)
            }
            if memberEnded {
                // Another member follows only if the gzip magic does; anything else ends the archive.
                guard let next = state.pointee.next_in, next[0] == 0x1F else {
                    trailingGarbage = state.pointee.next_in?[0] != 0
                    state.pointee.avail_in = 0
                    sawEnd = true
                    if madeAny > 0 { break }
                    return .finished
                }
                startMember()
            }
            let before = (state.pointee.avail_in, state.pointee.avail_out)
            let rc = isal_inflate(state)
            if rc < 0 { return .corrupt("\(Self.describe(rc)) at compressed offset \(compressedOffset)") }
            if atom_isal_block_finished(state) != 0 {
                memberEnded = true
            } else if (state.pointee.avail_in, state.pointee.avail_out) == before && state.pointee.avail_in > 0 {
                return .corrupt("inflate made no progress at compressed offset \(compressedOffset)")
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

    /// Readies the decoder for the next member, keeping the compressed bytes already read.
    private func startMember() {
        let (next, available) = (state.pointee.next_in, state.pointee.avail_in)
        let (out, room) = (state.pointee.next_out, state.pointee.avail_out)
        isal_inflate_reset(state)
        state.pointee.crc_flag = UInt32(atom_isal_gzip_flag())
        state.pointee.next_in = next
        state.pointee.avail_in = available
        state.pointee.next_out = out
        state.pointee.avail_out = room
        memberEnded = false
    }

    /// What an ISA-L error code means.
    private static func describe(_ code: Int32) -> String {
        switch code {
        case -1: "invalid deflate block"
        case -2: "invalid deflate symbol"
        case -3: "invalid back-reference distance"
        case -4: "invalid gzip header"
        case -5: "unsupported compression method"
        case -6: "CRC-32 mismatch (the archive is damaged)"
        default: "inflate error \(code)"
        }
    }
}
