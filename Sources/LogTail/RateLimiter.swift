import AtomBase

/// A token bucket over bytes: `bytesPerSecond` accrue continuously, up to one second's worth, and
/// each read spends what it read. A read waits until at least `chunk` bytes (a tenth of a
/// second's worth, at most 64 KiB) are available, so that a low cap does not turn into reads of
/// a few bytes; over any stretch of time the input reads at most the cap plus one second's worth.
final class RateLimiter {
    let bytesPerSecond: Int
    private let chunk: Int
    private var balance: Double
    private var updated: UInt64

    init(bytesPerSecond: Int) {
        self.bytesPerSecond = max(1, bytesPerSecond)
        chunk = max(1, min(64 * 1024, self.bytesPerSecond / 10))
        balance = Double(chunk)
        updated = Clock.nanos()
    }

    private func refill() {
        let now = Clock.nanos()
        let seconds = Double(now &- updated) / 1e9
        updated = now
        balance = min(Double(bytesPerSecond), balance + seconds * Double(bytesPerSecond))
    }

    /// How many bytes may be read now, at most `limit`; 0 means wait.
    func allowance(limit: Int) -> Int {
        refill()
        guard balance >= Double(min(limit, chunk)) else { return 0 }
        return min(limit, Int(balance))
    }

    func spend(_ bytes: Int) { balance -= Double(bytes) }

    /// Seconds until a read may go ahead.
    func secondsUntilAvailable() -> Double {
        refill()
        let missing = Double(chunk) - balance
        return missing <= 0 ? 0 : missing / Double(bytesPerSecond)
    }
}
