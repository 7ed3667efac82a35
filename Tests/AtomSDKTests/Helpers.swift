import AtomBase
import AtomSDK
import Foundation
import Testing

/// One case of the wire vectors.
struct WireVector: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let stream: String
    let authKey: String
    let bulk: Bool
    let events: [String]
    let data: String
    let auth: String?
    let path: String
    let body: String
    let getQueryData: String

    var testDescription: String { name }

    static let all: [WireVector] = {
        struct File: Decodable { let cases: [WireVector] }
        do {
            return try JSONDecoder().decode(File.self, from: Data(atomWireVectorsJSON.utf8)).cases
        } catch {
            Issue.record("the embedded vectors do not decode: \(error)")
            return []
        }
    }()
}

/// A thread-safe list that callbacks append to.
final class Collected<Element: Sendable>: @unchecked Sendable {
    // Safe: `items` is only touched under `lock`.
    private let lock = NSLock()
    private var items: [Element] = []

    func append(_ item: Element) {
        lock.lock()
        items.append(item)
        lock.unlock()
    }

    var all: [Element] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}

/// A random source that plays back fixed numbers (then repeats the last).
final class FixedRandom: @unchecked Sendable {
    // Safe: `index` is only touched under `lock`.
    private let lock = NSLock()
    private let values: [Double]
    private var index = 0

    init(_ values: [Double]) { self.values = values }

    func next() -> Double {
        lock.lock()
        defer { lock.unlock() }
        let value = values[min(index, values.count - 1)]
        index += 1
        return value
    }
}

/// Tracker options for tests: one worker, long interval, retries recorded instead of slept.
func testOptions(sleeps: Collected<Double>? = nil, random: [Double] = [0.5]) -> TrackerOptions {
    var options = TrackerOptions()
    options.workers = 1
    options.flushInterval = 60
    let source = FixedRandom(random)
    options.random = { source.next() }
    if let sleeps { options.sleep = { sleeps.append($0) } }
    return options
}

/// A transport that holds every send until `open()` is called, then passes it on.
final class GatedTransport: Transport {
    let inner: any Transport
    let gate = Completion()

    init(_ inner: any Transport) { self.inner = inner }

    func open() { gate.signal() }

    func send(_ batch: EventBatch) -> TransportResult {
        gate.wait()
        return inner.send(batch)
    }
}

/// An event's JSON text as the tests write it.
func event(_ index: Int, _ extra: String = "") -> String {
    "{\"i\":\(index)\(extra.isEmpty ? "" : ",\"x\":\"\(extra)\"")}"
}

/// Tracks `events` as one slab, each committed with the token at the same position.
func trackSlab(_ tracker: Tracker, _ stream: StreamID, _ events: [String], tokens: [UInt64]? = nil) throws {
    let slab = EventSlab()
    for (index, text) in events.enumerated() {
        slab.data.append(string: text)
        slab.commit(token: tokens?[index] ?? UInt64(index))
    }
    try tracker.track(slab, to: stream)
}

/// The events of a bulk request's `data` string.
func decodeData(_ data: String?) -> [String] {
    guard let data, let array = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String] else {
        return []
    }
    return array
}

/// Polls `condition` every 5 ms until it holds; false after `timeout` seconds.
func eventually(timeout: Double = 20, _ condition: () -> Bool) -> Bool {
    let deadline = Clock.nanos() + UInt64(timeout * 1e9)
    while !condition() {
        if Clock.nanos() >= deadline { return false }
        usleep(5000)
    }
    return true
}
