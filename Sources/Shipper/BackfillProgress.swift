import AtomBase
import Glibc

/// Progress of a `--once` backfill: bytes read of the total to read, the rate, and the time left.
/// On a terminal it is one line redrawn in place on stderr; otherwise a plain log line every
/// `logInterval` seconds, so that a log file gets a few lines, not a stream of redraws.
final class BackfillProgress: @unchecked Sendable {
    // Safe: `lastLine` is touched only by the progress thread; the rest is immutable or atomic.
    let total: Int64
    private let terminal: Bool
    private let logger: Logger
    private let bytesRead: @Sendable () -> Int64
    /// The config file, named in every log line.
    private let config: String
    private let stopped = Completion()
    private let finished = Completion()
    private let started = Clock.nanos()
    static let logInterval = 5.0
    static let redrawInterval = 0.25

    init(total: Int64, terminal: Bool, logger: Logger, config: String,
         bytesRead: @escaping @Sendable () -> Int64) {
        self.total = total
        self.config = config
        self.terminal = terminal
        self.logger = logger
        self.bytesRead = bytesRead
    }

    /// Starts showing progress on a thread of its own.
    func start() {
        logger.info("backfill: reading what the inputs' files hold",
                    ["config": config, "bytes": String(total), "size": Self.size(Double(total))])
        Threads.spawn(name: "backfill-progress") { [self] in
            let interval = terminal ? Self.redrawInterval : Self.logInterval
            while !stopped.wait(timeoutNanos: UInt64(interval * 1e9)) { show(final: false) }
            show(final: true)
            finished.signal()
        }
    }

    /// Stops the display once reading is done (delivery may still be going on).
    func stop() {
        stopped.signal()
        finished.wait()
    }

    private func show(final: Bool) {
        let done = min(bytesRead(), max(total, bytesRead()))
        let seconds = max(0.001, Double(Clock.nanos() &- started) / 1e9)
        let rate = Double(done) / seconds
        let left = rate > 0 ? Double(max(0, total - done)) / rate : 0
        let percent = total > 0 ? min(100, Int(Double(done) * 100 / Double(total))) : 100
        if terminal {
            var text = "\r\u{1B}[Kbackfill: \(Self.size(Double(done))) of \(Self.size(Double(total))) "
                + "(\(percent)%), \(Self.size(rate))/s, "
            text += final ? "read in \(Self.duration(seconds))\n" : "\(Self.duration(left)) left"
            text.withUTF8 { _ = try? Sys.writeAll(2, UnsafeRawBufferPointer($0)) }
        } else {
            logger.info(final ? "backfill: everything read" : "backfill progress", [
                "config": config, "bytesDone": String(done), "bytesTotal": String(total), "percent": String(percent),
                "bytesPerSecond": String(Int(rate)), "secondsLeft": String(Int(left.rounded(.up))),
            ])
        }
    }

    static func size(_ bytes: Double) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = bytes
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(Int(value)) B" : "\((value * 10).rounded() / 10) \(units[unit])"
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        return s >= 3600 ? "\(s / 3600) h \(s % 3600 / 60) min" : s >= 60 ? "\(s / 60) min \(s % 60) s" : "\(s) s"
    }
}
