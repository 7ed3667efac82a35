// The SDK benchmark's tracker process (driven by Benchmarks/sdk_bench.py): it tracks N events of
// SIZE bytes through a Tracker to an Atom endpoint, the way an SDK user does (track with a
// String), and prints one JSON line with what it measured.
//
//   atom-sdk-bench --endpoint URL [--events N] [--size BYTES] [--workers W] [--key KEY]
//   atom-sdk-bench --emit-data [--events N] [--size BYTES] [--key KEY]
//
// With --emit-data it tracks the same events into the same batches, but writes each batch's
// request `data` string (what the HMAC signs) to stdout instead of sending it, so that
// `openssl dgst -sha256 -hmac KEY` can hash exactly those bytes for comparison.
import AtomBase
import AtomSDK
import Glibc

struct Settings {
    var endpoint = "http://127.0.0.1:8080/"
    var events = 1_000_000
    var size = 1024
    var workers = 1
    var key = "benchmark-key"
    var emitData = false
}

func parse(_ arguments: [String]) -> Settings? {
    var settings = Settings()
    var rest = arguments.dropFirst()[...]
    while let argument = rest.popFirst() {
        switch argument {
        case "--emit-data": settings.emitData = true
        case "--endpoint": settings.endpoint = rest.popFirst() ?? ""
        case "--key": settings.key = rest.popFirst() ?? ""
        case "--events", "--size", "--workers":
            guard let value = rest.popFirst().flatMap({ Int($0) }), value > 0 else { return nil }
            if argument == "--events" { settings.events = value }
            if argument == "--size" { settings.size = value }
            if argument == "--workers" { settings.workers = value }
        default: return nil
        }
    }
    return settings
}

/// 1,000 distinct events of exactly `size` bytes of JSON (short fields, then padding text).
func eventPool(size: Int) -> [String] {
    let text = Array("alpha bravo charlie delta echo foxtrot golf hotel ".utf8)
    return (0..<1000).map { n in
        let head = Array(#"{"seq":\#(n),"user":"user-\#(n % 97)","path":"/api/v1/items/\#(n)","pad":""#.utf8)
        let room = max(0, size - head.count - 2)
        let pad = (0..<room).map { text[($0 + n) % text.count] }
        return String(decoding: head + pad + Array(#""}"#.utf8), as: UTF8.self)
    }
}

/// Writes each batch's `data` string to stdout (one write per batch) instead of sending it.
final class DataWriter: Transport {
    func send(_ batch: EventBatch) -> TransportResult {
        let out = ByteBuffer(capacity: batch.jsonLines.count * 2)
        AtomWire.appendData(batch, to: out)
        do {
            try Sys.writeAll(1, out.bytes, path: "stdout")
            return .delivered
        } catch {
            return .rejected(status: 0, reason: error.description)
        }
    }
}

guard let settings = parse(CommandLine.arguments) else {
    var usage = "usage: atom-sdk-bench (--endpoint URL | --emit-data) [--events N] [--size BYTES] "
        + "[--workers W] [--key KEY]\n"
    usage.withUTF8 { _ = try? Sys.writeAll(2, UnsafeRawBufferPointer($0)) }
    exit(2)
}

let pool = eventPool(size: settings.size)
var options = TrackerOptions()
options.workers = settings.workers
options.authKey = settings.key
options.retryForever = false
options.retryMaxCount = 3
let transport: any Transport = settings.emitData
    ? DataWriter() : AtomHTTPTransport(endpoint: settings.endpoint)
let tracker = Tracker(options: options, transport: transport, deadLetters: nil)

let startCPU = Clock.processCPUSeconds()
let start = Clock.nanos()
var refused = 0
for index in 0..<settings.events {
    do {
        try tracker.track(stream: "bench", data: pool[index % pool.count])
    } catch {
        refused += 1
    }
}
let unsettled = tracker.stop(deadline: 600)
let wall = Double(Clock.nanos() - start) / 1e9
let cpu = Clock.processCPUSeconds() - startCPU
let counters = tracker.counters

if !settings.emitData {
    print(#"{"events":\#(settings.events),"size":\#(settings.size),"workers":\#(settings.workers),"#
          + #""wall":\#(wall),"cpu":\#(cpu),"requests":\#(counters.sent),"delivered":\#(counters.delivered),"#
          + #""deadLettered":\#(counters.deadLettered),"refused":\#(refused),"unsettled":\#(unsettled)}"#)
}
exit(counters.delivered == settings.events ? 0 : 1)
