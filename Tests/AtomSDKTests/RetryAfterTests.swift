import Foundation
@testable import AtomSDK
import Testing
import TestSupport

/// `Retry-After` in both of its forms (RFC 9110, section 10.2.3): delay-seconds and an HTTP date.
@Suite("Retry-After")
struct RetryAfterTests {
    // 1994-11-06 08:49:37 UTC, RFC 9110's example date: calendar.timegm((1994, 11, 6, 8, 49, 37)).
    static let example = 784_111_777.0

    @Test("the three date forms RFC 9110 names give the same instant", arguments: [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
    ])
    func dateForms(text: String) {
        #expect(ResponseSink.parseRetryAfter(text, now: Self.example - 30) == 30)
        #expect(ResponseSink.parseRetryAfter(" \(text)\r\n", now: Self.example - 0.5) == 0.5)
    }

    @Test("a date already past means no wait; delays are capped at a day; garbage is ignored")
    func edges() {
        #expect(ResponseSink.parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now: Self.example + 60) == 0)
        #expect(ResponseSink.parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now: 0) == 86_400)
        #expect(ResponseSink.parseRetryAfter("120") == 120)
        #expect(ResponseSink.parseRetryAfter("999999999") == 86_400)
        for bad in ["", "soon", "-5", "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
                    "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 PST"] {
            #expect(ResponseSink.parseRetryAfter(bad, now: Self.example) == nil, "\(bad)")
        }
    }

    @Test("an HTTP-date Retry-After from the endpoint reaches the tracker as seconds from now")
    func dateOverHTTP() throws {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let when = formatter.string(from: Date().addingTimeInterval(20))
        let receiver = try AtomReceiver()
        receiver.plan([.status(503, headers: ["Retry-After": when])])
        let transport = AtomHTTPTransport(endpoint: receiver.endpoint)

        let result = transport.send(EventBatch(stream: "s", authKey: nil, events: ["{}"]))

        guard case .retry(503, _, let wait?) = result else { Issue.record("got \(result)"); return }
        // The header has whole seconds: 19 to 20 s from now, less the time the request took.
        #expect(wait > 15 && wait <= 20, "waits \(wait) s for \(when)")
    }
}
