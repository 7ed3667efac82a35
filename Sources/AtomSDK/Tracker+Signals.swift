import Glibc

extension Tracker {
    /// Makes the first SIGINT or SIGTERM (or any of `signals`) stop this tracker gracefully, as
    /// `stop(deadline:)` does, on a thread of its own; then `then` runs with the signal and the
    /// number of events not settled by the deadline (typically to exit the program). A second
    /// signal has its default effect again (for SIGINT and SIGTERM: the program ends at once).
    ///
    /// It installs signal handlers (sigaction) and unblocks the signals in the calling thread: a
    /// program that takes signals itself with sigwait or signalfd should call `stop` from there
    /// instead.
    /// - Parameters:
    ///   - signals: the signals that stop the tracker.
    ///   - deadline: seconds the stop waits for batches to settle.
    ///   - then: called once, after the stop, on the signal thread.
    public func stopOnSignals(_ signals: [Int32] = [SIGINT, SIGTERM], deadline: Double = 30,
                              then: @escaping @Sendable (_ signal: Int32, _ unsettled: Int) -> Void) {
        let core = self.core
        SignalRelay.shared.register(signals) { signal in
            then(signal, core.stop(deadline: deadline).reduce(0) { $0 + $1.count })
        }
    }
}
