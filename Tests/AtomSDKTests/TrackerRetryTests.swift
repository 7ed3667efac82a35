import AtomBase
import AtomSDK
import Foundation
import Testing
import TestSupport

/// A tracker with recorded sleeps, reports and errors, and a dead-letter file.
private struct Harness {
    let receiver: AtomReceiver
    let folder: TempDir
    let sleeps = Collected<Double>()
    let reports = Collected<BatchReport>()
    let errors = Collected<DeliveryError>()
    let tracker: Tracker

    init(receiver: AtomReceiver? = nil, endpoint: String? = nil, http: HTTPOptions = .init(),
         random: [Double] = [0.5], configure: (inout TrackerOptions) -> Void = { _ in }) throws {
        let receiver = try receiver ?? AtomReceiver()
        self.receiver = receiver
        folder = try TempDir()
        var options = testOptions(sleeps: sleeps, random: random)
        configure(&options)
        let reports = reports
        let errors = errors
        tracker = Tracker(options: options,
                          transport: AtomHTTPTransport(endpoint: endpoint ?? receiver.endpoint, options: http),
                          deadLetters: try DeadLetterWriter(path: folder.file("dead.jsonl")),
                          onReport: { reports.append($0) }, onError: { errors.append($0) })
    }

    func send(_ events: [String], stream: String = "web") throws {
        try trackSlab(tracker, tracker.stream(named: stream, authKey: nil), events)
        tracker.flush()
        #expect(tracker.waitUntilIdle(timeout: 30))
    }

    var deadLetterLines: [[String: Any]] {
        folder.lines(of: "dead.jsonl").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }
}

@Suite("Tracker retries and failures against the loopback receiver")
struct TrackerRetryTests {
    @Test("two 500s then success: retried with full-jitter delays from the random source")
    func retriesWithBackoff() throws {
        let harness = try Harness(random: [0.5, 0.75]) { $0.backoffBase = 0.1 }
        harness.receiver.plan([.status(500), .status(500)])

        try harness.send([event(0), event(1)])

        // Delay n = random · min(backoffMax, base · 2ⁿ): 0.5 · 0.1, then 0.75 · 0.2.
        let sleeps = harness.sleeps.all
        #expect(sleeps.count == 2)
        #expect(abs(sleeps[0] - 0.05) < 1e-9 && abs(sleeps[1] - 0.15) < 1e-9)
        #expect(harness.receiver.requests.map(\.status) == [500, 500, 200])
        #expect(harness.receiver.events(stream: "web") == [event(0), event(1)])
        let report = try #require(harness.reports.all.first)
        #expect(harness.reports.all.count == 1)
        #expect(report.outcome == .delivered && report.attempts == 3)
        #expect(harness.errors.all.isEmpty)
        #expect(harness.tracker.counters.retried == 2)
        harness.tracker.stop(deadline: 5)
    }

    @Test("with retryForever, tries go on past retryMaxCount until the batch is delivered")
    func retryForeverIgnoresMaxCount() throws {
        let harness = try Harness {
            $0.retryForever = true
            $0.retryMaxCount = 1
            $0.retryMaxTime = 0
        }
        harness.receiver.plan(Array(repeating: .status(500), count: 4))

        try harness.send([event(0)])

        #expect(harness.receiver.requests.map(\.status) == [500, 500, 500, 500, 200])
        #expect(harness.sleeps.all.count == 4)
        #expect(harness.reports.all.map(\.attempts) == [5])
        #expect(harness.errors.all.isEmpty)
        #expect(harness.receiver.events(stream: "web") == [event(0)])
        harness.tracker.stop(deadline: 5)
    }

    @Test("the backoff window is capped at backoffMax")
    func backoffCap() throws {
        let harness = try Harness(random: [1.0]) {
            $0.backoffBase = 1
            $0.backoffMax = 3
        }
        harness.receiver.plan([.status(502), .status(502), .status(502), .status(502)])

        try harness.send([event(0)])

        #expect(harness.sleeps.all == [1, 2, 3, 3])
        harness.tracker.stop(deadline: 5)
    }

    @Test("retryMaxCount bounds the tries; then the batch is dead-lettered and reported once")
    func retryMaxCountHonoured() throws {
        let harness = try Harness {
            $0.retryForever = false
            $0.retryMaxCount = 2
        }
        harness.receiver.plan(Array(repeating: .status(500), count: 5))

        try harness.send([event(0)])

        #expect(harness.receiver.requests.count == 3)
        #expect(harness.sleeps.all.count == 2)
        let report = try #require(harness.reports.all.first)
        #expect(harness.reports.all.count == 1)
        guard case .deadLettered(500, let reason) = report.outcome else {
            Issue.record("outcome \(report.outcome)")
            return
        }
        #expect(reason.hasPrefix("gave up after 3 attempts: "))
        #expect(harness.errors.all.count == 1)
        #expect(harness.deadLetterLines.count == 1)
        #expect(harness.receiver.allEvents.isEmpty)
        harness.tracker.stop(deadline: 5)
    }

    @Test("retryMaxTime bounds the time spent, waits included")
    func retryMaxTimeHonoured() throws {
        let harness = try Harness(random: [0]) {
            $0.retryForever = false
            $0.retryMaxCount = 100
            $0.retryMaxTime = 1
        }
        harness.receiver.plan(Array(repeating: .status(503, headers: ["Retry-After": "0.6"]), count: 5))

        try harness.send([event(0)])

        #expect(harness.sleeps.all == [0.6])
        #expect(harness.receiver.requests.count == 2)
        guard case .deadLettered(503, let reason)? = harness.reports.all.first?.outcome else {
            Issue.record("reports \(harness.reports.all)")
            return
        }
        #expect(reason.hasPrefix("gave up after 2 attempts"))
        harness.tracker.stop(deadline: 5)
    }

    @Test("a 400 calls onError once, writes a dead-letter line and reports deadLettered")
    func rejectedBatch() throws {
        let harness = try Harness()
        harness.receiver.plan([.status(400)])
        let events = [event(0, "first"), event(1, "second")]
        let before = Date().timeIntervalSince1970

        try harness.send(events)

        let after = Date().timeIntervalSince1970
        let errors = harness.errors.all
        #expect(errors.count == 1)
        let error = try #require(errors.first)
        let request = try #require(harness.receiver.requests.first)
        // The callback's five arguments, one by one.
        #expect(error.unixTime >= before - 0.001 && error.unixTime <= after + 0.001)
        #expect(error.status == 400)
        #expect(error.message == #"HTTP 400: {"error":"status 400"}"#, "the status and the receiver's body")
        #expect(error.data == request.data, "the data string exactly as the receiver got it")
        #expect(error.data == #"["{\"i\":0,\"x\":\"first\"}","{\"i\":1,\"x\":\"second\"}"]"#)
        #expect(error.stream == "web")
        #expect(harness.sleeps.all.isEmpty)

        let report = try #require(harness.reports.all.first)
        guard case .deadLettered(400, _) = report.outcome else {
            Issue.record("outcome \(report.outcome)")
            return
        }
        #expect(report.tokens.map(\.token) == [0, 1])

        let line = try #require(harness.deadLetterLines.first)
        #expect(harness.deadLetterLines.count == 1)
        #expect(line["stream"] as? String == "web")
        #expect(line["status"] as? Int == 400)
        let logged = try #require(line["events"] as? [[String: Any]])
        #expect(logged.map { $0["x"] as? String } == ["first", "second"])
        #expect(harness.receiver.allEvents.isEmpty)
        harness.tracker.stop(deadline: 5)
    }

    @Test("a 413 splits the batch and each half is delivered and reported")
    func tooLargeSplits() throws {
        let harness = try Harness { $0.batchSize = 4 }
        harness.receiver.plan([.status(413)])
        let events = (0..<4).map { event($0) }

        try harness.send(events)

        #expect(harness.receiver.requests.map { decodeData($0.data).count } == [4, 2, 2])
        #expect(harness.receiver.events(stream: "web") == events)
        let reports = harness.reports.all
        #expect(reports.map(\.tokens) == [[0, 1], [2, 3]].map { $0.map { TokenRun(token: $0, count: 1) } })
        #expect(reports.allSatisfy { $0.outcome == .delivered })
        #expect(harness.errors.all.isEmpty)
        #expect(harness.tracker.counters.split == 1)
        harness.tracker.stop(deadline: 5)
    }

    @Test("a single event answered 413 is dead-lettered")
    func singleTooLarge() throws {
        let harness = try Harness()
        harness.receiver.plan([.status(413)])

        try harness.send([event(0)])

        guard case .deadLettered(413, _)? = harness.reports.all.first?.outcome else {
            Issue.record("reports \(harness.reports.all)")
            return
        }
        #expect(harness.errors.all.map(\.status) == [413])
        #expect(harness.deadLetterLines.count == 1)
        harness.tracker.stop(deadline: 5)
    }

    @Test("a refused connection is retried, then given up without a status")
    func connectionRefused() throws {
        let unused = try RefusingPort()
        let harness = try Harness(endpoint: unused.endpoint) {
            $0.retryForever = false
            $0.retryMaxCount = 2
        }

        try harness.send([event(0)])

        #expect(harness.sleeps.all.count == 2)
        guard case .deadLettered(nil, let reason)? = harness.reports.all.first?.outcome else {
            Issue.record("reports \(harness.reports.all)")
            return
        }
        #expect(reason.hasPrefix("gave up after 3 attempts"))
        #expect(harness.errors.all.first?.status == nil)
        harness.tracker.stop(deadline: 5)
    }

    @Test("a refused connection is retried and the events arrive once the endpoint listens")
    func refusedThenListening() throws {
        let port = try RefusingPort()
        let started = Collected<AtomReceiver>()
        let sleeps = Collected<Double>()
        let reports = Collected<BatchReport>()
        var options = testOptions()
        options.sleep = { seconds in
            sleeps.append(seconds)
            // Between the first try and the second, the endpoint comes up.
            if started.all.isEmpty, let receiver = try? port.startListening() { started.append(receiver) }
        }
        let tracker = Tracker(options: options, transport: AtomHTTPTransport(endpoint: port.endpoint),
                              deadLetters: nil, onReport: { reports.append($0) })

        try tracker.track(stream: "web", data: event(0))
        try tracker.track(stream: "web", data: event(1))
        #expect(tracker.stop(deadline: 20) == 0)

        let receiver = try #require(started.all.first)
        #expect(sleeps.all.count == 1)
        #expect(receiver.events(stream: "web") == [event(0), event(1)])
        #expect(receiver.requests.count == 1)
        #expect(reports.all.map(\.attempts) == [2])
        #expect(reports.all.map(\.outcome) == [.delivered])
        #expect(tracker.counters.lastError?.hasPrefix("stream web: ") == true)
    }

    @Test("a connection reset without an answer is retried and the events arrive once")
    func resetRetried() throws {
        let harness = try Harness()
        harness.receiver.plan([.reset])

        try harness.send([event(0), event(1)])

        #expect(harness.receiver.events(stream: "web") == [event(0), event(1)])
        let statuses = harness.receiver.requests.map(\.status)
        #expect(statuses.first == .some(nil))
        #expect(statuses.last == 200)
        #expect(harness.reports.all.map(\.outcome) == [.delivered])
        harness.tracker.stop(deadline: 5)
    }

    @Test("a stalled request times out and is retried")
    func stallRetried() throws {
        var http = HTTPOptions()
        http.requestTimeout = 0.5
        let harness = try Harness(http: http)
        harness.receiver.plan([.stall(seconds: 10)])

        try harness.send([event(0)])

        #expect(harness.receiver.events(stream: "web") == [event(0)])
        let report = try #require(harness.reports.all.first)
        #expect(report.outcome == .delivered)
        // The stall costs one try; a very slow machine could time out a later one too.
        #expect(report.attempts >= 2)
        #expect(harness.sleeps.all.count == report.attempts - 1)
        #expect(harness.receiver.requests.first?.status == nil)
        harness.tracker.stop(deadline: 5)
    }

    @Test("Retry-After sets the least delay before the next try")
    func retryAfterHonoured() throws {
        let harness = try Harness(random: [0.9])
        harness.receiver.plan([
            .status(503, headers: ["Retry-After": "7"]),
            .status(429, headers: ["Retry-After": "0"]),
        ])

        try harness.send([event(0)])

        let sleeps = harness.sleeps.all
        #expect(sleeps.count == 2)
        #expect(sleeps.first ?? 0 >= 7)
        // Without a meaningful Retry-After the jitter rules: 0.9 · min(30, 0.1 · 2).
        #expect(abs((sleeps.last ?? 0) - 0.18) < 1e-9)
        #expect(harness.reports.all.first?.attempts == 3)
        harness.tracker.stop(deadline: 5)
    }

    @Test("stop with batches still failing returns the unsettled count and reports nothing more")
    func stopWhileRetrying() throws {
        let receiver = try AtomReceiver()
        receiver.plan(Array(repeating: .status(500), count: 1000))
        let reports = Collected<BatchReport>()
        var options = testOptions()
        options.backoffBase = 0.05
        options.backoffMax = 0.05
        let tracker = Tracker(options: options, transport: AtomHTTPTransport(endpoint: receiver.endpoint),
                              deadLetters: nil, onReport: { reports.append($0) })
        try trackSlab(tracker, tracker.stream(named: "web", authKey: nil), [event(0), event(1)])

        #expect(tracker.stop(deadline: 0.5) == 2)
        let reported = reports.all.count
        #expect(reported == 0)
        #expect(receiver.allEvents.isEmpty)
    }

    @Test("stopReporting hands back every unsettled batch, queued or being retried, with its events and key")
    func stopReportsUnsettledBatches() throws {
        let receiver = try AtomReceiver()
        receiver.plan(Array(repeating: .status(503), count: 1000))
        var options = testOptions()
        options.backoffBase = 0.05
        options.backoffMax = 0.05
        options.batchSize = 3
        options.batchPoolSize = 10
        let tracker = Tracker(options: options, transport: AtomHTTPTransport(endpoint: receiver.endpoint),
                              deadLetters: nil, onReport: { _ in })
        let web = tracker.stream(named: "web", authKey: "web-key")
        let api = tracker.stream(named: "api", authKey: nil)
        let webEvents = (0..<7).map { event($0) }
        let apiEvents = (100..<102).map { event($0) }
        try trackSlab(tracker, web, webEvents, tokens: (0..<7).map { UInt64(1000 + $0) })
        try trackSlab(tracker, api, apiEvents)
        tracker.flush()
        // One worker: the first batch is being retried, the others wait in the queue.
        #expect(eventually { receiver.requests.count >= 2 })

        let unsettled = tracker.stopReporting(deadline: 0.3)

        var got: [String: [String]] = [:]
        var keys: [String: String] = [:]
        var tokens: [UInt64] = []
        for batch in unsettled {
            for index in 0..<batch.count {
                got[batch.stream, default: []].append(String(decoding: batch.event(at: index), as: UTF8.self))
            }
            keys[batch.stream] = batch.authKey ?? "(none)"
            if batch.stream == "web" {
                tokens += batch.tokens.flatMap { Array(repeating: $0.token, count: $0.count) }
            }
        }
        #expect(got["web"].map(Set.init) == Set(webEvents))
        #expect(got["web"]?.count == webEvents.count)
        #expect(got["api"] == apiEvents)
        #expect(Set(tokens) == Set((0..<7).map { UInt64(1000 + $0) }))
        #expect(keys["web"] == "web-key")
        #expect(unsettled.count == 4)  // web in batches of 3, 3 and 1; api in one
        #expect(tracker.pendingEvents == webEvents.count + apiEvents.count)
    }
}
