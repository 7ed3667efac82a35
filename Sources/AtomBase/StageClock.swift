import Glibc
import Synchronization

/// Per-stage CPU time of the pipeline, for finding the next bottleneck without a profiler.
///
/// Off by default; `atom-shipper run --stage-times` turns it on. Stages add thread CPU time per
/// read or per batch (never per line), except parse and encode, which are timed on every 32nd line
/// with the monotonic clock and scaled up, so that turning it on costs little.
public final class StageClock: Sendable {
    public enum Stage: Int, CaseIterable, Sendable {
        case read, split, parse, encode, batch, send

        public var name: String {
            switch self {
            case .read: "read"
            case .split: "split"
            case .parse: "parse"
            case .encode: "encode"
            case .batch: "batch"
            case .send: "send"
            }
        }
    }

    public static let shared = StageClock()

    private let on = Atomic<Bool>(false)
    private let totals = Mutex<[UInt64]>(Array(repeating: 0, count: Stage.allCases.count))

    public var enabled: Bool { on.load(ordering: .relaxed) }

    public func enable() { on.store(true, ordering: .relaxed) }

    /// Adds `nanos` of CPU time to `stage`.
    public func add(_ stage: Stage, nanos: UInt64) {
        totals.withLock { $0[stage.rawValue] &+= nanos }
    }

    /// Seconds per stage so far.
    public var seconds: [(Stage, Double)] {
        let values = totals.withLock { $0 }
        return Stage.allCases.map { ($0, Double(values[$0.rawValue]) / 1e9) }
    }

    /// CPU time of the calling thread in nanoseconds (CLOCK_THREAD_CPUTIME_ID).
    @inline(__always)
    public static func threadNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
