import AtomBase
import AtomSDK
import Glibc
import LogTail
import StreamMapping
import Synchronization

/// The running shipper: one tailer per input feeding one tracker, with checkpoints moved by the
/// tracker's acknowledgements. SIGHUP reloads the inputs (`reload`).
public final class Shipper: @unchecked Sendable {
    // Safe: `config`, `store` and `tracker` are set in init and not changed. `slots` and `retired`
    // change only on the thread that runs the shipper (start, reload, stop), always under
    // `commitLock`, and other threads read them only under `commitLock`. The tailers are driven
    // from their own threads.
    public internal(set) var config: ShipperConfig
    let logger: Logger
    let store: CheckpointStore
    let tracker: Tracker
    /// The running inputs.
    var slots: [InputSlot] = []
    /// Inputs stopped by a reload whose events may still be acknowledged.
    var retired: [InputSlot] = []
    let router = AckRouter()
    let streams = StreamLedger()
    let commitLock = ConditionLock()

    /// Opens the checkpoint database, the destination and the dead-letter file, and prepares every input.
    public init(config: ShipperConfig, logger: Logger) throws(ShipperError) {
        self.config = config
        self.logger = logger
        guard config.inputs.count <= InputSlot.maxSlots else {
            throw ShipperError("at most \(InputSlot.maxSlots) inputs are supported")
        }
        do {
            store = try CheckpointStore(path: config.checkpointPath, onCorrupt: config.onCorrupt, logger: logger)
        } catch {
            throw ShipperError(error.description)
        }

        let router = self.router
        tracker = try Self.makeTracker(config: config, logger: logger, streams: streams) { router.route($0) }

        for (index, input) in config.inputs.enumerated() {
            var input = input
            if store.setAside != nil {
                // The damaged database's offsets are gone: start where the policy says.
                input.tail.startAt = config.onCorrupt == .end ? .end : .beginning
            }
            do {
                let slot = try makeSlot(input, index: index, configIndex: index)
                slots.append(slot)
                router.attach(slot)
            } catch {
                tracker.stop(deadline: 0)
                throw error
            }
        }
    }

    /// Creates an input's tailer (loading its checkpoints) and pipeline, for slot `index`.
    func makeSlot(_ input: ShipperConfig.Input, index: Int, configIndex: Int) throws(ShipperError) -> InputSlot {
        var options = input.tail
        options.commitInterval = config.commitInterval
        do {
            let tailer = try Tailer(options: options, store: store, logger: logger)
            let pipeline = try InputPipeline(index: index, spec: input.mapping, name: input.name, tracker: tracker,
                                             logger: logger, ledger: streams)
            return InputSlot(index: index, input: input, tailer: tailer, pipeline: pipeline)
        } catch let error as CheckpointError {
            throw ShipperError(error.description)
        } catch let error as MappingError {
            throw ShipperError("inputs[\(configIndex)].\(error.keyPath): \(error.message)")
        } catch {
            throw ShipperError("inputs[\(configIndex)]: \(error)")
        }
    }

    // MARK: Running

    /// Reads what exists now, waits until every event is settled, checkpoints, and returns a summary.
    /// - Parameter terminal: show progress redrawn in place on stderr (a terminal), else log it.
    public func runOnce(terminal: Bool = false) -> RunSummary {
        let started = Clock.nanos()
        let running = slots
        let progress = BackfillProgress(
            total: running.reduce(0) { $0 + $1.tailer.unreadBytes() }, terminal: terminal, logger: logger,
            config: config.file,
            bytesRead: { running.reduce(0) { $0 + Int64($1.tailer.bytesRead) } })
        progress.start()
        for slot in slots { start(slot, once: true) }
        for slot in slots { slot.done.wait() }
        for slot in slots { slot.pipeline.submitAll() }
        progress.stop()
        tracker.flush()
        Shipper.waitUntilDelivered(tracker, config: config.file, logger: logger)
        commitAll()
        tracker.stop(deadline: config.shutdownTimeout)
        writeMetrics(snapshot())
        store.close()
        return summary(seconds: Double(Clock.nanos() &- started) / 1e9)
    }

    /// Follows the inputs until SIGINT or SIGTERM, then stops reading, delivers what is in flight
    /// (within `shutdownTimeout`), checkpoints, and returns. SIGHUP reloads the config's inputs.
    /// `Signals.block()` must have run before the shipper was created. A second signal during the
    /// drain exits at once after committing what was acknowledged.
    public func runUntilSignalled() -> RunSummary {
        let started = Clock.nanos()
        for slot in slots { start(slot, once: false) }
        logger.info("following inputs",
                    ["config": config.file, "inputs": slots.map(\.input.name).joined(separator: ",")])
        let stopSnapshots = startSnapshots()
        var signal = Signals.next()
        while signal == SIGHUP {
            reload()
            signal = Signals.next()
        }
        logger.info("stopping: no more reading, delivering what is in flight",
                    ["config": config.file, "signal": Signals.name(signal),
                     "timeoutSeconds": String(config.shutdownTimeout)])
        Threads.spawn(name: "second-signal") { [self] in
            var again: Int32
            repeat { again = Signals.next() } while again == SIGHUP
            logger.warning("second signal; exiting now after committing what was acknowledged",
                           ["config": config.file, "signal": Signals.name(again)])
            commitAll()
            exit(0)
        }
        stopSnapshots.signal()
        let running = commitLock.withLock { slots }
        for slot in running { slot.tailer.stop() }
        for slot in running { slot.done.wait() }
        for slot in running { slot.pipeline.submitAll() }
        tracker.flush()
        let unsettled = tracker.stop(deadline: config.shutdownTimeout)
        commitAll()
        writeMetrics(snapshot())
        if unsettled > 0 {
            logger.warning("stopped with events not delivered; they are read again on the next start",
                           ["config": config.file, "events": String(unsettled)])
        }
        store.close()
        logger.info("stopped", ["config": config.file])
        return summary(seconds: Double(Clock.nanos() &- started) / 1e9)
    }

    /// Runs the slot's tailer on a thread of its own; `slot.done` is signalled when it returns.
    func start(_ slot: InputSlot, once: Bool) {
        Threads.spawn(name: "tail-\(slot.input.name)") {
            slot.tailer.run(consumer: slot.pipeline, once: once)
            slot.done.signal()
        }
    }

    /// Commits every input's settled checkpoints, and the per-stream figures for `status`.
    func commitAll() {
        commitLock.withLock {
            for slot in slots { slot.tailer.commit() }
            for slot in retired where slot.commits { slot.tailer.commit() }
            writeSnapshot(snapshot())
        }
    }
}

/// Events submitted and settled per stream.
final class StreamLedger: Sendable {
    struct Counts {
        var submitted = 0
        var delivered = 0
        var deadLettered = 0
        var batches = 0
        /// Batches the endpoint rejected (the error callback's count).
        var rejectedBatches = 0
        /// Events handed to the tracker and not settled yet.
        var backlog: Int { max(0, submitted - delivered - deadLettered) }
    }

    let counts = Mutex<[String: Counts]>([:])

    /// Counts a batch handed to the tracker (once per batch, from a pipeline).
    func submitted(_ events: Int, stream: String) {
        counts.withLock { $0[stream, default: Counts()].submitted += events }
    }

    /// Counts a settled batch.
    func settled(_ report: BatchReport) {
        counts.withLock { counts in
            var entry = counts[report.stream] ?? Counts()
            entry.batches += 1
            if report.outcome == .delivered {
                entry.delivered += report.events
            } else {
                entry.deadLettered += report.events
            }
            counts[report.stream] = entry
        }
    }
}

/// The shipper could not start; the message names the file or key.
public struct ShipperError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ message: String) { description = message }
}
