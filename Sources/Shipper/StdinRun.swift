import AtomBase
import AtomSDK
import Glibc
import LogTail

/// `atom-shipper run --stdin`: the lines of standard input go through one input's mapping (its
/// parser, added fields, routes and stream; its paths are not read) and are delivered like a
/// `--once` run's, until the stream ends.
///
/// Nothing is checkpointed and the checkpoint database is not opened, so this runs beside a
/// shipper that uses the same config; a line is delivered once each time it is piped in.
public final class StdinRun: @unchecked Sendable {
    // Safe: set in init and not changed; the reader and the pipeline are driven from `run`'s
    // thread, the tracker is thread-safe.
    let input: ShipperConfig.Input
    let config: ShipperConfig
    let logger: Logger
    let tracker: Tracker
    let pipeline: InputPipeline
    let reader: PipeReader
    let streams = StreamLedger()

    /// Prepares the mapping of the input named `inputName` (or the config's only input) for the
    /// stream on `fd`, and the tracker.
    public init(config: ShipperConfig, inputName: String?, logger: Logger, fd: Int32 = 0) throws(ShipperError) {
        let chosen = try config.input(named: inputName, for: "whose mapping applies to standard input")
        input = chosen
        self.config = config
        self.logger = logger
        let reader = PipeReader(fd: fd, name: "-", options: chosen.tail, logger: logger)
        self.reader = reader
        tracker = try Shipper.makeTracker(config: config, logger: logger, streams: streams) { report in
            for run in report.tokens { reader.acknowledge(token: run.token, count: run.count) }
        }
        do {
            pipeline = try InputPipeline(index: 0, spec: chosen.mapping, name: chosen.name, tracker: tracker,
                                         logger: logger, ledger: streams)
        } catch {
            tracker.stop(deadline: 0)
            let index = config.inputs.firstIndex { $0.name == chosen.name } ?? 0
            throw ShipperError("inputs[\(index)].\(error.keyPath): \(error.message)")
        }
    }

    /// Reads standard input to its end (or until SIGINT or SIGTERM), delivers every event, and
    /// returns the summary. `Signals.block()` must have run first. A second signal exits at once
    /// with status 1 (events not delivered by then are lost: nothing is checkpointed).
    public func run() -> RunSummary {
        let started = Clock.nanos()
        let file = config.file
        Threads.spawn(name: "stdin-signals") { [reader, logger] in
            var signal: Int32
            repeat { signal = Signals.next() } while signal == SIGHUP
            logger.info("stopping: no more reading, delivering what was read",
                        ["config": file, "signal": Signals.name(signal)])
            reader.stop()
            repeat { signal = Signals.next() } while signal == SIGHUP
            logger.warning("second signal; exiting now, events not delivered yet are lost",
                           ["config": file, "signal": Signals.name(signal)])
            exit(1)
        }
        logger.info("reading standard input", ["config": config.file, "input": input.name])
        let failure = reader.run(consumer: pipeline)
        pipeline.submitAll()
        tracker.flush()
        Shipper.waitUntilDelivered(tracker, config: config.file, logger: logger)
        tracker.stop(deadline: config.shutdownTimeout)
        let counters = reader.counters
        let summary = RunSummary.Input(
            name: input.name, files: 0, lines: counters.lines.load(ordering: .relaxed),
            bytes: counters.bytes.load(ordering: .relaxed),
            events: pipeline.counters.events.load(ordering: .relaxed),
            dropped: pipeline.counters.dropped.load(ordering: .relaxed),
            parseFailures: pipeline.counters.parseFailures.load(ordering: .relaxed),
            linesCut: counters.truncatedLines.load(ordering: .relaxed))
        return RunSummary(seconds: Double(Clock.nanos() &- started) / 1e9, inputs: [summary],
                          streams: streams.summary(), failures: failure.map { ["standard input: \($0)"] } ?? [])
    }
}
