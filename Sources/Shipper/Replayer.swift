import AtomBase
import AtomSDK
import Glibc
import StreamMapping

/// Sends again the batches of dead-letter files, once the cause of their rejection is fixed.
///
/// Each file is read completely before anything is sent. The configured dead-letter file itself
/// is first renamed to `<file>.replaying-<unix time>`, so that batches rejected again go to a new
/// one and are never read back in the same run; the dead-letter file is not rotated while replay
/// runs, so the rotated files being replayed keep their names. A file whose every event settled
/// (delivered, or rejected again and so written to the dead-letter file anew) is renamed to
/// `<file>.replayed-<unix time>`, so that replaying it a second time cannot send it twice.
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

    /// One dead-letter file being replayed: where it is now, and how many of its events settled.
    private struct Source {
        var name: String
        var path: String
        var events = 0
        var readable = true
    }

    let config: ShipperConfig
    let logger: Logger

    public init(config: ShipperConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// The config's dead-letter files that exist: the rotated ones oldest first, then the live one.
    public static func deadLetterFiles(config: ShipperConfig) -> [String] {
        FileRotation.rotatedFiles(of: config.deadLetterPath).reversed()
            + (Path.exists(config.deadLetterPath) ? [config.deadLetterPath] : [])
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
        let stamp = Int(Clock.unixTime())
        var sources: [Source] = []
        var batches: [(source: Int, stream: String, events: [String])] = []
        for file in files {
            read(file, stamp: stamp, into: &sources, batches: &batches, outcome: &outcome)
        }

        let transport: any Transport
        switch config.destination {
        case .atom(let endpoint, let http):
            if let reason = AtomHTTPTransport.unavailableReason {
                outcome.problems.append("atom.endpoint: \(reason)")
                return outcome
            }
            transport = AtomHTTPTransport(endpoint: endpoint, options: http)
        case .files(let directory):
            do {
                transport = try FileTransport(directory: directory, rotation: config.outputRotation, logger: logger)
            } catch {
                outcome.problems.append("output folder \(directory): \(error.message)")
                return outcome
            }
        }
        let liveExisted = Path.exists(config.deadLetterPath)
        let deadLetters = try? DeadLetterWriter(path: config.deadLetterPath, logger: logger)
        let counts = StreamLedger()
        let settled = SettledCounts(sources: sources.count)
        let owners = batches.map(\.source)
        let tracker = Tracker(options: config.tracker, transport: transport, deadLetters: deadLetters,
                              logger: logger, onReport: { report in
                                  counts.counts.withLock { all in
                                      var entry = all[report.stream] ?? StreamLedger.Counts()
                                      if report.outcome == .delivered {
                                          entry.delivered += report.events
                                      } else {
                                          entry.deadLettered += report.events
                                      }
                                      all[report.stream] = entry
                                  }
                                  for run in report.tokens { settled.add(run.count, to: owners[Int(run.token)]) }
                              })
        let keys = keysByStream()
        for (index, batch) in batches.enumerated() {
            for event in batch.events {
                do {
                    try tracker.track(stream: batch.stream, data: event, authKey: keys[batch.stream],
                                      token: UInt64(index))
                    outcome.events += 1
                } catch {
                    outcome.problems.append("\(sources[batch.source].name): \(error)")
                }
            }
        }
        tracker.flush()
        while !tracker.waitUntilIdle(timeout: 10) {
            logger.info("waiting for replayed events to be delivered",
                        ["config": config.file, "pending": String(tracker.pendingEvents)])
        }
        tracker.stop(deadline: config.shutdownTimeout)
        if !liveExisted, (try? Sys.stat(path: config.deadLetterPath).size) == 0 {
            try? Sys.unlink(config.deadLetterPath)  // opened for batches rejected again; there were none
        }
        counts.counts.withLock { all in
            for entry in all.values {
                outcome.delivered += entry.delivered
                outcome.deadLettered += entry.deadLettered
            }
        }

        // Files whose every event settled are set aside.
        for (index, source) in sources.enumerated() where source.readable {
            guard settled.count(index) == source.events else {
                outcome.problems.append("\(source.path): not every event was settled; the file is kept")
                continue
            }
            let target = Self.unused("\(source.name).replayed-\(stamp)")
            do {
                try Sys.rename(source.path, target)
                outcome.renamed.append(target)
            } catch {
                outcome.problems.append("\(source.path): replayed, but could not be renamed: \(error)")
            }
        }
        return outcome
    }

    /// `path`, or `path-2`, `path-3`… when it exists: two replays within one second must not
    /// rename a file over the other's.
    static func unused(_ path: String) -> String {
        var candidate = path
        var n = 1
        while Path.exists(candidate) {
            n += 1
            candidate = "\(path)-\(n)"
        }
        return candidate
    }

    /// Reads one dead-letter file whole (after setting the live dead-letter file aside).
    private func read(_ file: String, stamp: Int, into sources: inout [Source],
                      batches: inout [(source: Int, stream: String, events: [String])], outcome: inout Outcome) {
        var path = file
        if Path.absolute(file) == Path.absolute(config.deadLetterPath) {
            let aside = Self.unused("\(file).replaying-\(stamp)")
            do {
                try Sys.rename(file, aside)
                path = aside
            } catch {
                outcome.problems.append("\(file): \(error)")
                return
            }
        }
        let bytes: [UInt8]
        do {
            bytes = try Sys.readFile(path)
        } catch {
            outcome.problems.append("\(file): \(error)")
            return
        }
        var source = Source(name: file, path: path)
        var lineNumber = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            lineNumber += 1
            guard case .object(let members)? = try? JSON5Parser.parse(Array(line)),
                  case .string(let stream)? = members.first(where: { $0.key == "stream" })?.value,
                  case .array(let events)? = members.first(where: { $0.key == "events" })?.value else {
                outcome.problems.append("\(path) line \(lineNumber): not a dead-letter record")
                source.readable = false
                continue
            }
            batches.append((sources.count, stream, events.map(\.jsonText)))
            source.events += events.count
        }
        outcome.files += 1
        sources.append(source)
    }
}

/// Settled events per replayed file, counted from the tracker's reports.
final class SettledCounts: @unchecked Sendable {
    // Safe: `counts` is only touched under `lock`.
    private let lock = ConditionLock()
    private var counts: [Int]

    init(sources: Int) { counts = Array(repeating: 0, count: sources) }

    func add(_ events: Int, to source: Int) { lock.withLock { counts[source] += events } }
    func count(_ source: Int) -> Int { lock.withLock { counts[source] } }
}
