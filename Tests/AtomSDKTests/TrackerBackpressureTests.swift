import AtomBase
import AtomSDK
import Foundation
import Testing
import TestSupport

@Suite("Tracker backlog bounds")
struct TrackerBackpressureTests {
    @Test("in blocking mode track waits while the backlog is full and continues once it drains")
    func blockingBackpressure() throws {
        let receiver = try AtomReceiver()
        let transport = GatedTransport(AtomHTTPTransport(endpoint: receiver.endpoint))
        var options = testOptions()
        options.batchSize = 1
        options.backlogEvents = 2
        let tracker = Tracker(options: options, transport: transport, deadLetters: nil)
        try tracker.track(stream: "web", data: event(0))
        try tracker.track(stream: "web", data: event(1))

        let returned = Completion()
        let failure = Collected<String>()
        Threads.spawn(name: "test-producer") {
            do {
                try tracker.track(stream: "web", data: event(2))
            } catch {
                failure.append("\(error)")
            }
            returned.signal()
        }

        // The third event must wait: nothing can settle while the gate is shut.
        #expect(!returned.wait(timeoutNanos: 300_000_000))
        #expect(tracker.pendingEvents == 2)
        #expect(tracker.counters.accepted == 2)
        transport.open()
        #expect(returned.wait(timeoutNanos: 20_000_000_000))
        #expect(failure.all.isEmpty)
        #expect(tracker.stop(deadline: 20) == 0)
        #expect(receiver.events(stream: "web") == [event(0), event(1), event(2)])
    }

    @Test("in non-blocking mode track throws backlogFull after enqueueTimeout")
    func nonBlockingTimeout() throws {
        let receiver = try AtomReceiver()
        let transport = GatedTransport(AtomHTTPTransport(endpoint: receiver.endpoint))
        var options = testOptions()
        options.backlogEvents = 1
        options.blocking = false
        options.enqueueTimeout = 0.2
        let tracker = Tracker(options: options, transport: transport, deadLetters: nil)
        try tracker.track(stream: "web", data: event(0))

        #expect {
            try tracker.track(stream: "web", data: event(1))
        } throws: { error in
            guard case TrackerError.backlogFull(let stream) = error else { return false }
            return stream == "web"
                && "\(error)" == "the backlog stayed full until the enqueue timeout: event not tracked (stream web)"
        }

        transport.open()
        #expect(tracker.waitUntilIdle(timeout: 20))
        try tracker.track(stream: "web", data: event(2))
        #expect(tracker.stop(deadline: 20) == 0)
        #expect(receiver.events(stream: "web") == [event(0), event(2)])
    }

    @Test("a byte bound blocks as an event bound does")
    func byteBound() throws {
        let receiver = try AtomReceiver()
        let transport = GatedTransport(AtomHTTPTransport(endpoint: receiver.endpoint))
        var options = testOptions()
        options.backlogBytes = event(0).utf8.count + 1
        options.blocking = false
        options.enqueueTimeout = 0
        let tracker = Tracker(options: options, transport: transport, deadLetters: nil)

        try tracker.track(stream: "web", data: event(0))
        #expect(throws: TrackerError.self) { try tracker.track(stream: "web", data: event(1)) }

        transport.open()
        #expect(tracker.stop(deadline: 20) == 0)
    }
}
