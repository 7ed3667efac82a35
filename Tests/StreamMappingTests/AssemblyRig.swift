import AtomBase
import Foundation
import StreamMapping

/// One event as an `EventAssembler` emitted it, copied out.
struct Assembled: Equatable, CustomStringConvertible {
    var text: String
    var offset: Int64
    var stream = ""
    var time = ""
    var rejection: String?

    var description: String {
        "@\(offset) \(text.debugDescription)" + (stream.isEmpty ? "" : " [\(stream) \(time)]")
            + (rejection.map { " rejected: \($0)" } ?? "")
    }
}

/// Feeds text to an `EventAssembler` the way the shipper does: per chunk, lines that point into
/// one buffer, which is overwritten once the chunk is done (so a line kept past its chunk shows).
final class AssemblyRig {
    let assembler: EventAssembler
    private(set) var events: [Assembled] = []

    init(_ spec: MappingSpec) throws {
        assembler = try EventAssembler(spec: spec)
    }

    convenience init(multiline: MultilineSpec? = nil, container: ContainerSpec? = nil) throws {
        var spec = MappingSpec(parser: .raw(), defaultStream: "events")
        spec.multiline = multiline
        spec.container = container
        try self.init(spec)
    }

    /// Feeds `text` (lines ended by LF or CRLF; a last line without one is taken too) as file
    /// `file`, starting at `offset`, `linesPerChunk` lines per chunk. Returns the offset after it.
    @discardableResult
    func feed(_ text: String, file: UInt32 = 1, linesPerChunk: Int = .max, from offset: Int64 = 0) -> Int64 {
        let bytes = Array(text.utf8)
        var lines: [(start: Int, end: Int)] = []
        var start = 0
        for (i, byte) in bytes.enumerated() where byte == 0x0A {
            let end = i > start && bytes[i - 1] == 0x0D ? i - 1 : i
            lines.append((start, end))
            start = i + 1
        }
        if start < bytes.count { lines.append((start, bytes.count)) }
        var index = 0
        while index < lines.count {
            let chunk = Array(lines[index..<min(lines.count, index + max(1, linesPerChunk))])
            let from = chunk[0].start
            let through = min(bytes.count, (lines.count > index + chunk.count
                                             ? lines[index + chunk.count].start : bytes.count))
            var buffer = Array(bytes[from..<through])
            buffer.withUnsafeMutableBytes { raw in
                assembler.begin(file: file)
                for line in chunk {
                    let slice = UnsafeRawBufferPointer(rebasing: raw[(line.start - from)..<(line.end - from)])
                    assembler.push(slice, offset: offset + Int64(line.start)) { record($0) }
                }
                assembler.endChunk()
                for i in raw.indices { raw[i] = 0xEE }
            }
            index += chunk.count
        }
        return offset + Int64(bytes.count)
    }

    /// `flush(file:quietSeconds:)`: nil releases the file.
    func flush(file: UInt32 = 1, quiet: Double?) {
        assembler.flush(file: file, quietSeconds: quiet) { record($0) }
    }

    func held(file: UInt32 = 1) -> Int64? { assembler.heldOffset(file: file) }

    /// The events so far, then forgets them.
    func take() -> [Assembled] {
        defer { events.removeAll() }
        return events
    }

    private func record(_ event: AssembledEvent) {
        func text(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }
        events.append(Assembled(text: text(event.text), offset: event.offset, stream: text(event.stream),
                                time: text(event.time),
                                rejection: event.isRejected ? assembler.rejection : nil))
    }
}

/// Offsets of each line's first byte in `text` (LF-terminated lines).
func lineOffsets(_ text: String) -> [Int64] {
    var offsets: [Int64] = [0]
    for (i, byte) in text.utf8.enumerated() where byte == 0x0A { offsets.append(Int64(i + 1)) }
    if offsets.last == Int64(text.utf8.count) { offsets.removeLast() }
    return offsets
}
