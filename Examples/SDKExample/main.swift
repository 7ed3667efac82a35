// A program that uses only the AtomSDK library, as the official SDKs' examples do: it sends one
// event with the low-level client, then a few hundred through the batching tracker, and prints
// what happened to each batch.
//
//   swift run atom-sdk-example [ENDPOINT] [STREAM] [AUTH_KEY]
//
// The defaults send nothing anywhere: ENDPOINT defaults to http://127.0.0.1:8080/ (start any
// Atom-compatible receiver there), STREAM to "sdk_example", AUTH_KEY to none.
import AtomSDK
import Glibc

let arguments = CommandLine.arguments
let endpoint = arguments.count > 1 ? arguments[1] : "http://127.0.0.1:8080/"
let stream = arguments.count > 2 ? arguments[2] : "sdk_example"
let authKey = arguments.count > 3 ? arguments[3] : nil

// 1. One request per call, like putEvent / putEvents in the Python SDK.
let client = AtomClient(endpoint: endpoint, authKey: authKey)
let single = client.putEvent(stream: stream, data: #"{"event":"hello","source":"atom-sdk-example"}"#)
print("putEvent: status \(single.status)\(single.error.map { ", error: \($0)" } ?? "")")
let bulk = client.putEvents(stream: stream, events: [#"{"n":1}"#, #"{"n":2}"#])
print("putEvents: status \(bulk.status)\(bulk.error.map { ", error: \($0)" } ?? "")")

// 2. The tracker: batching by count, bytes and interval, workers, retries with backoff,
//    delivery reports per batch and an error callback for rejected batches.
var options = TrackerOptions()
options.batchSize = 100
options.flushInterval = 2
options.retryForever = false
options.retryMaxCount = 3
let tracker = Tracker(
    options: options,
    transport: AtomHTTPTransport(endpoint: endpoint),
    deadLetters: try? DeadLetterWriter(path: "sdk-example-dead-letter.jsonl"),
    onReport: { report in
        print("batch of \(report.events) to \(report.stream): \(report.outcome) after \(report.attempts) attempt(s)")
    },
    onError: { error in
        print("rejected: status \(error.status.map(String.init) ?? "none"), \(error.message)")
    })

for n in 0..<250 {
    do {
        try tracker.track(stream: stream, data: #"{"n":\#(n),"source":"atom-sdk-example"}"#, authKey: authKey)
    } catch {
        print("not tracked: \(error)")
    }
}
tracker.flush()
let undelivered = tracker.stop(deadline: 30)
let counters = tracker.counters
print("tracker: \(counters.delivered) delivered, \(counters.deadLettered) dead-lettered, \(undelivered) not settled")
exit(undelivered == 0 && counters.deadLettered == 0 ? 0 : 1)
