// A program that uses only the AtomSDK library, as the official SDKs' examples do: it sends a few
// events with the low-level client, then a few hundred through the batching tracker, and prints
// what happened to each batch. The README's library section shows the same calls.
//
//   swift run atom-sdk-example [ENDPOINT] [STREAM] [AUTH_KEY] [--until-signal]
//
// The defaults send nothing anywhere: ENDPOINT defaults to http://127.0.0.1:8080/ (start any
// Atom-compatible receiver there), STREAM to "sdk_example", AUTH_KEY to none. Proxies come from
// HTTP_PROXY, HTTPS_PROXY and NO_PROXY. With --until-signal it then keeps tracking an event every
// millisecond to STREAM_follow until SIGINT or SIGTERM, which stop the tracker gracefully.
import AtomSDK
import Glibc

let follow = CommandLine.arguments.contains("--until-signal")
let arguments = CommandLine.arguments.filter { $0 != "--until-signal" }
let endpoint = arguments.count > 1 ? arguments[1] : "http://127.0.0.1:8080/"
let stream = arguments.count > 2 ? arguments[2] : "sdk_example"
let authKey = arguments.count > 3 ? arguments[3] : nil

/// An event as a program declares it; the SDK encodes it as JSON.
struct PageView: Encodable {
    let page: String
    let milliseconds: Int
}

// 1. One request per call, like putEvent / putEvents in the official SDKs: data given as text is
//    sent as is; a dictionary or an Encodable value is JSON-encoded.
let client = AtomClient(endpoint: endpoint, authKey: authKey)
let single = client.putEvent(stream: stream, data: #"{"event":"hello","source":"atom-sdk-example"}"#)
print("putEvent: status \(single.status)\(single.error.map { ", error: \($0)" } ?? "")")
let bulk = client.putEvents(stream: stream, events: [PageView(page: "/a", milliseconds: 12),
                                                     PageView(page: "/b", milliseconds: 7)])
print("putEvents: status \(bulk.status)\(bulk.error.map { ", error: \($0)" } ?? "")")

// 2. The tracker: batching by count, bytes and interval, workers, retries with backoff, a
//    rotated dead-letter file, a report per batch and an error callback for rejected batches.
var options = TrackerOptions()
options.batchSize = 100
options.flushInterval = 2
options.retryForever = false
options.retryMaxCount = 3
options.authKey = authKey
let tracker = Tracker(
    endpoint: endpoint, options: options,
    deadLetters: try? DeadLetterWriter(path: "sdk-example-dead-letter.jsonl",
                                       rotation: FileRotation(maxFileBytes: 10 << 20, maxTotalBytes: 100 << 20)),
    onReport: { report in
        print("batch of \(report.events) to \(report.stream): \(report.outcome) after \(report.attempts) attempt(s)")
    },
    onError: { error in
        print("rejected: status \(error.status.map(String.init) ?? "none"), \(error.message)")
    })

for n in 0..<250 {
    do {
        try tracker.track(stream: stream, data: ["n": n, "source": "atom-sdk-example"])
    } catch {
        print("not tracked: \(error)")
    }
}
tracker.flush()

guard follow else {
    let undelivered = tracker.stop(deadline: 30)
    let counters = tracker.counters
    print("tracker: \(counters.delivered) delivered, \(counters.deadLettered) dead-lettered, "
          + "\(undelivered) not settled")
    exit(undelivered == 0 && counters.deadLettered == 0 ? 0 : 1)
}

// 3. Until SIGINT or SIGTERM: the first one stops the tracker (delivering what it holds), then
//    the program exits.
tracker.stopOnSignals(deadline: 30) { signal, unsettled in
    let counters = tracker.counters
    print("stopped by \(signal == SIGINT ? "SIGINT" : "SIGTERM"): \(counters.accepted) accepted, "
          + "\(counters.delivered) delivered, \(unsettled) not settled")
    exit(unsettled == 0 && counters.deadLettered == 0 ? 0 : 1)
}
print("following until SIGINT or SIGTERM")
var n = 0
while true {
    do {
        try tracker.track(stream: stream + "_follow", data: PageView(page: "/follow", milliseconds: n))
        n += 1
    } catch {
        // The tracker is stopping: the signal thread ends the program.
    }
    usleep(1000)
}
