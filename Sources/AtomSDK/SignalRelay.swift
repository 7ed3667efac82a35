import AtomBase
import Glibc
import Synchronization

/// The write end of the relay's pipe, for the signal handler (set once, before any handler).
nonisolated(unsafe) private var relayPipe: Int32 = -1

/// The signal handler: writes the signal's number to the pipe (write(2) is async-signal-safe).
private func relaySignal(_ signal: Int32) {
    var byte = UInt8(truncatingIfNeeded: signal)
    _ = write(relayPipe, &byte, 1)
}

/// Turns signals into calls on a thread of its own: a handler that writes to a pipe, and a thread
/// that reads it and runs what was registered for the signal.
final class SignalRelay: Sendable {
    typealias Action = @Sendable (Int32) -> Void

    static let shared = SignalRelay()

    private let actions = Mutex<[(signals: Set<Int32>, action: Action)]>([])
    private let started = Mutex(false)

    /// Runs `action` on the relay's thread when one of `signals` arrives (each signal once: the
    /// handler is reset to the default, so a second one acts as if none were installed). The
    /// signals are unblocked in the calling thread, so that a process that inherited them blocked
    /// still receives them.
    func register(_ signals: [Int32], action: @escaping Action) {
        startOnce()
        actions.withLock { $0.append((Set(signals), action)) }
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in signals {
            var handler = sigaction()
            handler.__sigaction_handler.sa_handler = relaySignal
            handler.sa_flags = Int32(bitPattern: UInt32(SA_RESETHAND) | UInt32(SA_RESTART))
            sigemptyset(&handler.sa_mask)
            sigaction(signal, &handler, nil)
            sigaddset(&mask, signal)
        }
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
    }

    private func startOnce() {
        let first = started.withLock { started in
            defer { started = true }
            return !started
        }
        guard first else { return }
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { return }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        relayPipe = ends[1]
        let reader = ends[0]
        Threads.spawn(name: "atom-signal-relay") { [self] in
            var byte: UInt8 = 0
            while true {
                let n = read(reader, &byte, 1)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                let signal = Int32(byte)
                for entry in actions.withLock({ $0 }) where entry.signals.contains(signal) {
                    entry.action(signal)
                }
            }
        }
    }
}
