// parser-bench: one parser on one file, from line bytes to encoded JSON events, on one thread.
//
//   parser-bench --config FILE [--mode map|tailer|memchr] [--digest]
//
// FILE is a shipper config with one input (its paths name the corpus, its parser the parser);
// Benchmarks/parsers.py writes one per case. Modes:
//   map     the real Tailer reads and frames the file (`--once`) and hands each chunk to a
//           consumer that routes and encodes every line into a reused buffer, as InputPipeline
//           does into its slabs; the consumer's own CPU time is the "line bytes to event" time.
//   tailer  the same without mapping: the consumer only counts lines (reading and framing cost).
//   memchr  a plain read(2) loop counting lines with memchr (the floor).
// It prints one JSON object: bytes, lines, events, parse failures, output bytes, wall and CPU
// seconds of the whole run, the consumer's CPU seconds, and peak resident memory (VmHWM).
// With --digest the output's FNV-1a hash is printed too (to compare output before and after a
// change; it costs time, so timed runs leave it off).

import AtomBase
import Glibc
import LogTail
import Shipper
import StreamMapping

struct Options {
    var config = ""
    var mode = "map"
    var digest = false

    init(_ arguments: [String]) {
        var rest = arguments.dropFirst()
        while let argument = rest.popFirst() {
            switch argument {
            case "--config": config = rest.popFirst() ?? ""
            case "--mode": mode = rest.popFirst() ?? ""
            case "--digest": digest = true
            default: fail("unknown argument \(argument)")
            }
        }
        guard !config.isEmpty, ["map", "tailer", "memchr"].contains(mode) else {
            fail("usage: parser-bench --config FILE [--mode map|tailer|memchr] [--digest]")
        }
    }
}

func fail(_ message: String) -> Never {
    var text = "parser-bench: \(message)\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    exit(2)
}

/// Thread CPU seconds (CLOCK_THREAD_CPUTIME_ID).
func threadCPU() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Peak resident memory of this process image in bytes (VmHWM: reset at exec, unlike ru_maxrss).
func peakResidentBytes() -> Int {
    guard let bytes = try? Sys.readFile("/proc/self/status") else { return 0 }
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let digits = line.filter { $0.isNumber }
        return (Int(digits) ?? 0) * 1024
    }
    return 0
}

/// Routes and encodes every line of each chunk into one reused buffer, as InputPipeline does into
/// its slabs (emptied each time it passes 1 MiB, so memory stays what a slab takes).
final class MappingConsumer: LineConsumer {
    let mapper: EventMapper
    let out = ByteBuffer(capacity: 2 << 20)
    let digest: Bool
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    var lines = 0
    var events = 0
    var outBytes = 0
    var cpu = 0.0

    init(mapper: EventMapper, digest: Bool) {
        self.mapper = mapper
        self.digest = digest
    }

    func consume(_ chunk: LineChunk) -> Int {
        let start = threadCPU()
        for index in 0..<chunk.count { map(chunk.line(index)) }
        lines += chunk.count
        if out.count > 1 << 20 { drain() }
        cpu += threadCPU() - start
        return 0
    }

    /// Routes and encodes one event's text.
    @inline(__always)
    func map(_ text: UnsafeRawBufferPointer) {
        guard mapper.route(text) != nil else { return }
        mapper.encode(into: out)
        out.append(0x0A)
        events += 1
    }

    func drain() {
        outBytes += out.count
        if digest {
            for byte in out.bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        }
        out.removeAll()
    }

    func caughtUp() {}
}

/// Counts lines and nothing else.
final class CountingConsumer: LineConsumer {
    var lines = 0
    func consume(_ chunk: LineChunk) -> Int {
        lines += chunk.count
        return 0
    }
    func caughtUp() {}
}

/// Puts each chunk's lines through the input's `EventAssembler` (container envelopes, multiline
/// grouping) before mapping, as InputPipeline does; its CPU time counts as the mapping's.
final class AssemblingConsumer: LineConsumer {
    let assembler: EventAssembler
    let mapping: MappingConsumer

    init(assembler: EventAssembler, mapping: MappingConsumer) {
        self.assembler = assembler
        self.mapping = mapping
    }

    func consume(_ chunk: LineChunk) -> Int {
        let start = threadCPU()
        assembler.begin(file: chunk.file.id)
        for index in 0..<chunk.count {
            assembler.push(chunk.line(index), offset: chunk.offset(index)) { mapping.map($0.text) }
        }
        assembler.endChunk()
        mapping.lines += chunk.count
        if mapping.out.count > 1 << 20 { mapping.drain() }
        mapping.cpu += threadCPU() - start
        return 0
    }

    func heldOffset(of file: FileDescription) -> Int64? { assembler.heldOffset(file: file.id) }

    func fileQuiet(_ file: FileDescription, quietSeconds: Double, token: UInt64) -> Int {
        flush(file, quietSeconds)
    }

    func fileReleased(_ file: FileDescription, token: UInt64) -> Int { flush(file, nil) }

    private func flush(_ file: FileDescription, _ quietSeconds: Double?) -> Int {
        let start = threadCPU()
        assembler.flush(file: file.id, quietSeconds: quietSeconds) { mapping.map($0.text) }
        mapping.cpu += threadCPU() - start
        return 0
    }

    func caughtUp() {}
}

/// The consumer the tailer feeds: with a container format or multiline grouping, the assembler
/// goes between the tailer and the mapping consumer, as the shipper wires it, so that
/// Benchmarks/parsers.py can compare a case with it against the same parser without it.
func pipeline(for input: ShipperConfig.Input, mapping: MappingConsumer) -> any LineConsumer {
    guard EventAssembler.isNeeded(for: input.mapping) else { return mapping }
    do {
        return AssemblingConsumer(assembler: try EventAssembler(spec: input.mapping), mapping: mapping)
    } catch {
        fail("the multiline or container settings do not compile: \(error)")
    }
}

/// Lines of the file at `path` by a read(2) loop and memchr, 256 KiB at a time.
func memchrCount(_ path: String) -> (bytes: Int, lines: Int) {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { fail("cannot open \(path)") }
    defer { close(fd) }
    let capacity = 256 << 10
    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    defer { buffer.deallocate() }
    var bytes = 0
    var lines = 0
    var last: UInt8 = 0x0A
    while true {
        let count = read(fd, buffer, capacity)
        guard count > 0 else { break }
        bytes += count
        var position = 0
        while let hit = memchr(buffer + position, 0x0A, count - position) {
            lines += 1
            position = UnsafeMutablePointer(hit.assumingMemoryBound(to: UInt8.self)) - buffer + 1
        }
        last = buffer[count - 1]
    }
    return (bytes, lines + (bytes > 0 && last != 0x0A ? 1 : 0))
}

func fileSize(_ path: String) -> Int {
    var info = stat()
    return stat(path, &info) == 0 ? Int(info.st_size) : 0
}

let options = Options(CommandLine.arguments)
let config: ShipperConfig
do {
    config = try ConfigLoader.load(path: options.config)
} catch {
    fail(error.description)
}
guard let input = config.inputs.first, let path = input.tail.paths.first else {
    fail("the config needs one input with one path")
}

let wallStart = Clock.nanos()
let cpuStart = threadCPU()
var result: [(String, String)] = [("mode", "\"\(options.mode)\"")]
switch options.mode {
case "memchr":
    let (bytes, lines) = memchrCount(path)
    result += [("bytes", "\(bytes)"), ("lines", "\(lines)")]
default:
    let state = "/tmp/parser-bench.\(getpid()).sqlite"
    defer { for suffix in ["", "-wal", "-shm", ".lock"] { unlink(state + suffix) } }
    let store: CheckpointStore
    let tailer: Tailer
    do {
        store = try CheckpointStore(path: state)
        tailer = try Tailer(options: input.tail, store: store, logger: Logger(level: .warning))
    } catch {
        fail("cannot start the tailer: \(error)")
    }
    if options.mode == "tailer" {
        let counter = CountingConsumer()
        tailer.run(consumer: counter, once: true)
        result += [("bytes", "\(fileSize(path))"), ("lines", "\(counter.lines)")]
    } else {
        let mapper: EventMapper
        do {
            mapper = try EventMapper(spec: input.mapping)
        } catch {
            fail("the mapping does not compile: \(error)")
        }
        let mapping = MappingConsumer(mapper: mapper, digest: options.digest)
        tailer.run(consumer: pipeline(for: input, mapping: mapping), once: true)
        mapping.drain()
        result += [
            ("bytes", "\(fileSize(path))"), ("lines", "\(mapping.lines)"), ("events", "\(mapping.events)"),
            ("parse_failures", "\(mapper.parseFailures)"), ("out_bytes", "\(mapping.outBytes)"),
            ("map_cpu_s", "\(mapping.cpu)"),
        ]
        if options.digest { result.append(("digest", "\"\(String(mapping.hash, radix: 16))\"")) }
    }
}
result += [
    ("wall_s", "\(Double(Clock.nanos() - wallStart) / 1e9)"), ("cpu_s", "\(threadCPU() - cpuStart)"),
    ("peak_rss_bytes", "\(peakResidentBytes())"),
]
print("{" + result.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}")
