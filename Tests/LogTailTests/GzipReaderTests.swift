import AtomBase
import Foundation
import Glibc
@testable import LogTail
import Testing

/// CRC-32 (IEEE, reflected), computed here so that hand-made archives do not depend on zlib.
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

func littleEndian(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

/// One gzip member written by hand: a fixed header, the content in stored deflate blocks, then the
/// CRC-32 and length (`crc` overrides the CRC to make a corrupt member).
func handMadeMember(_ content: [UInt8], crc: UInt32? = nil) -> [UInt8] {
    var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]
    var rest = content[...]
    repeat {
        let block = rest.prefix(65535)
        rest = rest.dropFirst(block.count)
        let length = UInt16(block.count)
        out.append(rest.isEmpty ? 1 : 0)
        out += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
        out += block
    } while !rest.isEmpty
    out += littleEndian(crc ?? crc32(content))
    out += littleEndian(UInt32(truncatingIfNeeded: content.count))
    return out
}

/// Lines of pseudo-random hex (a fixed LCG), so that the compressed size exceeds the reader's
/// 64 KiB input buffer.
func noisyText(lines: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    var text = ""
    for i in 0..<lines {
        var line = "\(i) "
        for _ in 0..<6 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            line += String(state >> 16, radix: 16)
        }
        text += line + "\n"
    }
    return Array(text.utf8)
}

/// Reads an archive file with `GzipReader` until a status other than data.
struct GzipRead {
    var bytes: [UInt8] = []
    var end: GzipReader.Status
    var trailingGarbage: Bool
    var produced: Int64
}

func readArchive(_ path: String, capacity: Int = 65536,
                 before: ((GzipReader) -> Void)? = nil) throws -> GzipRead {
    let fd = try Sys.open(path, O_RDONLY)
    defer { Sys.close(fd) }
    let reader = GzipReader(fd: fd, path: path)
    before?(reader)
    return drain(reader, capacity: capacity)
}

func drain(_ reader: GzipReader, capacity: Int) -> GzipRead {
    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    defer { buffer.deallocate() }
    var bytes: [UInt8] = []
    for _ in 0..<1_000_000 {
        let status = reader.read(into: buffer, capacity: capacity)
        guard case .data(let n) = status, n > 0 else {
            return GzipRead(bytes: bytes, end: status, trailingGarbage: reader.trailingGarbage,
                            produced: reader.produced)
        }
        bytes += UnsafeBufferPointer(start: buffer, count: n)
    }
    Issue.record("the reader never stopped returning data")
    return GzipRead(bytes: bytes, end: .needMore, trailingGarbage: reader.trailingGarbage,
                    produced: reader.produced)
}

@Suite("GzipReader")
struct GzipReaderTests {
    @Test("a single member made by gzip(1) reads back its content", arguments: [7, 4096, 65536])
    func singleMember(capacity: Int) throws {
        let scratch = try Scratch()
        let content = noisyText(lines: 3000, seed: 1)
        let archive = try gzipped(content, in: scratch)
        #expect(archive.count > 64 * 1024)
        let result = try readArchive(try scratch.write("one.gz", archive), capacity: capacity)
        #expect(result.bytes == content)
        #expect(result.end == .finished)
        #expect(result.produced == Int64(content.count))
        #expect(!result.trailingGarbage)
    }

    @Test("concatenated gzip(1) outputs read as one stream", arguments: [7, 65536])
    func multiMember(capacity: Int) throws {
        let scratch = try Scratch()
        let first = noisyText(lines: 2500, seed: 2)
        let second = Array("second member\nwith two lines\n".utf8)
        let third = noisyText(lines: 10, seed: 3)
        let archive = try gzipped(first, in: scratch) + gzipped(second, in: scratch) + gzipped(third, in: scratch)
        let result = try readArchive(try scratch.write("many.gz", archive), capacity: capacity)
        #expect(result.bytes == first + second + third)
        #expect(result.end == .finished)
    }

    @Test("hand-made members, stored blocks included, read as one stream")
    func handMadeMembers() throws {
        let scratch = try Scratch()
        let first = Array("hand made\n".utf8)
        let second = noisyText(lines: 2000, seed: 4)  // more than one 64 KiB stored block
        let archive = handMadeMember(first) + handMadeMember([]) + handMadeMember(second)
        let result = try readArchive(try scratch.write("hand.gz", archive), capacity: 1000)
        #expect(result.bytes == first + second)
        #expect(result.end == .finished)
    }

    @Test("a truncated archive returns its readable prefix, then needMore; once complete it finishes")
    func truncated() throws {
        let scratch = try Scratch()
        let content = noisyText(lines: 3000, seed: 5)
        let archive = try gzipped(content, in: scratch)
        for cut in [archive.count / 2, archive.count - 4, 5] {
            let path = try scratch.write("cut-\(cut).gz", Array(archive[..<cut]))
            let fd = try Sys.open(path, O_RDONLY)
            defer { Sys.close(fd) }
            let reader = GzipReader(fd: fd, path: path)
            let partial = drain(reader, capacity: 4096)
            #expect(partial.end == .needMore, "cut at \(cut)")
            #expect(partial.bytes.count <= content.count)
            #expect(Array(content.prefix(partial.bytes.count)) == partial.bytes)

            // The writer finishes the archive: the same reader goes on from where it stopped.
            let fdAppend = try Sys.open(path, O_WRONLY | O_APPEND)
            try Array(archive[cut...]).withUnsafeBytes { try Sys.writeAll(fdAppend, $0) }
            Sys.close(fdAppend)
            let rest = drain(reader, capacity: 4096)
            #expect(partial.bytes + rest.bytes == content, "cut at \(cut)")
            #expect(rest.end == .finished)
        }
    }

    @Test("a corrupted byte in the middle of a gzip(1) archive returns corrupt")
    func corruptedMiddle() throws {
        let scratch = try Scratch()
        let content = noisyText(lines: 3000, seed: 6)
        var archive = try gzipped(content, in: scratch)
        archive[archive.count / 2] ^= 0xFF
        let result = try readArchive(try scratch.write("bad.gz", archive), capacity: 4096)
        guard case .corrupt(let message) = result.end else {
            Issue.record("expected corrupt, got \(result.end)")
            return
        }
        #expect(message.contains("compressed offset"))
    }

    @Test("a member whose CRC does not match returns corrupt")
    func badChecksum() throws {
        let scratch = try Scratch()
        let content = Array("checked\n".utf8)
        let archive = handMadeMember(content, crc: crc32(content) ^ 1)
        let result = try readArchive(try scratch.write("crc.gz", archive))
        guard case .corrupt = result.end else {
            Issue.record("expected corrupt, got \(result.end)")
            return
        }
    }

    @Test("gzip of empty content finishes with no bytes")
    func emptyContent() throws {
        let scratch = try Scratch()
        for (name, archive) in [("tool", try gzipped([], in: scratch)), ("hand", handMadeMember([]))] {
            let result = try readArchive(try scratch.write("empty-\(name).gz", archive))
            #expect(result.bytes.isEmpty, "\(name)")
            #expect(result.end == .finished, "\(name)")
        }
    }

    @Test("bytes after the last member that are not gzip end the stream and are flagged")
    func trailingGarbage() throws {
        let scratch = try Scratch()
        let content = Array("kept\n".utf8)
        let archive = try gzipped(content, in: scratch) + Array("not gzip at all".utf8)
        let result = try readArchive(try scratch.write("garbage.gz", archive))
        #expect(result.bytes == content)
        #expect(result.end == .finished)
        #expect(result.trailingGarbage)
    }

    @Test("skip discards decompressed bytes and reading goes on after them")
    func skipThenRead() throws {
        let scratch = try Scratch()
        let content = noisyText(lines: 3000, seed: 7) + noisyText(lines: 5, seed: 8)
        let archive = try gzipped(Array(content[..<1000]), in: scratch)
            + gzipped(Array(content[1000...]), in: scratch)
        let path = try scratch.write("skip.gz", archive)
        let scratchBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 333)
        defer { scratchBuffer.deallocate() }
        let skipped = 150_001
        var skipStatus: GzipReader.Status?
        let result = try readArchive(path, capacity: 4096) { reader in
            skipStatus = reader.skip(Int64(skipped), scratch: scratchBuffer, scratchCapacity: 333)
        }
        #expect(skipStatus == .data(skipped))
        #expect(result.bytes == Array(content[skipped...]))
        #expect(result.end == .finished)
    }
}
