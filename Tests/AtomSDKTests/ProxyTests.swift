import AtomSDK
import Foundation
import Testing
import TestSupport

@Suite("Proxies from the environment")
struct ProxyTests {
    @Test("HTTP_PROXY carries every request to an http:// endpoint through the proxy")
    func httpProxy() throws {
        let receiver = try AtomReceiver(keys: ["web": "k"])
        let proxy = try LoopbackProxy()
        let http = HTTPOptions(environment: ["HTTP_PROXY": proxy.url, "HTTPS_PROXY": "http://127.0.0.1:9"])
        var options = testOptions()
        options.batchSize = 2
        let tracker = Tracker(endpoint: receiver.endpoint, http: http, options: options)

        for index in 0..<4 { try tracker.track(stream: "web", data: event(index), authKey: "k") }
        #expect(tracker.stop(deadline: 20) == 0)
        let client = AtomClient(endpoint: receiver.endpoint, authKey: "k", options: http)
        #expect(client.putEvent(stream: "web", data: event(4)).isSuccess)

        #expect(receiver.events(stream: "web") == (0..<5).map { event($0) })
        #expect(receiver.authFailures == 0)
        #expect(proxy.requests.map(\.method) == ["POST", "POST", "POST"])
        #expect(proxy.requests.map(\.target) == [receiver.endpoint + "bulk", receiver.endpoint + "bulk",
                                                 receiver.endpoint])
    }

    @Test("NO_PROXY names hosts that are reached directly", arguments: ["127.0.0.1", "*", "localhost,127.0.0.1"])
    func noProxyBypasses(_ noProxy: String) throws {
        let receiver = try AtomReceiver()
        let proxy = try LoopbackProxy()
        let http = HTTPOptions(environment: ["http_proxy": proxy.url, "NO_PROXY": noProxy])
        let client = AtomClient(endpoint: receiver.endpoint, options: http)

        #expect(client.putEvents(stream: "web", events: [event(0), event(1)]).isSuccess)

        #expect(receiver.events(stream: "web") == [event(0), event(1)])
        #expect(proxy.requests.isEmpty)
    }

    @Test("HTTPS_PROXY is asked for a tunnel to an https:// endpoint")
    func httpsProxy() throws {
        let proxy = try LoopbackProxy()
        let target = try RefusingPort()
        let http = HTTPOptions(environment: ["HTTPS_PROXY": proxy.url, "HTTP_PROXY": "http://127.0.0.1:9"])
        let client = AtomClient(endpoint: "https://127.0.0.1:\(target.port)/", options: http)

        let response = client.putEvent(stream: "web", data: event(0))

        // The test proxy refuses tunnels (403): the request fails, having gone to the proxy.
        guard case .connection(let message)? = response.error else {
            Issue.record("error \(String(describing: response.error))")
            return
        }
        #expect(message.contains("403"))
        #expect(proxy.requests.map(\.method) == ["CONNECT"])
        #expect(proxy.requests.first?.target == "127.0.0.1:\(target.port)")
    }

    @Test("lowercase names win over uppercase, ALL_PROXY fills in, and no variable means no proxy")
    func environmentNames() {
        let both = HTTPOptions(environment: ["http_proxy": "http://lower:1", "HTTP_PROXY": "http://upper:2",
                                             "ALL_PROXY": "http://all:3", "no_proxy": "a,b"])
        #expect(both.httpProxy == "http://lower:1")
        #expect(both.httpsProxy == "http://all:3")
        #expect(both.noProxy == "a,b")
        let none = HTTPOptions(environment: ["HTTPS_PROXY": ""])
        #expect(none.httpProxy == nil && none.httpsProxy == nil && none.noProxy == nil)
    }
}
