import AtomSDK
import Foundation
import Testing
import TestSupport

/// An event as a program would declare it.
private struct Order: Encodable {
    struct Line: Encodable {
        let sku: String
        let quantity: Int
    }

    let id: Int
    let customer: String
    let total: Double
    let paid: Bool
    let note: String?
    let lines: [Line]
}

private let order = Order(id: 7, customer: "Zoë \"Z\" O'Neil\n", total: 12.5, paid: true, note: nil,
                          lines: [Order.Line(sku: "a-1", quantity: 2), Order.Line(sku: "b/2", quantity: 1)])
/// `order` as JSON, written by hand: keys in declaration order, a nil optional left out.
private let orderJSON = #"{"id":7,"customer":"Zoë \"Z\" O'Neil\n","total":12.5,"paid":true,"#
    + #""lines":[{"sku":"a-1","quantity":2},{"sku":"b/2","quantity":1}]}"#

@Suite("Event data as text, dictionaries and Encodable values; typed responses")
struct ClientDataTests {
    @Test("an Encodable value is written as compact JSON in its keys' order")
    func encodableText() throws {
        #expect(try AtomJSON.encode(order) == orderJSON)
        #expect(try AtomJSON.encode([1.5, -2, 1e-5]) == "[1.5,-2.0,1e-05]")
        #expect(try AtomJSON.encode(["b": 2, "a": 1]) == #"{"a":1,"b":2}"#, "dictionary keys sorted")
        #expect(try AtomJSON.encode("plain") == #""plain""#)
        let parsed = try JSONSerialization.jsonObject(with: Data(orderJSON.utf8)) as? [String: Any]
        #expect(parsed?["customer"] as? String == "Zoë \"Z\" O'Neil\n")
    }

    @Test("a dictionary is written with sorted keys, nested values and nil as null")
    func dictionaryText() throws {
        let note: String? = nil
        let data: [String: Any] = ["user": "u1", "n": 3, "ok": false, "ratio": 0.25, "note": note as Any,
                                   "tags": ["x", 1, ["deep": true]], "order": order.lines[0]]
        #expect(try AtomJSON.encode(dictionary: data) == #"{"n":3,"note":null,"ok":false,"#
                + #""order":{"sku":"a-1","quantity":2},"ratio":0.25,"tags":["x",1,{"deep":true}],"user":"u1"}"#)
    }

    @Test("values with no JSON form are refused with their key path")
    func encodingErrors() {
        struct Reading: Encodable { let values: [Double] }
        #expect(throws: AtomJSONError("values[1]: nan is not a finite number")) {
            try AtomJSON.encode(Reading(values: [1, .nan]))
        }
        final class Opaque {}
        #expect(throws: AtomJSONError("meta.handle: a value of type Opaque has no JSON form")) {
            try AtomJSON.encode(dictionary: ["meta": ["handle": Opaque()]])
        }
    }

    @Test("putEvent sends a string as is, and dictionaries and Encodable values JSON-encoded")
    func putEventData() throws {
        let receiver = try AtomReceiver(keys: ["orders": "k"])
        let client = AtomClient(endpoint: receiver.endpoint, authKey: "k")
        let asIs = "  {\"spaced\" :  1 }  "

        #expect(client.putEvent(stream: "orders", data: asIs).isSuccess)
        #expect(client.putEvent(stream: "orders", data: "not JSON at all").isSuccess)
        #expect(client.putEvent(stream: "orders", data: order).isSuccess)
        #expect(client.putEvent(stream: "orders", data: ["a": 1, "b": "two"] as [String: Any]).isSuccess)
        #expect(client.putEvent(stream: "orders", data: order, method: .get).isSuccess)
        #expect(client.putEvents(stream: "orders", events: [order, order]).isSuccess)
        #expect(client.putEvents(stream: "orders", events: [["n": 1], ["n": 2.5]] as [[String: Any]]).isSuccess)

        #expect(receiver.events(stream: "orders") == [asIs, "not JSON at all", orderJSON, #"{"a":1,"b":"two"}"#,
                                                      orderJSON, orderJSON, orderJSON, #"{"n":1}"#, #"{"n":2.5}"#])
        #expect(receiver.authFailures == 0)
    }

    @Test("data that cannot be encoded is answered .encoding and nothing is sent")
    func putEventEncodingFailure() throws {
        let receiver = try AtomReceiver()
        let client = AtomClient(endpoint: receiver.endpoint)

        let response = client.putEvent(stream: "web", data: ["x": Double.infinity] as [String: Any])

        #expect(response == AtomResponse(status: -1, body: "", error: .encoding("x: inf is not a finite number")))
        #expect(receiver.requests.isEmpty)
    }

    @Test("the tracker takes dictionaries and Encodable values as well as text")
    func trackerData() throws {
        let receiver = try AtomReceiver()
        let tracker = Tracker(options: testOptions(), transport: AtomHTTPTransport(endpoint: receiver.endpoint),
                              deadLetters: nil)

        try tracker.track(stream: "orders", data: order)
        try tracker.track(stream: "orders", data: ["k": [1, 2]] as [String: Any])
        try tracker.track(stream: "orders", data: "{\"raw\":true}")
        #expect {
            try tracker.track(stream: "orders", data: ["bad": Float.nan] as [String: Any])
        } throws: { error in
            guard case TrackerError.notJSON("orders", let reason) = error else { return false }
            return reason == "bad: nan is not a finite number"
        }
        #expect(tracker.stop(deadline: 20) == 0)

        #expect(receiver.events(stream: "orders") == [orderJSON, #"{"k":[1,2]}"#, "{\"raw\":true}"])
    }

    @Test("a request that stalls past the request timeout is answered .timeout")
    func requestTimeout() throws {
        let receiver = try AtomReceiver()
        receiver.plan([.stall(seconds: 10)])
        var http = HTTPOptions()
        http.requestTimeout = 0.3
        let client = AtomClient(endpoint: receiver.endpoint, options: http)

        let response = client.putEvent(stream: "web", data: "{}")

        guard case .timeout? = response.error else {
            Issue.record("error \(String(describing: response.error))")
            return
        }
        #expect(response.status == -1)
    }

    @Test("a connection that is never accepted is answered .timeout after the connect timeout")
    func connectTimeout() throws {
        let silent = try SilentPort()
        var http = HTTPOptions()
        http.connectTimeout = 0.3
        http.requestTimeout = 20
        let client = AtomClient(endpoint: silent.endpoint, options: http)

        let response = client.putEvent(stream: "web", data: "{}")

        guard case .timeout(let message)? = response.error else {
            Issue.record("error \(String(describing: response.error))")
            return
        }
        #expect(message.lowercased().contains("connect"))
    }
}
