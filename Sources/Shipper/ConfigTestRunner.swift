import AtomBase
import LogTail
import StreamMapping

/// Runs the config's `tests` for `atom-shipper check`: each test's lines go through its input's
/// whole mapping as `preview` maps a file's (`MappingProbe`), and what comes out is compared with
/// the expected events (`ConfigTestDiff`). A test that fails gets a diff.
public enum ConfigTestRunner {
    /// What the tests came to.
    public struct Report: Sendable {
        public var passed = 0
        public var failed = 0
        /// A line per test (`PASS tests[0] name`, or `FAIL ...` and its diff), then the tally;
        /// no final newline.
        public var text = ""
        /// 0 when every test passed, else 1.
        public var exitStatus: Int32 { failed == 0 ? 0 : 1 }
    }

    /// Runs every test of `config`; `logger` gets what reading the lines logs (a cut line).
    public static func run(_ config: ShipperConfig, logger: Logger) -> Report {
        var report = Report()
        for test in config.tests {
            guard let input = config.inputs.first(where: { $0.name == test.input }) else { continue }
            let title = test.keyPath + (test.name.map { " " + $0 } ?? "")
            let diff: [String]
            switch map(test, input: input, logger: logger) {
            case .success(let actual):
                diff = ConfigTestDiff.differences(expected: test.expect, actual: actual,
                                                  varying: varyingFields(input.mapping.metadata))
            case .failure(let problem):
                diff = [problem.description]
            }
            if diff.isEmpty {
                report.passed += 1
                report.text += "PASS \(title)\n"
            } else {
                report.failed += 1
                report.text += "FAIL \(title)\n" + diff.map { "  \($0)\n" }.joined()
            }
        }
        let count = report.passed + report.failed
        report.text += "\(count) test\(count == 1 ? "" : "s"): \(report.passed) passed, \(report.failed) failed"
        return report
    }

    /// The metadata fields whose values differ between machines and runs: the host name, the
    /// path (a test has no file), the ingest time and the event id (no file, no fingerprint).
    static func varyingFields(_ metadata: MetadataSpec) -> Set<String> {
        Set([metadata.host, metadata.path, metadata.ingestTime, metadata.eventID].compactMap { $0 })
    }

    /// The test's lines, each followed by a line feed, read as one file through the input's
    /// framing and mapping; the events in the order they came out.
    static func map(_ test: ConfigTest, input: ShipperConfig.Input,
                    logger: Logger) -> Result<[ConfigTestDiff.Actual], ShipperError> {
        let collector = Collector()
        let probe: MappingProbe
        do {
            probe = try MappingProbe(spec: input.mapping) { collector.add($0) }
        } catch {
            return .failure(ShipperError("the input's mapping does not compile: \(error.keyPath): \(error.message)"))
        }
        var bytes: [UInt8] = []
        for line in test.lines {
            if input.tail.encoding == .latin1 {
                // The line as the file would hold it (the loader refused characters beyond U+00FF).
                bytes += line.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
            } else {
                bytes += Array(line.utf8)
            }
            bytes.append(0x0A)
        }
        let pipe: BytePipe
        do {
            pipe = try BytePipe.of(bytes)
        } catch {
            return .failure(error)
        }
        let reader = PipeReader(fd: pipe.readFD, name: test.keyPath, options: input.tail, logger: logger)
        let failure = reader.run(consumer: probe)
        probe.endFile()
        pipe.close()
        _ = pipe.wait()
        if let failure { return .failure(ShipperError("cannot read the test's lines: \(failure)")) }
        return .success(collector.events)
    }

    /// Keeps what the probe hands out, decoded: its bytes are valid only during the call.
    private final class Collector {
        var events: [ConfigTestDiff.Actual] = []

        func add(_ outcome: MappingProbe.Outcome) {
            let text = PreviewTally.example(outcome.text)
            guard let stream = outcome.stream else {
                events.append(ConfigTestDiff.Actual(stream: nil, event: .null, json: "", text: text))
                return
            }
            let json = String(decoding: outcome.event, as: UTF8.self)
            // An event that does not read back as JSON is kept as its text, so it shows in the diff.
            let event = (try? JSON5Parser.parse(Array(outcome.event))) ?? .string(json)
            events.append(ConfigTestDiff.Actual(stream: stream, event: event, json: json, text: text))
        }
    }
}
