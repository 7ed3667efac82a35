import Foundation
import Glibc
import Testing
import TestSupport

/// The Prometheus text-format metrics file and the figures `status` shows, from a running shipper.
@Suite("Metrics and status figures", .serialized)
struct MetricsTests {
    /// One sample: its name, labels and value.
    struct Sample: Hashable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    enum ParseError: Error { case bad(String) }

    /// Parses the text exposition format strictly: every family has HELP and TYPE before its
    /// samples, every sample line is `name{label="value",...} number`.
    static func parse(_ text: String) throws -> [Sample] {
        guard text.hasSuffix("\n") else { throw ParseError.bad("no final line feed") }
        var samples: [Sample] = []
        var typed = Set<String>()
        var helped = Set<String>()
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let parts = line.split(separator: " ", maxSplits: 3)
            if line.hasPrefix("# HELP ") {
                helped.insert(String(parts[2]))
                continue
            }
            if line.hasPrefix("# TYPE ") {
                guard parts.count == 4, ["counter", "gauge"].contains(parts[3]) else {
                    throw ParseError.bad(String(line))
                }
                typed.insert(String(parts[2]))
                continue
            }
            let pattern = #"^([a-z_]+)(\{([a-z_]+="(?:[^"\\]|\\.)*")(,[a-z_]+="(?:[^"\\]|\\.)*")*\})? (-?[0-9.e+]+)$"#
            guard line.range(of: pattern, options: .regularExpression) != nil else {
                throw ParseError.bad(String(line))
            }
            let name = String(line.prefix { $0 != "{" && $0 != " " })
            guard typed.contains(name), helped.contains(name) else { throw ParseError.bad("no HELP/TYPE: \(line)") }
            var labels: [String: String] = [:]
            if let open = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") {
                for pair in line[line.index(after: open)..<close].split(separator: ",") {
                    let kv = pair.split(separator: "=", maxSplits: 1)
                    labels[String(kv[0])] = String(kv[1].dropFirst().dropLast())
                }
            }
            guard let value = Double(line.split(separator: " ").last ?? "") else { throw ParseError.bad(String(line)) }
            samples.append(Sample(name: name, labels: labels, value: value))
        }
        return samples
    }

    static func value(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    @Test("the metrics file is valid text format, replaced whole, with the run's counts")
    func metricsFile() throws {
        let dir = try TempDir()
        let lines = (0..<300).map { "metrics line \($0) " + String(repeating: "m", count: $0 % 20) }
        let writer = AppendingWriter(path: dir.file("app.log"))
        for line in lines { writer.write(line) }
        let size = lines.reduce(0) { $0 + $1.utf8.count + 1 }
        let config = dir.file("shipper.json5")
        try writeText("""
        {
          output: { directory: "out" },
          checkpoints: { path: "state/cp.sqlite", commitIntervalMs: 100 },
          metrics: { path: "metrics/atom_shipper.prom", intervalMs: 100 },
          tracker: { flushIntervalMs: 100 },
          inputs: [{ name: "app", paths: ["app.log"], stream: "app_stream" }],
        }
        """, to: config)
        try FileManager.default.createDirectory(atPath: dir.file("metrics"), withIntermediateDirectories: true)
        let metrics = dir.file("metrics/atom_shipper.prom")

        let shipper = try ShipperBinary.start(["run", "--config", config])
        // Read the file over and over while the shipper replaces it: every read is a whole file.
        var reads = 0
        var latest: [Sample] = []
        let settled = eventually(timeout: 30) {
            guard let text = try? String(contentsOfFile: metrics, encoding: .utf8) else { return false }
            reads += 1
            do {
                latest = try Self.parse(text)
            } catch {
                Issue.record("unparsable metrics file: \(error)\n\(text)")
                return true
            }
            return Self.value(latest, "atom_shipper_events_delivered_total", ["stream": "app_stream"]) == 300
                && Self.value(latest, "atom_shipper_lag_bytes", ["input": "app"]) == 0
                && (Self.value(latest, "atom_shipper_checkpoint_commits_total", ["input": "app"]) ?? 0) >= 1
        }
        #expect(settled, "\(latest)")
        #expect(reads > 1)
        let result = shipper.terminate()
        #expect(result.status == 0, "\(result.stderr)")

        let final = try Self.parse(String(contentsOfFile: metrics, encoding: .utf8))
        let app = ["input": "app"]
        let stream = ["stream": "app_stream"]
        #expect(Self.value(final, "atom_shipper_lines_read_total", app) == 300)
        #expect(Self.value(final, "atom_shipper_bytes_read_total", app) == Double(size))
        #expect(Self.value(final, "atom_shipper_files_opened_total", app) == 1)
        #expect(Self.value(final, "atom_shipper_files_open", app) == 1)
        #expect(Self.value(final, "atom_shipper_events_total", stream) == 300)
        #expect(Self.value(final, "atom_shipper_events_delivered_total", stream) == 300)
        #expect(Self.value(final, "atom_shipper_events_dead_lettered_total", stream) == 0)
        #expect((Self.value(final, "atom_shipper_batches_total", stream) ?? 0) >= 1)
        #expect(Self.value(final, "atom_shipper_retries_total", stream) == 0)
        #expect(Self.value(final, "atom_shipper_backlog_events", stream) == 0)
        #expect(Self.value(final, "atom_shipper_tracker_backlog_bytes") == 0)
        #expect((Self.value(final, "atom_shipper_open_fds") ?? 0) >= 3)
        #expect((Self.value(final, "atom_shipper_resident_memory_bytes") ?? 0) > 1_000_000)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.file("metrics"))
        #expect(leftovers == ["atom_shipper.prom"], "temporary files left: \(leftovers)")
    }

    @Test("during an outage status shows each stream's backlog and retries and each file's lag and times")
    func statusDuringOutage() throws {
        let dir = try TempDir()
        let first = try AtomReceiver()
        let port = first.port
        let writer = AppendingWriter(path: dir.file("app.log"))
        for n in 0..<200 { writer.write("outage status line \(n)") }
        let config = dir.file("shipper.json5")
        try writeText("""
        {
          atom: { endpoint: "\(first.endpoint)", connectTimeoutMs: 1000 },
          checkpoints: { path: "state/cp.sqlite", commitIntervalMs: 100 },
          metrics: { path: "atom.prom", intervalMs: 200 },
          tracker: { flushIntervalMs: 100, retry: { backoffBaseMs: 50, backoffMaxMs: 300 } },
          inputs: [{ name: "app", paths: ["app.log"], stream: "web" }],
        }
        """, to: config)
        let shipper = try ShipperBinary.start(["run", "--config", config])
        #expect(first.waitForEvents(count: 200, timeout: 30))
        first.stop()
        for n in 200..<300 { writer.write("outage status line \(n)") }

        var status = ""
        let sawBacklog = eventually(timeout: 30) {
            status = (try? ShipperBinary.run(["status", "--config", config]).stdout) ?? ""
            return status.contains("web: 200 delivered, 0 dead-lettered, ") && status.contains("backlog 100,")
                && status.range(of: #"[1-9][0-9]* retried"#, options: .regularExpression) != nil
        }
        #expect(sawBacklog, "\(status)")
        let fileLine = status.split(separator: "\n").first { $0.contains(dir.file("app.log")) } ?? ""
        let size = (try FileManager.default.attributesOfItem(atPath: dir.file("app.log"))[.size] as? Int) ?? -1
        #expect(fileLine.contains("size \(size) lag "), "\(fileLine)")
        #expect(!fileLine.contains("lag 0 "), "\(fileLine)")
        #expect(fileLine.contains("read to \(size), last read 20"), "\(fileLine)")
        #expect(fileLine.contains("last delivery 20"), "\(fileLine)")
        #expect(fileLine.contains("identity "), "\(fileLine)")
        let metrics = try Self.parse(String(contentsOfFile: dir.file("atom.prom"), encoding: .utf8))
        #expect((Self.value(metrics, "atom_shipper_retries_total", ["stream": "web"]) ?? 0) > 0)

        let second = try AtomReceiver(port: port)
        defer { second.stop() }
        #expect(second.waitForEvents(count: 100, timeout: 30))
        let after = eventually(timeout: 30) {
            status = (try? ShipperBinary.run(["status", "--config", config]).stdout) ?? ""
            return status.contains("web: 300 delivered") && status.contains("backlog 0,")
                && status.contains("offset \(size) size \(size) lag 0 ")
        }
        #expect(after, "\(status)")
        #expect(shipper.terminate().status == 0)
    }
}
