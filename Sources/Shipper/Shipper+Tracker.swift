import AtomBase
import AtomSDK

extension Shipper {
    /// The tracker for a config: its destination (an Atom endpoint, or one file per stream), its
    /// dead-letter file, and per-stream figures kept in `streams`. Every settled batch is also
    /// passed to `onReport` (to move checkpoints).
    static func makeTracker(config: ShipperConfig, logger: Logger, streams: StreamLedger,
                            onReport: @escaping @Sendable (BatchReport) -> Void) throws(ShipperError) -> Tracker {
        let transport: any Transport
        switch config.destination {
        case .atom(let endpoint, let http):
            if let reason = AtomHTTPTransport.unavailableReason {
                throw ShipperError("atom.endpoint: \(reason)")
            }
            transport = AtomHTTPTransport(endpoint: endpoint, options: http)
            logger.info("delivering to an Atom endpoint", ["endpoint": endpoint])
            if http.insecure && endpoint.lowercased().hasPrefix("https://") {
                logger.error("TLS CERTIFICATE VERIFICATION IS OFF (atom.insecure): anyone on the path can read "
                             + "and change what is sent; use atom.caBundle instead", ["endpoint": endpoint])
            }
        case .files(let directory):
            do {
                transport = try FileTransport(directory: directory, rotation: config.outputRotation, logger: logger)
            } catch {
                throw ShipperError("output folder \(directory): \(error.message)")
            }
            logger.info("delivering to files, one per stream", ["directory": directory])
        }
        let deadLetters: DeadLetterWriter
        do {
            deadLetters = try DeadLetterWriter(path: config.deadLetterPath, rotation: config.deadLetterRotation,
                                               logger: logger)
        } catch {
            throw ShipperError("dead-letter file \(config.deadLetterPath): \(error.message)")
        }
        return Tracker(
            options: config.tracker, transport: transport, deadLetters: deadLetters, logger: logger,
            onReport: { report in
                onReport(report)
                streams.settled(report)
            },
            onError: { failure in
                // Once per rejected or given-up batch; the tracker has logged it and written it to
                // the dead-letter file.
                streams.counts.withLock { counts in
                    counts[failure.stream, default: StreamLedger.Counts()].rejectedBatches += 1
                }
            })
    }

    /// Waits until every event the tracker holds is settled, saying every ten seconds how many wait.
    static func waitUntilDelivered(_ tracker: Tracker, config: String, logger: Logger) {
        var lastReport = Clock.nanos()
        while !tracker.waitUntilIdle(timeout: 1) {
            if Clock.nanos() &- lastReport > 10_000_000_000 {
                lastReport = Clock.nanos()
                logger.info("waiting for events to be delivered",
                            ["config": config, "pending": String(tracker.pendingEvents)])
            }
        }
    }
}
