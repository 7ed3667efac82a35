import CSystem
import Glibc

/// Dedicated OS threads for blocking work (file reads, HTTP, sleeps), kept off Swift
/// concurrency's cooperative pool.
public enum Threads {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts a detached thread running `body`; `name` shows in `top -H` (15 bytes at most).
    public static func spawn(name: String, _ body: @escaping @Sendable () -> Void) {
        let threadName = String(name.prefix(15))
        let box = Unmanaged.passRetained(Box({
            _ = atom_set_thread_name(threadName)
            body()
        })).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed with \(rc)")
        pthread_detach(thread)
    }
}

/// A one-shot completion that one thread waits for and another signals.
public final class Completion: @unchecked Sendable {
    // Safe: `done` is only read and written under `lock`.
    private let lock = ConditionLock()
    private var done = false

    public init() {}

    public func signal() {
        lock.withLock { done = true }
        lock.broadcast()
    }

    public var isDone: Bool { lock.withLock { done } }

    /// Waits for the signal; returns false when `timeoutNanos` passes first.
    @discardableResult
    public func wait(timeoutNanos: UInt64? = nil) -> Bool {
        let deadline = timeoutNanos.map { Clock.nanos() &+ $0 }
        lock.lock()
        defer { lock.unlock() }
        while !done {
            if let deadline {
                if !lock.wait(untilNanos: deadline) && !done { return false }
            } else {
                lock.wait()
            }
        }
        return true
    }
}
