import AtomSDK
import Foundation
import Testing
import TestSupport

@Suite("Transports")
struct TransportTests {
    @Test("the HTTP transport maps answers to results", arguments: [
        (200, TransportResult.delivered),
        (413, .tooLarge),
    ])
    func statusMapping(_ status: Int, _ expected: TransportResult) throws {
        let receiver = try AtomReceiver()
        receiver.plan([.status(status)])
        let transport = AtomHTTPTransport(endpoint: receiver.endpoint)

        #expect(transport.send(EventBatch(stream: "s", authKey: nil, events: ["{}"])) == expected)
    }

    @Test("5xx, 408 and 429 are retried with the server's Retry-After; other 4xx are rejected")
    func retryAndRejectMapping() throws {
        let receiver = try AtomReceiver()
        receiver.plan([.status(503, headers: ["Retry-After": "7"]), .status(408), .status(429), .status(400)])
        let transport = AtomHTTPTransport(endpoint: receiver.endpoint)
        let batch = EventBatch(stream: "s", authKey: nil, events: ["{}"])

        let results = (0..<4).map { _ in transport.send(batch) }

        guard case .retry(503, _, 7?) = results[0] else { Issue.record("got \(results[0])"); return }
        guard case .retry(408, _, nil) = results[1] else { Issue.record("got \(results[1])"); return }
        guard case .retry(429, _, nil) = results[2] else { Issue.record("got \(results[2])"); return }
        guard case .rejected(400, let reason) = results[3] else { Issue.record("got \(results[3])"); return }
        #expect(reason.contains("400"))
        #expect(receiver.allEvents.isEmpty)
    }

    @Test("a refused connection is a retry without a status")
    func refusedIsRetry() throws {
        let unused = try RefusingPort()
        let transport = AtomHTTPTransport(endpoint: unused.endpoint)

        let result = transport.send(EventBatch(stream: "s", authKey: nil, events: ["{}"]))

        guard case .retry(nil, let reason, nil) = result else { Issue.record("got \(result)"); return }
        #expect(!reason.isEmpty)
    }

    @Test("connections are kept alive between requests")
    func keepAlive() throws {
        let receiver = try AtomReceiver()
        let transport = AtomHTTPTransport(endpoint: receiver.endpoint)
        for index in 0..<3 {
            #expect(transport.send(EventBatch(stream: "s", authKey: nil, events: [event(index)])) == .delivered)
        }
        #expect(receiver.events(stream: "s") == [event(0), event(1), event(2)])
        #expect(receiver.connectionsAccepted == 1)
    }

    @Test("the file transport writes one line per event, batches appended in order")
    func fileTransportLines() throws {
        let folder = try TempDir()
        let transport = try FileTransport(directory: folder.file("out/nested"))
        let first = ["{\"a\":1}", "{\"b\":\"two\"}"]
        let second = ["{\"c\":[3]}"]

        #expect(transport.send(EventBatch(stream: "web", authKey: nil, events: first)) == .delivered)
        #expect(transport.send(EventBatch(stream: "web", authKey: nil, events: second)) == .delivered)
        #expect(transport.send(EventBatch(stream: "../escape", authKey: nil, events: second)) == .delivered)

        #expect(folder.lines(of: "out/nested/web.jsonl") == first + second)
        #expect(folder.lines(of: "out/nested/_.._escape.jsonl") == second)
        #expect(!FileManager.default.fileExists(atPath: folder.file("out/escape.jsonl")))
    }

    @Test("the dead-letter writer appends one JSON line per batch with mode 0600")
    func deadLetterLine() throws {
        let folder = try TempDir()
        let path = folder.file("dl/dead.jsonl")
        let writer = try DeadLetterWriter(path: path)
        let events = ["{\"a\":1}", "{\n\"b\": 2\n}"]

        try writer.write(stream: "web", status: 400, message: "HTTP 400: bad \"thing\"", events: events)
        try writer.write(stream: "app", status: nil, message: "no status", events: ["{}"])

        let lines = folder.lines(of: "dl/dead.jsonl")
        #expect(lines.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["stream"] as? String == "web")
        #expect(first["status"] as? Int == 400)
        #expect(first["message"] as? String == "HTTP 400: bad \"thing\"")
        let logged = try #require(first["events"] as? [[String: Int]])
        #expect(logged == [["a": 1], ["b": 2]])
        #expect((first["time"] as? String)?.hasSuffix("Z") == true)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(second["status"] is NSNull)
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
    }
}
