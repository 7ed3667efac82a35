import AtomBase
import AtomSDK
import Glibc
import StreamMapping

/// Sends again the batches of dead-letter files, once the cause of their rejection is fixed.
///
/// Each file is read completely before anything is sent, so a batch rejected again (and appended
/// to the configured dead-letter file once more) is never read back in the same run. A file whose
/// every event was delivered is renamed to `<file>.replayed-<unix time>`, so that replaying it a
/// second time cannot send it twice.
public struct Replayer {
    public struct Outcome: Sendable {
        public var files: Int = 0
        public var events: Int = 0
        public var delivered: Int = 0
        public var deadLettered: Int = 0
        public var problems: [String] = []
        public var renamed: [String] = []

        public var exitStatus: Int32 { deadLettered > 0 || !problems.isEmpty ? 1 : 0 }

        public var text: String {
            var lines = problems.map { "failed: \($0)" }
            lines += renamed.map { "replayed and renamed: \($0)" }
            lines.append("replayed \(events) events from \(plural(files, "file")): \(delivered) delivered, "
                         + "\(deadLettered) dead-lettered again")
            return lines.joined(separator: "\n")
        }
    }

    let config: ShipperConfig
    let logger: Logger

    public init(config: ShipperConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// The key each stream is signed with, as the config's routes and inputs give them.
    func keysByStream() -> [String: String] {
        var keys: [String: String] = [:]
        for input in config.inputs {
            guard let mapper = try? EventMapper(spec: input.mapping) else { continue }
            for target in mapper.streams where keys[target.name] == nil {
                if let key = target.authKey, !key.isEmpty { keys[target.name] = key }
            }
        }
        return keys
    }

    /// Replays `files` through the config's destination and waits until every event is settled.
    public func replay(_ files: [String]) -> Outcome {
        var outcome = Outcome()
        // Read everything first.
        var batches: [(file: String, stream: String, events: [String])] = []
        var readable: [String] = []
        for file in files {
            do {
                let bytes = try Sys.readFile(file)
                var lineNumber = 0
                var failed = false
                for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
                    lineNumber += 1
                    guard case .object(let members)? = try? JSON5Parser.parse(Array(line)),
                          case .string(let stream)? = members.first(where: { $0.key == "stream" })?.value,
                          case .array(let events)? = members.first(where: { $0.key == "events" })?.value else {
                        outcome.problems.append("\(file) line \(lineNumber): not a dead-letter record")
                        failed = true
                        continue
                    }
                    batches.append((file, stream, events.map(\.jsonText)))
                }
                outcome.files += 1
                if !failed { readable.append(file) }
            } catch {
                outcome.problems.append("\(file): \(error)")
            }
        }

        let transport: any Transport
        switch config.destination {
        case .atom(let endpoint, let http):
            transport = AtomHTTPTransport(endpoint: endpoint, options: http)
        case .files(let directory):
            do {
                transport = try FileTransport(directory: directory)
            } catch {
                outcome.problems.append("output folder \(directory): \(error.message)")
                return outcome
            }
        }
        let deadLetters = try? DeadLetterWriter(path: config.deadLetterPath)
        let counts = StreamLedger()
        let failedFiles = FileSet()
        let tokens = batches.map(\.file)
        let tracker = Tracker(options: config.tracker, transport: transport, deadLetters: deadLetters,
                              logger: logger, onReport: { report in
                                  counts.counts.withLock { all in
                                      var entry = all[report.stream] ?? StreamLedger.Counts()
                                      if report.outcome == .delivered {
                                          entry.delivered += report.events
                                      } else {
                                          entry.deadLettered += report.events
                                          for run in report.tokens { failedFiles.insert(tokens[Int(run.token)]) }
                                      }
                                      all[report.stream] = entry
                                  }
                              })
        let keys = keysByStream()
        for (index, batch) in batches.enumerated() {
            for event in batch.events {
                do {
                    try tracker.track(stream: batch.stream, data: event, authKey: keys[batch.stream],
                                      token: UInt64(index))
                    outcome.events += 1
                } catch {
                    outcome.problems.append("\(batch.file): \(error)")
                }
            }
        }
        tracker.flush()
        while !tracker.waitUntilIdle(timeout: 10) {
            logger.info("waiting for replayed events to be delivered", ["pending": String(tracker.pendingEvents)])
        }
        tracker.stop(deadline: config.shutdownTimeout)
        counts.counts.withLock { all in
            for entry in all.values {
                outcome.delivered += entry.delivered
                outcome.deadLettered += entry.deadLettered
            }
        }

        // Files whose every event was delivered are set aside.
        let stamp = Int(Clock.unixTime())
        for file in readable where !failedFiles.contains(file) {
            let target = "\(file).replayed-\(stamp)"
            do {
                try Sys.rename(file, target)
                outcome.renamed.append(target)
            } catch {
                outcome.problems.append("\(file): replayed, but could not be renamed: \(error)")
            }
        }
        return outcome
    }
}

/// A set of file names shared with tracker callbacks.
final class FileSet: @unchecked Sendable {
    // Safe: `names` is only touched under `lock`.
    private let lock = ConditionLock()
    private var names = Set<String>()

    func insert(_ name: String) { lock.withLock { _ = names.insert(name) } }
    func contains(_ name: String) -> Bool { lock.withLock { names.contains(name) } }
}
