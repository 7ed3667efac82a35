import AtomBase
import AtomSDK
import Glibc
import LogTail
import StreamMapping
import Synchronization

/// The running shipper: one tailer per input feeding one tracker, with checkpoints moved by the
/// tracker's acknowledgements.
public final class Shipper: @unchecked Sendable {
    // Safe: the stored properties are set in init and not changed; the tailers are only driven from
    // their own threads and `commitAll` is serialised by `commitLock`.
    public let config: ShipperConfig
    let logger: Logger
    let store: CheckpointStore
    let tracker: Tracker
    let tailers: [Tailer]
    let pipelines: [InputPipeline]
    let streams = StreamLedger()
    private let commitLock = ConditionLock()

    /// Opens the checkpoint database, the destination and the dead-letter file, and prepares every input.
    public init(config: ShipperConfig, logger: Logger) throws(ShipperError) {
        self.config = config
        self.logger = logger
        guard config.inputs.count <= 255 else { throw ShipperError("at most 255 inputs are supported") }
        do {
            store = try CheckpointStore(path: config.checkpointPath, onCorrupt: config.onCorrupt, logger: logger)
        } catch {
            throw ShipperError(error.description)
        }

        let transport: any Transport
        switch config.destination {
        case .atom(let endpoint, let http):
            transport = AtomHTTPTransport(endpoint: endpoint, options: http)
            logger.info("delivering to an Atom endpoint", ["endpoint": endpoint])
        case .files(let directory):
            do {
                transport = try FileTransport(directory: directory)
            } catch {
                throw ShipperError("output folder \(directory): \(error.message)")
            }
            logger.info("delivering to files, one per stream", ["directory": directory])
        }
        let deadLetters: DeadLetterWriter
        do {
            deadLetters = try DeadLetterWriter(path: config.deadLetterPath)
        } catch {
            throw ShipperError("dead-letter file \(config.deadLetterPath): \(error.message)")
        }

        let router = AckRouter()
        let streams = self.streams
        tracker = Tracker(
            options: config.tracker, transport: transport, deadLetters: deadLetters, logger: logger,
            onReport: { report in
                router.route(report)
                streams.counts.withLock { counts in
                    var entry = counts[report.stream] ?? StreamLedger.Counts()
                    entry.batches += 1
                    if report.outcome == .delivered {
                        entry.delivered += report.events
                    } else {
                        entry.deadLettered += report.events
                    }
                    counts[report.stream] = entry
                }
            },
            onError: { failure in
                // Once per rejected or given-up batch; the tracker has logged it and written it to
                // the dead-letter file.
                streams.counts.withLock { counts in
                    counts[failure.stream, default: StreamLedger.Counts()].rejectedBatches += 1
                }
            })

        var tailers: [Tailer] = []
        var pipelines: [InputPipeline] = []
        for (index, input) in config.inputs.enumerated() {
            do {
                var options = input.tail
                options.commitInterval = config.commitInterval
                if store.setAside != nil {
                    // The damaged database's offsets are gone: start where the policy says.
                    options.startAt = config.onCorrupt == .end ? .end : .beginning
                }
                tailers.append(try Tailer(options: options, store: store, logger: logger))
                pipelines.append(try InputPipeline(index: index, spec: input.mapping, name: input.name,
                                                   tracker: tracker, logger: logger))
            } catch let error as CheckpointError {
                tracker.stop(deadline: 0)
                throw ShipperError(error.description)
            } catch let error as MappingError {
                tracker.stop(deadline: 0)
                throw ShipperError("inputs[\(index)].\(error.keyPath): \(error.message)")
            } catch {
                tracker.stop(deadline: 0)
                throw ShipperError("inputs[\(index)]: \(error)")
            }
        }
        self.tailers = tailers
        self.pipelines = pipelines
        router.tailers = tailers
    }

    // MARK: Running

    /// Reads what exists now, waits until every event is settled, checkpoints, and returns a summary.
    public func runOnce() -> RunSummary {
        let started = Clock.nanos()
        runTailers(once: true).forEach { $0.wait() }
        tracker.flush()
        var lastReport = Clock.nanos()
        while !tracker.waitUntilIdle(timeout: 1) {
            if Clock.nanos() &- lastReport > 10_000_000_000 {
                lastReport = Clock.nanos()
                logger.info("waiting for events to be delivered", ["pending": String(tracker.pendingEvents)])
            }
        }
        commitAll()
        tracker.stop(deadline: config.shutdownTimeout)
        store.close()
        return summary(seconds: Double(Clock.nanos() &- started) / 1e9)
    }

    /// Follows the inputs until SIGINT or SIGTERM, then stops reading, delivers what is in flight
    /// (within `shutdownTimeout`), checkpoints, and returns. `Signals.block()` must have run before
    /// the shipper was created. A second signal during the drain exits at once after committing
    /// what was acknowledged.
    public func runUntilSignalled() -> RunSummary {
        let started = Clock.nanos()
        let done = runTailers(once: false)
        logger.info("following inputs", ["inputs": String(tailers.count)])
        let stopSnapshots = Completion()
        Threads.spawn(name: "stats-snapshot") { [self] in
            // Every few seconds, so that `atom-shipper status` sees the streams move.
            while !stopSnapshots.wait(timeoutNanos: 3_000_000_000) {
                commitLock.withLock { writeStreamStats() }
            }
        }
        var signal: Int32
        repeat {
            signal = Signals.next()
            if signal == SIGHUP {
                logger.warning("SIGHUP received; reloading the config is not supported yet, restart to apply changes")
            }
        } while signal == SIGHUP
        logger.info("stopping: no more reading, delivering what is in flight",
                    ["signal": Signals.name(signal), "timeoutSeconds": String(config.shutdownTimeout)])
        Threads.spawn(name: "second-signal") { [self] in
            var again: Int32
            repeat { again = Signals.next() } while again == SIGHUP
            logger.warning("second signal; exiting now after committing what was acknowledged",
                           ["signal": Signals.name(again)])
            commitAll()
            exit(0)
        }
        stopSnapshots.signal()
        for tailer in tailers { tailer.stop() }
        done.forEach { $0.wait() }
        for pipeline in pipelines { pipeline.submitAll() }
        tracker.flush()
        let unsettled = tracker.stop(deadline: config.shutdownTimeout)
        commitAll()
        if unsettled > 0 {
            logger.warning("stopped with events not delivered; they are read again on the next start",
                           ["events": String(unsettled)])
        }
        store.close()
        logger.info("stopped", [:])
        return summary(seconds: Double(Clock.nanos() &- started) / 1e9)
    }

    private func runTailers(once: Bool) -> [Completion] {
        zip(tailers, pipelines).map { tailer, pipeline in
            let done = Completion()
            Threads.spawn(name: "tail-\(pipeline.name)") {
                tailer.run(consumer: pipeline, once: once)
                done.signal()
            }
            return done
        }
    }

    /// Commits every input's settled checkpoints, and the per-stream figures for `status`.
    func commitAll() {
        commitLock.withLock {
            for tailer in tailers { tailer.commit() }
            writeStreamStats()
        }
    }

    /// The per-stream figures as they stand, into the database (for `atom-shipper status`).
    func writeStreamStats() {
        let now = Clock.unixTime()
        let rows = streams.counts.withLock { counts in
            counts.map { name, c in
                CheckpointStore.StreamStats(stream: name, delivered: c.delivered, deadLettered: c.deadLettered,
                                            batches: c.batches, updated: now)
            }
        }
        do {
            try store.writeStreamStats(rows)
        } catch {
            logger.warning("could not write stream figures for status", ["error": error.description])
        }
    }
}

/// Events settled per stream.
final class StreamLedger: Sendable {
    struct Counts {
        var delivered = 0
        var deadLettered = 0
        var batches = 0
        /// Batches the endpoint rejected (the error callback's count).
        var rejectedBatches = 0
    }

    let counts = Mutex<[String: Counts]>([:])
}

/// Sends each batch's acknowledgements to the tailer its token names.
final class AckRouter: @unchecked Sendable {
    // Safe: `tailers` is set once, before the first batch can be reported (no input has read yet).
    var tailers: [Tailer] = []

    func route(_ report: BatchReport) {
        for run in report.tokens {
            let (input, chunk) = InputPipeline.split(run.token)
            guard input < tailers.count else { continue }
            tailers[input].acknowledge(token: chunk, count: run.count)
        }
    }
}

/// The shipper could not start; the message names the file or key.
public struct ShipperError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ message: String) { description = message }
}
