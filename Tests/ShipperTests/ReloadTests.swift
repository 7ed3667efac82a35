import Foundation
import Glibc
import Testing
import TestSupport

/// SIGHUP reloads the config: inputs added, removed or changed while the shipper runs, without
/// losing the checkpoints of the others; a bad config is rejected and the old one keeps running.
@Suite("Config reload on SIGHUP", .serialized)
struct ReloadTests {
    struct InputSpec {
        var name: String
        var file: String
        var stream: String
        var extra = ""
    }

    static func writeConfig(_ dir: TempDir, endpoint: String? = nil, shutdownMs: Int = 10000,
                            inputs: [InputSpec]) throws -> String {
        let path = dir.file("shipper.json5")
        let destination = endpoint.map { "atom: { endpoint: \"\($0)\" }," } ?? "output: { directory: \"out\" },"
        let list = inputs.map {
            "{ name: \"\($0.name)\", paths: [\"\($0.file)\"], stream: \"\($0.stream)\" \($0.extra) }"
        }.joined(separator: ",\n    ")
        try writeText("""
        {
          \(destination)
          checkpoints: { path: "state/cp.sqlite", commitIntervalMs: 100 },
          deadLetter: { path: "state/dead.jsonl" },
          shutdownTimeoutMs: \(shutdownMs),
          tracker: { flushIntervalMs: 100, workers: 1 },  // one worker: batches land in file order
          inputs: [
            \(list)
          ],
        }
        """, to: path)
        return path
    }

    static func append(_ dir: TempDir, _ file: String, _ tag: String, _ range: Range<Int>) -> [String] {
        let writer = AppendingWriter(path: dir.file(file))
        return range.map { n in
            let line = "\(tag) line \(n)"
            writer.write(line)
            return line
        }
    }

    static func delivered(_ dir: TempDir, stream: String) -> [String] {
        dir.lines(of: "out/\(stream).jsonl").map { decode($0)["message"] as? String ?? "" }
    }

    /// Sends SIGHUP and waits for the reload's closing log line (the `count`-th one).
    static func reload(_ shipper: RunningShipper, count: Int, marker: String = "config reloaded") -> Bool {
        shipper.signal(SIGHUP)
        return eventually { shipper.stderr.components(separatedBy: marker).count - 1 >= count }
    }

    @Test("inputs added and removed by a reload; the unchanged one goes on; a re-added one resumes")
    func addAndRemove() throws {
        let dir = try TempDir()
        let a = InputSpec(name: "a", file: "a.log", stream: "sa")
        let b = InputSpec(name: "b", file: "b.log", stream: "sb")
        let c = InputSpec(name: "c", file: "c.log", stream: "sc")
        let config = try Self.writeConfig(dir, inputs: [a, b])
        var aLines = Self.append(dir, "a.log", "a", 0..<100)
        var bLines = Self.append(dir, "b.log", "b", 0..<100)
        var cLines = Self.append(dir, "c.log", "c", 0..<100)
        let shipper = try ShipperBinary.start(["run", "--config", config])
        #expect(eventually {
            multiset(Self.delivered(dir, stream: "sa")) == multiset(aLines)
                && multiset(Self.delivered(dir, stream: "sb")) == multiset(bLines)
        })

        _ = try Self.writeConfig(dir, inputs: [a, c])
        #expect(Self.reload(shipper, count: 1), "\(shipper.stderr)")
        aLines += Self.append(dir, "a.log", "a", 100..<150)
        let bWhileRemoved = Self.append(dir, "b.log", "b", 100..<150)
        cLines += Self.append(dir, "c.log", "c", 100..<120)
        #expect(eventually { multiset(Self.delivered(dir, stream: "sa")) == multiset(aLines) })
        #expect(eventually { multiset(Self.delivered(dir, stream: "sc")) == multiset(cLines) })
        usleep(500_000)
        #expect(multiset(Self.delivered(dir, stream: "sb")) == multiset(bLines), "a removed input went on reading")
        #expect(shipper.stderr.contains("input removed input=b"), "\(shipper.stderr)")

        // b back: it resumes from its checkpoint, so only what was written meanwhile comes.
        _ = try Self.writeConfig(dir, inputs: [a, b, c])
        #expect(Self.reload(shipper, count: 2))
        bLines += bWhileRemoved
        #expect(eventually { multiset(Self.delivered(dir, stream: "sb")) == multiset(bLines) })
        let result = shipper.terminate()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(multiset(Self.delivered(dir, stream: "sa")) == multiset(aLines))
        #expect(multiset(Self.delivered(dir, stream: "sc")) == multiset(cLines))
    }

    @Test("a changed input restarts from its checkpoints: nothing re-shipped, new lines follow the new rules")
    func changedInput() throws {
        let dir = try TempDir()
        let before = InputSpec(name: "app", file: "app.log", stream: "old")
        let config = try Self.writeConfig(dir, inputs: [before])
        let first = Self.append(dir, "app.log", "app", 0..<200)
        let shipper = try ShipperBinary.start(["run", "--config", config])
        #expect(eventually { multiset(Self.delivered(dir, stream: "old")) == multiset(first) })

        _ = try Self.writeConfig(dir, inputs: [InputSpec(name: "app", file: "app.log", stream: "new",
                                                         extra: ", addFields: { reloaded: true }")])
        #expect(Self.reload(shipper, count: 1), "\(shipper.stderr)")
        let second = Self.append(dir, "app.log", "app", 200..<260)
        #expect(eventually { multiset(Self.delivered(dir, stream: "new")) == multiset(second) })
        let result = shipper.terminate()
        #expect(result.status == 0)
        #expect(multiset(Self.delivered(dir, stream: "old")) == multiset(first))
        let event = decode(dir.lines(of: "out/new.jsonl").first ?? "")
        #expect(event["reloaded"] as? Bool == true)
        #expect(result.stderr.contains("input changed; restarting it input=app"))
    }

    @Test("a bad config on SIGHUP is rejected with its problems logged; the running one goes on")
    func badConfigRejected() throws {
        let dir = try TempDir()
        let app = InputSpec(name: "app", file: "app.log", stream: "app")
        let config = try Self.writeConfig(dir, inputs: [app])
        var lines = Self.append(dir, "app.log", "app", 0..<50)
        let shipper = try ShipperBinary.start(["run", "--config", config])
        #expect(eventually { multiset(Self.delivered(dir, stream: "app")) == multiset(lines) })

        let broken = ", colour: 'red', parser: { type: 'regex', pattern: '(' }"
        _ = try Self.writeConfig(dir, inputs: [InputSpec(name: "app", file: "app.log", stream: "app", extra: broken)])
        #expect(Self.reload(shipper, count: 1, marker: "config reload rejected"))
        #expect(eventually { shipper.stderr.contains("inputs[0].colour") }, "\(shipper.stderr)")
        #expect(shipper.stderr.contains("inputs[0].parser.pattern"))
        lines += Self.append(dir, "app.log", "app", 50..<80)
        #expect(eventually { multiset(Self.delivered(dir, stream: "app")) == multiset(lines) })

        try writeText("{ inputs: [ oops", to: config)
        #expect(Self.reload(shipper, count: 2, marker: "SIGHUP: reloading the config"))
        #expect(eventually { shipper.stderr.contains("not valid JSON5") }, "\(shipper.stderr)")
        lines += Self.append(dir, "app.log", "app", 80..<90)
        #expect(eventually { multiset(Self.delivered(dir, stream: "app")) == multiset(lines) })
        let result = shipper.terminate()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("config reloaded"))
    }

    @Test("a removed input's late acknowledgements reach it, not the input started in its place")
    func lateAcknowledgements() throws {
        let dir = try TempDir()
        let receiver = try AtomReceiver()
        defer { receiver.stop() }
        // x's batches are answered late; the reload gives up waiting for them after 200 ms.
        receiver.plan(Array(repeating: .delay(seconds: 1.5), count: 10), stream: "xs")
        let x = InputSpec(name: "x", file: "x.log", stream: "xs")
        let y = InputSpec(name: "y", file: "y.log", stream: "ys")
        let config = try Self.writeConfig(dir, endpoint: receiver.endpoint, shutdownMs: 200, inputs: [x])
        let xLines = Self.append(dir, "x.log", "x", 0..<300)
        let yLines = Self.append(dir, "y.log", "y", 0..<300)
        let shipper = try ShipperBinary.start(["run", "--config", config])
        // x's one batch goes out as soon as x.log is read, and is answered 1.5 s later.
        #expect(eventually { shipper.stderr.contains("file opened input=x") })
        usleep(300_000)

        _ = try Self.writeConfig(dir, endpoint: receiver.endpoint, shutdownMs: 200, inputs: [y])
        #expect(Self.reload(shipper, count: 1), "\(shipper.stderr)")
        #expect(shipper.stderr.contains("stopped input still has events in flight"), "\(shipper.stderr)")
        #expect(eventually { receiver.events(stream: "xs").count == 300 && receiver.events(stream: "ys").count == 300 })
        usleep(500_000)  // commits after the late answers
        let result = shipper.terminate()
        #expect(result.status == 0, "\(result.stderr)")

        let status = try ShipperBinary.run(["status", "--config", config]).stdout
        let xSize = xLines.reduce(0) { $0 + $1.utf8.count + 1 }
        let ySize = yLines.reduce(0) { $0 + $1.utf8.count + 1 }
        #expect(status.contains("input x: \(dir.file("x.log")) offset \(xSize) "), "\(status)")
        #expect(status.contains("input y: \(dir.file("y.log")) offset \(ySize) "), "\(status)")
        #expect(multiset(receiver.events(stream: "xs").map { decode($0)["message"] as? String ?? "" })
                == multiset(xLines))
        #expect(multiset(receiver.events(stream: "ys").map { decode($0)["message"] as? String ?? "" })
                == multiset(yLines))
    }
}
