import AtomBase

/// What a run did, for the closing lines of `--once` and the exit status.
public struct RunSummary: Sendable {
    public struct Input: Sendable {
        public var name: String
        public var files: Int
        public var lines: Int
        public var bytes: Int
        public var events: Int
        public var dropped: Int
        public var parseFailures: Int
        public var linesCut: Int
        /// Unread bytes of rotated files released by the rotatedMaxBytes/rotatedMaxAgeMs policy.
        public var bytesGivenUp: Int = 0
    }

    public struct Stream: Sendable {
        public var name: String
        public var delivered: Int
        public var deadLettered: Int
        public var batches: Int
        public var rejectedBatches: Int
    }

    public var seconds: Double
    public var inputs: [Input]
    public var streams: [Stream]
    /// Files that could not be read, archives found broken.
    public var failures: [String]

    public var deadLettered: Int { streams.reduce(0) { $0 + $1.deadLettered } }
    public var delivered: Int { streams.reduce(0) { $0 + $1.delivered } }

    /// Zero when every event was delivered and every file read.
    public var exitStatus: Int32 { deadLettered > 0 || !failures.isEmpty ? 1 : 0 }

    /// Human-readable lines.
    public var text: String {
        var lines: [String] = []
        let seconds = (self.seconds * 100).rounded() / 100
        for input in inputs {
            lines.append("input \(input.name): \(plural(input.files, "file")), \(input.lines) lines, "
                         + "\(input.bytes) bytes, "
                         + "\(input.events) events, \(input.dropped) dropped, \(input.parseFailures) parse failures"
                         + (input.linesCut > 0 ? ", \(input.linesCut) lines cut at maxLineBytes" : "")
                         + (input.bytesGivenUp > 0
                            ? ", \(input.bytesGivenUp) bytes of rotated files given up unread" : ""))
        }
        for stream in streams {
            lines.append("stream \(stream.name): \(stream.delivered) delivered, \(stream.deadLettered) dead-lettered "
                         + "in \(plural(stream.batches, "batch"))"
                         + (stream.rejectedBatches > 0 ? " (\(plural(stream.rejectedBatches, "batch")) rejected)" : ""))
        }
        for failure in failures { lines.append("failed: \(failure)") }
        lines.append("done in \(seconds) s: \(delivered) events delivered, \(deadLettered) dead-lettered, "
                     + "\(plural(failures.count, "file")) failed")
        return lines.joined(separator: "\n")
    }
}

/// "1 file", "2 files", "1 batch", "3 batches".
func plural(_ n: Int, _ word: String) -> String {
    n == 1 ? "1 \(word)" : "\(n) \(word)\(word.hasSuffix("ch") ? "es" : "s")"
}

extension Shipper {
    func summary(seconds: Double) -> RunSummary {
        let all = commitLock.withLock { retired + slots }
        // A reload may have run an input in several slots (before and after a change): one line each.
        var inputs: [RunSummary.Input] = []
        for slot in all {
            let tailer = slot.tailer
            let pipeline = slot.pipeline
            let input = RunSummary.Input(
                name: pipeline.name, files: tailer.filesOpened, lines: tailer.linesRead, bytes: tailer.bytesRead,
                events: pipeline.counters.events.load(ordering: .relaxed),
                dropped: pipeline.counters.dropped.load(ordering: .relaxed),
                parseFailures: pipeline.counters.parseFailures.load(ordering: .relaxed),
                linesCut: tailer.linesCut, bytesGivenUp: tailer.bytesGivenUp)
            if let same = inputs.firstIndex(where: { $0.name == input.name }) {
                inputs[same].files += input.files
                inputs[same].lines += input.lines
                inputs[same].bytes += input.bytes
                inputs[same].events += input.events
                inputs[same].dropped += input.dropped
                inputs[same].parseFailures += input.parseFailures
                inputs[same].linesCut += input.linesCut
                inputs[same].bytesGivenUp += input.bytesGivenUp
            } else {
                inputs.append(input)
            }
        }
        return RunSummary(seconds: seconds, inputs: inputs, streams: streams.summary(),
                          failures: all.flatMap(\.tailer.failures))
    }
}

extension StreamLedger {
    /// Each stream's figures, by name.
    func summary() -> [RunSummary.Stream] {
        counts.withLock { counts in
            counts.keys.sorted().map { name in
                let c = counts[name] ?? StreamLedger.Counts()
                return RunSummary.Stream(name: name, delivered: c.delivered, deadLettered: c.deadLettered,
                                         batches: c.batches, rejectedBatches: c.rejectedBatches)
            }
        }
    }
}
