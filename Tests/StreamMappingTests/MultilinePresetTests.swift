import AtomBase
import Foundation
import StreamMapping
import Testing

/// Each preset on the output of its language's runtime: what one event is, is known from how the
/// runtime writes a trace.
@Suite("Multiline presets")
struct MultilinePresetTests {
    /// Groups `events` (joined in one text) with preset `name` and checks they come back as written.
    static func check(_ name: String, _ events: [String]) throws {
        let preset = try #require(MultilineSpec.preset(name))
        let text = events.map { $0 + "\n" }.joined()
        for linesPerChunk in [1, 2, 5, 1000] {
            let rig = try AssemblyRig(multiline: preset)
            rig.feed(text, linesPerChunk: linesPerChunk)
            rig.flush(quiet: nil)
            var offset: Int64 = 0
            var expected: [Assembled] = []
            for event in events {
                expected.append(Assembled(text: event, offset: offset))
                offset += Int64(event.utf8.count + 1)
            }
            let got = rig.take()
            #expect(got == expected, "\(linesPerChunk) lines per chunk")
        }
    }

    @Test("java: exception lines, frames, Caused by, ... N more and Suppressed join the log line")
    func java() throws {
        try Self.check("java", [
            """
            2024-05-01 12:00:00,123 ERROR [main] com.example.App - Request failed
            java.lang.IllegalStateException: outer problem
            \tat com.example.App.handle(App.java:42)
            \tat com.example.App.main(App.java:10)
            Caused by: java.io.IOException: disk full
            \tat com.example.Store.write(Store.java:88)
            \t... 2 more
            \tSuppressed: java.lang.RuntimeException: close failed
            \t\tat com.example.Store.close(Store.java:99)
            """,
            "2024-05-01 12:00:01,000 INFO [main] com.example.App - Recovered",
            """
            Exception in thread "main" java.lang.NullPointerException
            \tat com.example.App.main(App.java:5)
            """,
            """
            2024-05-01 12:00:02,000 WARN [pool-1] com.example.Cache - Evicting
            com.example.cache.CacheFullError
            """,
            "2024-05-01 12:00:03,000 INFO [main] com.example.App - Error counts are normal",
        ])
    }

    @Test("python: a traceback, chained tracebacks with their blank lines, and the final error line")
    func python() throws {
        try Self.check("python", [
            """
            2024-05-01 12:00:00 ERROR root: Unhandled error
            Traceback (most recent call last):
              File "/app/main.py", line 10, in <module>
                main()
              File "/app/main.py", line 6, in main
                raise ValueError("bad value")
            ValueError: bad value

            During handling of the above exception, another exception occurred:

            Traceback (most recent call last):
              File "/app/main.py", line 12, in <module>
                handle()
            app.errors.ConfigError: cannot recover
            """,
            "2024-05-01 12:00:01 INFO root: next",
            """
            2024-05-01 12:00:02 ERROR root: interrupted
            Traceback (most recent call last):
              File "/app/loop.py", line 3, in <module>
                time.sleep(10)
            KeyboardInterrupt
            """,
            "2024-05-01 12:00:03 INFO root: done",
        ])
    }

    @Test("go: a panic with its goroutines, frames, blank lines, created by and exit status")
    func go() throws {
        try Self.check("go", [
            "2024/05/01 12:00:00 starting server",
            """
            panic: runtime error: index out of range [5] with length 3

            goroutine 1 [running]:
            main.handler(...)
            \t/app/main.go:12
            main.main()
            \t/app/main.go:20 +0x1d

            goroutine 18 [chan receive]:
            net/http.(*conn).serve(0xc000120000, {0x6f4b20, 0xc0000a6000})
            \t/usr/local/go/src/net/http/server.go:2009 +0x5f4
            created by net/http.(*Server).Serve in goroutine 1
            \t/usr/local/go/src/net/http/server.go:3285 +0x4b4
            exit status 2
            """,
            "2024/05/01 12:00:05 restarted",
            """
            fatal error: all goroutines are asleep - deadlock!

            goroutine 1 [chan send]:
            main.main()
            \t/app/main.go:5 +0x2d
            """,
            "2024/05/01 12:00:06 stopped",
        ])
    }

    @Test("the preset names are the ones documented, and an unknown one is nil")
    func names() {
        #expect(MultilineSpec.presetNames == ["java", "python", "go"])
        #expect(MultilineSpec.presetNames.allSatisfy { MultilineSpec.preset($0)?.mode == .continuation })
        #expect(MultilineSpec.preset("ruby") == nil)
    }
}
