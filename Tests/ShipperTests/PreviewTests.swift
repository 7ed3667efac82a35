import Foundation
import Glibc
import Testing
import TestSupport

@Suite("atom-shipper preview")
struct PreviewTests {
    /// A config whose input reads `key=value` lines: drops health checks, routes errors, parks
    /// lines that are not logfmt in `unparsed`, and hashes nothing; its checkpoint database and
    /// output folder live in `state/`.
    static func config(_ dir: TempDir, extra: String = "") throws -> String {
        let path = dir.file("shipper.json5")
        try writeText("""
            {
              output: { directory: "state/out" },
              checkpoints: { path: "state/cp.sqlite" },
              deadLetter: { path: "state/dead.jsonl" },
              inputs: [{
                name: "app",
                paths: ["app.log*"],
                parser: { type: "regex", pattern: "^level=(?<level>\\\\w+) path=(?<path>\\\\S+)$" },
                fields: [{ set: { field: "where", template: "{level}:{path}" } }],
                routes: [
                  { when: { field: "path", equals: "/health" }, drop: true },
                  { when: { field: "level", equals: "error" }, stream: "errors" },
                ],
                stream: "main",
                parseErrorStream: "unparsed",
                \(extra)
              }, { name: "other", paths: ["other.log"] }],
            }
            """, to: path)
        return path
    }

    /// `level=LEVEL path=/N` for each N.
    static func lines(_ level: String, _ range: Range<Int>) -> [String] {
        range.map { "level=\(level) path=/\($0)" }
    }

    /// What preview prints for a line of `lines(...)`.
    static func printed(_ line: String) -> String {
        let parts = line.split(separator: " ").map { $0.split(separator: "=")[1] }
        let stream = parts[0] == "error" ? "errors" : "main"
        return #"\#(stream)\#t{"level":"\#(parts[0])","path":"\#(parts[1])","where":"\#(parts[0]):\#(parts[1])"}"#
    }

    @Test("a plain file: each event with its stream, dropped lines shown, and no state created")
    func plainFile() throws {
        let dir = try TempDir()
        let config = try Self.config(dir)
        let lines = ["level=info path=/a", "level=error path=/b", "not a line", "level=info path=/health"]
        try writeText(lines.joined(separator: "\n") + "\n", to: dir.file("app.log"))
        let result = try ShipperBinary.run(["preview", "--config", config, "--input", "app", dir.file("app.log")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.components(separatedBy: "\n") == [
            Self.printed(lines[0]), Self.printed(lines[1]),
            #"unparsed\#t{"message":"not a line","parse_error":"line does not match the pattern"}"#,
            "(dropped)\tlevel=info path=/health", "",
        ])
        #expect(!FileManager.default.fileExists(atPath: dir.file("state")), "preview created its state folder")
    }

    @Test("a rotated set made by logrotate is read oldest first, .gz files decompressed, in any order given")
    func rotatedSet() throws {
        let dir = try TempDir()
        let config = try Self.config(dir)
        let rotation = dir.file("logrotate.conf")
        try writeText("\(dir.file("app.log")) {\n  rotate 5\n  compress\n  delaycompress\n}\n", to: rotation)
        var written: [String] = []
        for batch in 0..<4 {
            let lines = Self.lines(batch % 2 == 0 ? "info" : "error", (batch * 10)..<(batch * 10 + 10))
            written += lines
            let handle = FileHandle(forWritingAtPath: dir.file("app.log"))
            if let handle {
                handle.seekToEndOfFile()
                handle.write(Data((lines.joined(separator: "\n") + "\n").utf8))
                handle.closeFile()
            } else {
                try writeText(lines.joined(separator: "\n") + "\n", to: dir.file("app.log"))
            }
            if batch < 3 { try tool("/usr/sbin/logrotate", ["-f", "-s", dir.file("logrotate.state"), rotation]) }
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("app.log") }
        #expect(Set(names) == ["app.log", "app.log.1", "app.log.2.gz", "app.log.3.gz"])

        // As the shell spells app.log*, and shuffled: the order given does not matter.
        let shuffled = ["app.log.2.gz", "app.log", "app.log.3.gz", "app.log.1"]
        for order in [names.sorted(), names.sorted().reversed(), shuffled] {
            let result = try ShipperBinary.run(["preview", "-c", config, "--input", "app"] + order.map(dir.file))
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.split(separator: "\n").map(String.init) == written.map(Self.printed), "\(order)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("state")))
    }

    @Test("standard input, as - or with no file; an existing checkpoint database is left exactly as it was")
    func standardInput() throws {
        let dir = try TempDir()
        let config = try Self.config(dir)
        let lines = Self.lines("info", 0..<5) + Self.lines("error", 5..<7)
        try writeText(lines.joined(separator: "\n") + "\n", to: dir.file("app.log"))
        let shipped = try ShipperBinary.run(["run", "--once", "--config", config])
        #expect(shipped.status == 0, "\(shipped.stderr)")
        let state = try FileManager.default.contentsOfDirectory(atPath: dir.file("state"))
            .filter { $0.hasPrefix("cp.sqlite") }.sorted()
        #expect(state.contains("cp.sqlite"))
        func snapshot() throws -> [Data] {
            try state.map { try Data(contentsOf: URL(fileURLWithPath: dir.file("state/" + $0))) }
        }
        func dates() throws -> [Date?] {
            try state.map { name in
                try FileManager.default.attributesOfItem(atPath: dir.file("state/" + name))[.modificationDate] as? Date
            }
        }
        let before = try snapshot()
        let datesBefore = try dates()

        for arguments in [["-"], []] {
            let arguments = ["preview", "-c", config, "--input", "app"] + arguments
            let result = try Self.runWithStdin(arguments, dir.file("app.log"))
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.split(separator: "\n").map(String.init) == lines.map(Self.printed))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("state"))
            .filter { $0.hasPrefix("cp.sqlite") }.sorted() == state)
        #expect(try snapshot() == before)
        #expect(try dates() == datesBefore)
    }

    @Test("--summary counts lines the parser drops apart from route drops")
    func summaryParserDrops() throws {
        let dir = try TempDir()
        let config = dir.file("shipper.json5")
        try writeText("""
            {
              output: { directory: "state/out" },
              checkpoints: { path: "state/cp.sqlite" },
              inputs: [{ name: "app", paths: ["app.log"], parser: { type: "json", nonObject: "drop" },
                         routes: [{ when: { field: "skip", exists: true }, drop: true }], stream: "main" }],
            }
            """, to: config)
        try writeText("[1,2,3]\n\"text\"\n{\"a\":1}\n{\"skip\":true}\n", to: dir.file("app.log"))
        let result = try ShipperBinary.run(["preview", "-c", config, "--input", "app", "--summary",
                                            dir.file("app.log")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("  stream main: 1\n"), "\(result.stdout)")
        #expect(result.stdout.contains("dropped by a route: 1\n"), "\(result.stdout)")
        #expect(result.stdout.contains("dropped by the parser (json nonObject: drop, csv skipHeader): 2\n"),
                "\(result.stdout)")
    }

    @Test("--summary counts events per stream and shows a few dropped lines, parse failures and unmatched lines")
    func summary() throws {
        let dir = try TempDir()
        let config = try Self.config(dir)
        var lines = Self.lines("info", 0..<20) + Self.lines("error", 20..<25)
        lines += ["junk 1", "junk 2", "junk 3", "junk 4", "level=info path=/health", "level=debug path=/health"]
        try writeText(lines.joined(separator: "\n") + "\n", to: dir.file("app.log"))
        try tool("/bin/gzip", ["-k", dir.file("app.log")])
        let result = try ShipperBinary.run(["preview", "-c", config, "--input", "app", "--summary",
                                            dir.file("app.log"), dir.file("app.log.gz")])
        #expect(result.status == 0, "\(result.stderr)")
        // The .gz is app.log's rotation (older), so it is read first; both hold the same lines.
        #expect(result.stdout == """
            input app: 62 lines from 2 files, 58 events
              stream main: 40
              stream errors: 10
              stream unparsed: 8
            dropped by a route: 4
                level=info path=/health
                level=debug path=/health
                level=info path=/health
            parse failures: 8
                line does not match the pattern: junk 1
                line does not match the pattern: junk 2
                line does not match the pattern: junk 3
            no route matched (to the default stream main): 40
                level=info path=/0
                level=info path=/1
                level=info path=/2

            """)
    }

    @Test("multiline events are grouped as run groups them, the last one when its file ends")
    func multiline() throws {
        let dir = try TempDir()
        let config = try Self.config(dir, extra: #"multiline: { start: "^level=" },"#)
        let text = "level=error path=/a\n  at one\n  at two\nlevel=info path=/b\n  at three\n"
        try writeText(text, to: dir.file("app.log"))
        let result = try ShipperBinary.run(["preview", "-c", config, "--input", "app", dir.file("app.log")])
        #expect(result.status == 0, "\(result.stderr)")
        let failure = #","parse_error":"line does not match the pattern"}"#
        #expect(result.stdout.split(separator: "\n").map(String.init) == [
            #"unparsed\#t{"message":"level=error path=/a\n  at one\n  at two""# + failure,
            #"unparsed\#t{"message":"level=info path=/b\n  at three""# + failure,
        ])
    }

    @Test("an unknown input or an unreadable file is an error naming it; the other files are still read")
    func errors() throws {
        let dir = try TempDir()
        let config = try Self.config(dir)
        let unknown = try ShipperBinary.run(["preview", "-c", config, "--input", "nope", "x.log"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("--input nope: the config has no such input (it has app, other)"))
        let ambiguous = try ShipperBinary.run(["preview", "-c", config, "x.log"])
        #expect(ambiguous.status == 1)
        #expect(ambiguous.stderr.contains("the config has 2 inputs (app, other)"))

        try writeText("level=info path=/ok\n", to: dir.file("app.log"))
        let missing = dir.file("missing.log")
        let result = try ShipperBinary.run(["preview", "-c", config, "--input", "app", missing, dir.file("app.log")])
        #expect(result.status == 1)
        #expect(result.stderr.contains(missing), "\(result.stderr)")
        #expect(result.stdout == Self.printed("level=info path=/ok") + "\n")
    }

    /// Runs the binary with `input` as its standard input.
    static func runWithStdin(_ arguments: [String], _ input: String) throws -> ShipperBinary.Result {
        try ShipperBinary.collect(ShipperBinary.path, arguments, stdin: input)
    }
}
