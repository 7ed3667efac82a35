import Glibc

/// Shutdown and reload signals, taken synchronously with sigwait(2) on a thread that asks for them.
///
/// `block()` must run before any other thread starts, so that every thread inherits the mask and the
/// signals wait for `next()` instead of killing the process.
public enum Signals {
    public static let watched: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    private static var set: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in watched { sigaddset(&set, signal) }
        return set
    }

    public static func block() {
        var mask = set
        pthread_sigmask(SIG_BLOCK, &mask, nil)
    }

    /// Waits for the next watched signal and returns its number.
    public static func next() -> Int32 {
        var mask = set
        var signal: Int32 = 0
        while sigwait(&mask, &signal) != 0 {}
        return signal
    }

    public static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        default: "signal \(signal)"
        }
    }
}
