import AtomBase
import AtomSDK
import Foundation
import Testing
import TestSupport

@Suite("Tracker batching against the loopback receiver")
struct TrackerBatchingTests {
    @Test("batches are cut at batchSize events")
    func batchesByCount() throws {
        let receiver = try AtomReceiver()
        let reports = Collected<BatchReport>()
        var options = testOptions()
        options.batchSize = 3
        let tracker = Tracker(options: options, transport: AtomHTTPTransport(endpoint: receiver.endpoint),
                              deadLetters: nil, onReport: { reports.append($0) })
        let events = (0..<7).map { event($0) }

        try trackSlab(tracker, tracker.stream(named: "web", authKey: nil), events)
        #expect(receiver.waitForEvents(count: 6, timeout: 20))
        tracker.flush()
        #expect(tracker.waitUntilIdle(timeout: 20))

        #expect(receiver.requests.map { decodeData($0.data).count } == [3, 3, 1])
        #expect(receiver.events(stream: "web") == events)
        #expect(reports.all.map(\.events) == [3, 3, 1])
        #expect(reports.all.flatMap(\.tokens).map(\.token) == Array(0..<7))
        #expect(reports.all.allSatisfy { $0.outcome == .delivered && $0.attempts == 1 })
        #expect(tracker.stop(deadline: 5) == 0)
    }

    @Test("batches are cut so that the data string stays within batchBytes")
    func batchesByBytes() throws {
        let receiver = try AtomReceiver()
        var options = testOptions()
        let events = (0..<10).map { event($0, "abcdef") }
        // Each event is escaped once inside the data array: every quote gains a backslash, and
        // the element adds two quotes and a comma; the array adds "[" and "]" less one comma.
        let share = events[0].utf8.count + events[0].filter { $0 == "\"" }.count + 3
        options.batchBytes = 1 + 4 * share
        let tracker = Tracker(options: options, transport: AtomHTTPTransport(endpoint: receiver.endpoint),
                              deadLetters: nil)

        try trackSlab(tracker, tracker.stream(named: "web", authKey: nil), events)
        tracker.flush()
        #expect(tracker.waitUntilIdle(timeout: 20))

        let requests = receiver.requests
        #expect(requests.map { decodeData($0.data).count } == [4, 4, 2])
        #expect(requests.allSatisfy { ($0.data?.utf8.count ?? .max) <= options.batchBytes })
        #expect(requests.first?.data?.utf8.count == options.batchBytes)
        #expect(receiver.events(stream: "web") == events)
        tracker.stop(deadline: 5)
    }

    @Test("batchBytes is held to at most 512 KiB, and no request's data passes it")
    func batchBytesCapped() throws {
        let receiver = try AtomReceiver()
        var options = testOptions()
        options.batchBytes = 4 << 20
        options.batchSize = 100_000
        let tracker = Tracker(options: options, transport: AtomHTTPTransport(endpoint: receiver.endpoint),
                              deadLetters: nil)
        let events = (0..<700).map { event($0, String(repeating: "k", count: 1000)) }

        #expect(tracker.limits.batchBytes == 512 * 1024)
        try trackSlab(tracker, tracker.stream(named: "web", authKey: nil), events)
        #expect(tracker.stop(deadline: 20) == 0)

        let sizes = receiver.requests.compactMap { $0.data?.utf8.count }
        #expect(sizes.count == 2)
        #expect(sizes.allSatisfy { $0 <= 512 * 1024 })
        #expect(sizes[0] > 512 * 1024 - 1100, "the first batch is cut as late as the limit allows")
        #expect(receiver.events(stream: "web") == events)
    }

    @Test("an event larger than batchBytes travels alone")
    func largeEventAlone() throws {
        let receiver = try AtomReceiver()
        var options = testOptions()
        options.batchBytes = 200
        let tracker = Tracker(options: options, transport: AtomHTTPTransport(endpoint: receiver.endpoint),
                              deadLetters: nil)
        let big = event(1, String(repeating: "z", count: 400))
        let events = [event(0), big, event(2)]

        try trackSlab(tracker, tracker.stream(named: "web", authKey: nil), events)
        tracker.flush()
        #expect(tracker.waitUntilIdle(timeout: 20))

        #expect(receiver.requests.map { decodeData($0.data) } == [[event(0)], [big], [event(2)]])
        tracker.stop(deadline: 5)
    }

    @Test("a partial batch is sent once it is flushInterval old, without a flush call")
    func batchesByInterval() throws {
        let receiver = try AtomReceiver()
        var options = testOptions()
        options.flushInterval = 0.2
        let tracker = Tracker(options: options, transport: AtomHTTPTransport(endpoint: receiver.endpoint),
                              deadLetters: nil)

        try trackSlab(tracker, tracker.stream(named: "web", authKey: nil), [event(0), event(1)])

        #expect(receiver.waitForEvents(count: 2, timeout: 20))
        #expect(receiver.requests.count == 1)
        #expect(receiver.events(stream: "web") == [event(0), event(1)])
        tracker.stop(deadline: 5)
    }

    @Test("several workers send batches in parallel")
    func workersInParallel() throws {
        let receiver = try AtomReceiver()
        receiver.plan([.delay(seconds: 0.5), .delay(seconds: 0.5), .delay(seconds: 0.5)])
        var options = testOptions()
        options.workers = 3
        options.batchSize = 1
        let tracker = Tracker(options: options, transport: AtomHTTPTransport(endpoint: receiver.endpoint),
                              deadLetters: nil)

        try trackSlab(tracker, tracker.stream(named: "web", authKey: nil), (0..<3).map { event($0) })
        #expect(tracker.waitUntilIdle(timeout: 20))

        #expect(receiver.maxConcurrentRequests > 1)
        #expect(Set(receiver.events(stream: "web")) == Set((0..<3).map { event($0) }))
        tracker.stop(deadline: 5)
    }

    @Test("reports carry run-length tokens in event order")
    func reportsCarryTokens() throws {
        let receiver = try AtomReceiver()
        let reports = Collected<BatchReport>()
        let tracker = Tracker(options: testOptions(), transport: AtomHTTPTransport(endpoint: receiver.endpoint),
                              deadLetters: nil, onReport: { reports.append($0) })

        try trackSlab(tracker, tracker.stream(named: "web", authKey: nil), (0..<4).map { event($0) },
                      tokens: [5, 5, 9, 5])
        tracker.flush()
        #expect(tracker.waitUntilIdle(timeout: 20))

        let report = try #require(reports.all.first)
        #expect(reports.all.count == 1)
        #expect(report.stream == "web")
        #expect(report.tokens == [TokenRun(token: 5, count: 2), TokenRun(token: 9, count: 1),
                                  TokenRun(token: 5, count: 1)])
        tracker.stop(deadline: 5)
    }

    @Test("streams sign with their own keys, registered or given per call")
    func streamKeys() throws {
        let receiver = try AtomReceiver(keys: ["a": "key-a", "b": "key-b"])
        let tracker = Tracker(options: testOptions(), transport: AtomHTTPTransport(endpoint: receiver.endpoint),
                              deadLetters: nil)
        let streamA = tracker.stream(named: "a", authKey: "key-a")

        #expect(tracker.stream(named: "a", authKey: nil) == streamA)
        try trackSlab(tracker, streamA, [event(0)])
        try tracker.track(stream: "b", data: event(1), authKey: "key-b")
        tracker.flush()
        #expect(tracker.waitUntilIdle(timeout: 20))

        #expect(receiver.authFailures == 0)
        #expect(receiver.events(stream: "a") == [event(0)])
        #expect(receiver.events(stream: "b") == [event(1)])
        tracker.stop(deadline: 5)
    }

    @Test("an event above hardEventLimit is dead-lettered at once and never sent")
    func hardLimitDeadLetters() throws {
        let receiver = try AtomReceiver()
        let folder = try TempDir()
        let reports = Collected<BatchReport>()
        var options = testOptions()
        options.hardEventLimit = 64
        let huge = event(1, String(repeating: "h", count: 100))
        let tracker = Tracker(options: options, transport: AtomHTTPTransport(endpoint: receiver.endpoint),
                              deadLetters: try DeadLetterWriter(path: folder.file("dead.jsonl")),
                              onReport: { reports.append($0) })

        try trackSlab(tracker, tracker.stream(named: "web", authKey: nil), [event(0), huge, event(2)],
                      tokens: [10, 11, 12])
        tracker.flush()
        #expect(tracker.waitUntilIdle(timeout: 20))

        #expect(receiver.events(stream: "web") == [event(0), event(2)])
        let refused = try #require(reports.all.first { $0.tokens == [TokenRun(token: 11, count: 1)] })
        guard case .deadLettered(nil, let reason) = refused.outcome else {
            Issue.record("outcome \(refused.outcome)")
            return
        }
        #expect(reason.contains("hard limit"))
        #expect(refused.attempts == 0)
        let line = try #require(folder.lines(of: "dead.jsonl").first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let logged = try #require(object["events"] as? [[String: Any]])
        #expect(logged.first?["x"] as? String == String(repeating: "h", count: 100))
        tracker.stop(deadline: 5)
    }

    @Test("stop sends what is left, returns 0 when all settled, and refuses later events")
    func stopDrains() throws {
        let receiver = try AtomReceiver()
        let tracker = Tracker(options: testOptions(), transport: AtomHTTPTransport(endpoint: receiver.endpoint),
                              deadLetters: nil)
        let stream = tracker.stream(named: "web", authKey: nil)
        try trackSlab(tracker, stream, [event(0), event(1)])

        #expect(tracker.stop(deadline: 20) == 0)
        #expect(receiver.events(stream: "web") == [event(0), event(1)])
        #expect(tracker.pendingEvents == 0)
        #expect(throws: TrackerError.self) { try trackSlab(tracker, stream, [event(2)]) }
        let counters = tracker.counters
        #expect(counters.accepted == 2 && counters.delivered == 2 && counters.batchesInFlight == 0)
    }

    @Test("a tracker over a file transport writes one line per event")
    func trackerToFiles() throws {
        let folder = try TempDir()
        var options = testOptions()
        options.batchSize = 2
        let tracker = Tracker(options: options, transport: try FileTransport(directory: folder.path),
                              deadLetters: nil)
        let events = (0..<5).map { event($0) }

        try trackSlab(tracker, tracker.stream(named: "web", authKey: nil), events)
        #expect(tracker.stop(deadline: 20) == 0)

        #expect(folder.lines(of: "web.jsonl") == events)
    }
}
