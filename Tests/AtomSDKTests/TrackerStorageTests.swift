import AtomBase
import AtomSDK
import Foundation
import Testing
import TestSupport

/// A custom backlog: one list for every stream, bounded in events, recording each call.
final class ListStorage: EventStorage, @unchecked Sendable {
    // Safe: every property is only touched under `lock`.
    private let lock = NSLock()
    private var events: [StoredEvent] = []
    private let capacity: Int
    /// Streams whose events `get` pretends not to have (a storage that loses events).
    private let losing: Set<String>
    private(set) var adds = 0
    private(set) var removes = 0

    init(capacity: Int = .max, losing: Set<String> = []) {
        self.capacity = capacity
        self.losing = losing
    }

    func add(_ event: StoredEvent) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard events.count < capacity else { return false }
        events.append(event)
        adds += 1
        return true
    }

    func get(stream: String) -> StoredEvent? {
        lock.lock()
        defer { lock.unlock() }
        if losing.contains(stream) { return nil }
        return events.first { $0.stream == stream }
    }

    func remove(stream: String) {
        lock.lock()
        defer { lock.unlock() }
        guard let index = events.firstIndex(where: { $0.stream == stream }) else { return }
        events.remove(at: index)
        removes += 1
    }

    var isEmpty: Bool {
        lock.lock()
        defer { lock.unlock() }
        return events.isEmpty
    }

    var held: [StoredEvent] {
        lock.lock()
        defer { lock.unlock() }
        return events
    }

    var calls: (adds: Int, removes: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (adds, removes)
    }
}

@Suite("Tracker event storage, batch pool, default key, debug log and counters")
struct TrackerStorageTests {
    @Test("a custom storage holds every tracked event until it is batched, in order")
    func customStorage() throws {
        let receiver = try AtomReceiver()
        let storage = ListStorage()
        var options = testOptions()
        options.batchSize = 3
        let tracker = Tracker(options: options, transport: AtomHTTPTransport(endpoint: receiver.endpoint),
                              deadLetters: nil, storage: storage)
        let web = (0..<7).map { event($0) }
        let app = (10..<12).map { event($0) }

        for text in web { try tracker.track(stream: "web", data: text) }
        for text in app { try tracker.track(stream: "app", data: text) }
        // Two full batches of "web" left the storage; the partial ones wait for the interval.
        #expect(receiver.waitForEvents(count: 6, timeout: 20))
        #expect(storage.held == [StoredEvent(stream: "web", data: web[6], token: 0)]
                + app.map { StoredEvent(stream: "app", data: $0, token: 0) })
        tracker.flush()
        #expect(tracker.waitUntilIdle(timeout: 20))

        #expect(receiver.events(stream: "web") == web)
        #expect(receiver.events(stream: "app") == app)
        #expect(receiver.requests.map { decodeData($0.data).count }.sorted() == [1, 2, 3, 3])
        #expect(storage.isEmpty)
        #expect(storage.calls.adds == 9 && storage.calls.removes == 9)
        #expect(tracker.stop(deadline: 5) == 0)
    }

    @Test("while batchPoolSize batches wait for a worker, further events stay in the storage")
    func poolBoundsSealedBatches() throws {
        let receiver = try AtomReceiver()
        let transport = GatedTransport(AtomHTTPTransport(endpoint: receiver.endpoint))
        let storage = ListStorage()
        var options = testOptions()
        options.batchSize = 2
        options.batchPoolSize = 1
        let tracker = Tracker(options: options, transport: transport, deadLetters: nil, storage: storage)
        let events = (0..<10).map { event($0) }

        for text in events { try tracker.track(stream: "web", data: text) }

        // One batch is with the (held) worker and one waits in the pool: six events stay stored.
        #expect(eventually { tracker.counters.batchesInFlight == 1 && storage.held.count == 6 })
        #expect(storage.held.map(\.data) == Array(events[4...]))
        #expect(tracker.backlogByStream == ["web": 10])
        transport.open()
        #expect(tracker.waitUntilIdle(timeout: 20))
        #expect(receiver.events(stream: "web") == events)
        #expect(receiver.requests.map { decodeData($0.data).count } == [2, 2, 2, 2, 2])
        #expect(tracker.backlogByStream == ["web": 0])
        #expect(tracker.stop(deadline: 5) == 0)
    }

    @Test("a full custom storage makes a non-blocking track throw backlogFull after the timeout")
    func fullStorageTimesOut() throws {
        let receiver = try AtomReceiver()
        let transport = GatedTransport(AtomHTTPTransport(endpoint: receiver.endpoint))
        let storage = ListStorage(capacity: 2)
        var options = testOptions()
        options.batchSize = 1
        options.batchPoolSize = 1
        options.blocking = false
        options.enqueueTimeout = 0.2
        let tracker = Tracker(options: options, transport: transport, deadLetters: nil, storage: storage)

        // Event 0 is with the held worker, event 1 in the pool, events 2 and 3 fill the storage.
        try tracker.track(stream: "web", data: event(0))
        #expect(eventually { tracker.counters.batchesInFlight == 1 })
        for index in 1..<4 { try tracker.track(stream: "web", data: event(index)) }
        #expect(storage.held.map(\.data) == [event(2), event(3)])
        #expect {
            try tracker.track(stream: "web", data: event(4))
        } throws: { error in
            guard case TrackerError.backlogFull("web") = error else { return false }
            return "\(error)".contains("web")
        }
        #expect(tracker.counters.dropped == 1)
        #expect(tracker.counters.accepted == 4)

        transport.open()
        #expect(tracker.waitUntilIdle(timeout: 20))
        #expect(receiver.events(stream: "web") == (0..<4).map { event($0) })
        #expect(tracker.stop(deadline: 5) == 0)
    }

    @Test("events a storage loses are counted as dropped and nothing waits for them")
    func lostEvents() throws {
        let receiver = try AtomReceiver()
        let storage = ListStorage(losing: ["lossy"])
        let tracker = Tracker(options: testOptions(), transport: AtomHTTPTransport(endpoint: receiver.endpoint),
                              deadLetters: nil, storage: storage)

        try tracker.track(stream: "lossy", data: event(0))
        try tracker.track(stream: "web", data: event(1))
        tracker.flush()

        #expect(tracker.waitUntilIdle(timeout: 20))
        #expect(receiver.events(stream: "web") == [event(1)])
        #expect(receiver.events(stream: "lossy").isEmpty)
        #expect(tracker.counters.dropped == 1)
        #expect(tracker.stop(deadline: 5) == 0)
    }

    @Test("the default storage bounds each stream's queue in events and in bytes")
    func memoryStorageBounds() {
        let storage = MemoryEventStorage(maxEvents: 2, maxBytes: 10)
        #expect(storage.isEmpty)
        #expect(storage.add(StoredEvent(stream: "a", data: "{\"big\":\"0123456789\"}", token: 1)),
                "an empty queue takes an event of any size")
        #expect(!storage.add(StoredEvent(stream: "a", data: "{}", token: 2)), "over the byte bound")
        #expect(storage.add(StoredEvent(stream: "b", data: "{}", token: 3)), "another stream has its own queue")
        #expect(storage.add(StoredEvent(stream: "b", data: "[]", token: 4)))
        #expect(!storage.add(StoredEvent(stream: "b", data: "1", token: 5)), "over the event bound")

        #expect(storage.get(stream: "b") == StoredEvent(stream: "b", data: "{}", token: 3))
        #expect(storage.get(stream: "b")?.token == 3, "get leaves the event in place")
        storage.remove(stream: "b")
        #expect(storage.get(stream: "b") == StoredEvent(stream: "b", data: "[]", token: 4))
        #expect(storage.count(stream: "b") == 1)
        storage.remove(stream: "a")
        storage.remove(stream: "b")
        storage.remove(stream: "never")
        #expect(storage.get(stream: "a") == nil)
        #expect(storage.isEmpty)
    }

    @Test("bodies equal the vectors when the stream's key is the tracker's default or given per call",
          arguments: WireVector.all.filter { $0.bulk })
    func trackerKeysMatchVectors(_ vector: WireVector) throws {
        for perCall in [false, true] {
            let keys = vector.authKey.isEmpty ? [:] : [vector.stream: vector.authKey]
            let receiver = try AtomReceiver(keys: keys)
            var options = testOptions()
            options.batchSize = vector.events.count
            if !perCall { options.authKey = vector.authKey }
            let tracker = Tracker(options: options, transport: AtomHTTPTransport(endpoint: receiver.endpoint),
                                  deadLetters: nil)
            for text in vector.events {
                try tracker.track(stream: vector.stream, data: text, authKey: perCall ? vector.authKey : nil)
            }
            #expect(tracker.stop(deadline: 20) == 0)

            #expect(receiver.requests.map(\.bodyText) == [vector.body], "per call: \(perCall)")
            #expect(receiver.authFailures == 0)
        }
    }

    @Test("with debug on, every request is logged at debug level; with it off, none is")
    func debugLogging() throws {
        for debug in [true, false] {
            let receiver = try AtomReceiver()
            receiver.plan([.status(503)])
            let logger = Logger(level: .debug, fd: -1, captureLines: true)
            var options = testOptions(sleeps: Collected<Double>())
            options.debug = debug
            let tracker = Tracker(options: options, transport: AtomHTTPTransport(endpoint: receiver.endpoint),
                                  deadLetters: nil, logger: logger)
            try tracker.track(stream: "web", data: event(0))
            try tracker.track(stream: "web", data: event(1))
            #expect(tracker.stop(deadline: 20) == 0)

            let sent = logger.capturedLines.filter { $0.contains(" debug batch sent ") }
            if debug {
                #expect(sent.count == 2)
                #expect(sent.allSatisfy { $0.contains("stream=web events=2 dataBytes=\(2 * 12 + 1)") })
                #expect(sent.first?.contains("attempt=1 result=\"to retry: HTTP 503") == true)
                #expect(sent.last?.hasSuffix("attempt=2 result=delivered") == true)
            } else {
                #expect(sent.isEmpty)
            }
        }
    }

    @Test("counters: accepted, sent, retried, dead-lettered, dropped, last error, backlog per stream")
    func countersAndBacklog() throws {
        let receiver = try AtomReceiver()
        receiver.plan([.status(500), .status(400)], stream: "web")
        let transport = GatedTransport(AtomHTTPTransport(endpoint: receiver.endpoint))
        var options = testOptions(sleeps: Collected<Double>())
        options.backlogEvents = 3
        options.blocking = false
        options.enqueueTimeout = 0
        let tracker = Tracker(options: options, transport: transport, deadLetters: nil)

        try tracker.track(stream: "web", data: event(0))
        try tracker.track(stream: "web", data: event(1))
        try tracker.track(stream: "app", data: event(2))
        #expect(throws: TrackerError.self) { try tracker.track(stream: "app", data: event(3)) }
        #expect(tracker.backlogByStream == ["web": 2, "app": 1])
        tracker.flush()
        // The one worker holds a batch at the closed gate; the other waits in the queue.
        #expect(eventually { tracker.counters.batchesInFlight == 1 })
        transport.open()
        #expect(tracker.waitUntilIdle(timeout: 20))

        let counters = tracker.counters
        #expect(counters.accepted == 3)
        #expect(counters.sent == 3, "web: 500 then 400; app: 200")
        #expect(counters.retried == 1)
        #expect(counters.delivered == 1)
        #expect(counters.deadLettered == 2)
        #expect(counters.dropped == 1)
        #expect(counters.batchesInFlight == 0)
        #expect(counters.lastError?.hasPrefix("stream web: HTTP 400") == true)
        #expect(tracker.backlogByStream == ["web": 0, "app": 0])
        #expect(receiver.events(stream: "app") == [event(2)])
        #expect(tracker.stop(deadline: 5) == 0)
    }
}
