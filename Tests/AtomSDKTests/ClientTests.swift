import AtomSDK
import Foundation
import Testing
import TestSupport

@Suite("AtomClient against the loopback receiver")
struct ClientTests {
    @Test("POST bodies equal the vectors, with the key as the client's default or per call",
          arguments: WireVector.all, [false, true])
    func postMatchesVector(_ vector: WireVector, perCall: Bool) throws {
        let keys = vector.authKey.isEmpty ? [:] : [vector.stream: vector.authKey]
        let receiver = try AtomReceiver(keys: keys)
        let client = AtomClient(endpoint: receiver.endpoint, authKey: perCall ? "some-other-key" : vector.authKey)
        let callKey = perCall ? vector.authKey : nil
        let response = vector.bulk
            ? client.putEvents(stream: vector.stream, events: vector.events, authKey: callKey)
            : client.putEvent(stream: vector.stream, data: vector.events[0], authKey: callKey)

        #expect(response.status == 200)
        #expect(response.error == nil)
        let request = try #require(receiver.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/" + vector.path)
        #expect(request.bodyText == vector.body)
        #expect(request.headers["x-ironsource-atom-sdk-type"] == "atom-swift")
        #expect(request.headers["x-ironsource-atom-sdk-version"] == AtomSDKInfo.version)
        #expect(request.headers["content-type"] == "application/json")
        #expect(receiver.events(stream: vector.stream) == vector.events)
        #expect(receiver.authFailures == 0)
    }

    @Test("a GET carries the vector's base64 and decodes to the same request", arguments: WireVector.all.filter {
        !$0.bulk
    })
    func getMatchesVector(_ vector: WireVector) throws {
        let receiver = try AtomReceiver(keys: [vector.stream: vector.authKey])
        let client = AtomClient(endpoint: receiver.endpoint)
        let response = client.putEvent(stream: vector.stream, data: vector.events[0], method: .get,
                                       authKey: vector.authKey)

        #expect(response.status == 200)
        let request = try #require(receiver.requests.first)
        #expect(request.method == "GET")
        #expect(request.body.isEmpty)
        let query = try #require(request.query)
        #expect(query.hasPrefix("data="))
        #expect(String(query.dropFirst(5)).removingPercentEncoding == vector.getQueryData)
        #expect(request.jsonText == vector.body)
        #expect(receiver.events(stream: vector.stream) == vector.events)
    }

    @Test("a per-call key overrides the client's default key")
    func perCallKeyWins() throws {
        let receiver = try AtomReceiver(keys: ["web": "call-key"])
        let client = AtomClient(endpoint: receiver.endpoint, authKey: "default-key")

        let withDefault = client.putEvent(stream: "web", data: "{\"n\":1}")
        let withCallKey = client.putEvent(stream: "web", data: "{\"n\":2}", authKey: "call-key")

        #expect(withDefault.status == 401)
        #expect(withDefault.error == .http(status: 401, message: #"HTTP 401: {"error":"status 401"}"#))
        #expect(withCallKey.status == 200)
        #expect(withCallKey.error == nil && withCallKey.isSuccess)
        #expect(receiver.authFailures == 1)
        #expect(receiver.events(stream: "web") == ["{\"n\":2}"])
        let sent = receiver.requests.map(\.auth)
        #expect(sent[0] == AtomReceiver.hmacHex(key: "default-key", data: Array("{\"n\":1}".utf8)))
        #expect(sent[1] == AtomReceiver.hmacHex(key: "call-key", data: Array("{\"n\":2}".utf8)))
    }

    @Test("the default key signs bulk requests when the call names none")
    func defaultKeySignsBulk() throws {
        let receiver = try AtomReceiver(keys: ["app": "default-key"])
        let client = AtomClient(endpoint: receiver.endpoint, authKey: "default-key")
        let events = ["{\"a\":1}", "{\"b\":\"two\"}"]

        let response = client.putEvents(stream: "app", events: events)

        #expect(response.status == 200)
        #expect(receiver.events(stream: "app") == events)
        #expect(receiver.authFailures == 0)
    }

    @Test("a refused connection answers status -1 with the transfer error")
    func refusedConnection() throws {
        let receiver = try AtomReceiver()
        let endpoint = receiver.endpoint
        receiver.stop()
        let client = AtomClient(endpoint: endpoint)

        let response = client.putEvent(stream: "web", data: "{}")

        #expect(response.status == -1)
        guard case .connection(let message)? = response.error else {
            Issue.record("error \(String(describing: response.error))")
            return
        }
        #expect(!message.isEmpty)
        #expect(!response.isSuccess)
    }
}
