import AtomBase
import Glibc
import Synchronization

/// Follows the files of one input: finds them, reads what is appended, notices rotation,
/// truncation and deletion, hands complete lines to a consumer, and checkpoints each file as far as
/// its events are acknowledged.
///
/// `run` owns the file table and runs on one thread; `acknowledge` may be called from any thread.
public final class Tailer: @unchecked Sendable {
    // Safe: `files`, `rows` and the framing state are touched only by the thread inside `run`
    // (and by `commit` from that thread, or after `run` returned); progress objects only under
    // `progressLock`; `stopping` is atomic.
    public let options: TailOptions
    let store: CheckpointStore
    let logger: Logger
    let discovery: Discovery
    let watcher = DirectoryWatcher()
    let framer: LineFramer
    let work: UnsafeMutablePointer<UInt8>
    let workCapacity: Int

    struct FileKey: Hashable { var device: UInt64; var inode: UInt64 }
    var files: [FileKey: TailedFile] = [:]
    var rows: [String: Checkpoint] = [:]
    let progressLock = ConditionLock()
    var progresses: [UInt32: Progress] = [:]
    var progressByKey: [String: Progress] = [:]
    var nextProgressID: UInt32 = 1
    var firstDiscovery = true
    var reportedNulBytes = 0
    var reportedProblems = Set<String>()
    private let stopping = Atomic<Bool>(false)
    var lastDiscovery: UInt64 = 0
    private var lastCommit: UInt64 = 0

    /// Problems that made a file unreadable or an archive broken (for the `--once` exit status).
    public private(set) var failures: [String] = []
    let counters = TailCounters()

    /// Creates the tailer and loads the input's checkpoints.
    public init(options: TailOptions, store: CheckpointStore, logger: Logger) throws(CheckpointError) {
        self.options = options
        self.store = store
        self.logger = logger
        discovery = Discovery(patterns: options.paths.map { Path.absolute($0) }, excludes: options.exclude)
        framer = LineFramer(maxLineBytes: options.maxLineBytes)
        workCapacity = framer.maxLineBytes + 1 + options.readBufferBytes
        work = .allocate(capacity: workCapacity)
        for row in try store.load(input: options.input) { rows[row.key] = row }
    }

    deinit { work.deallocate() }

    /// Asks `run` to return after the current pass (any thread).
    public func stop() {
        stopping.store(true, ordering: .releasing)
        watcher.wake()
    }

    var isStopping: Bool { stopping.load(ordering: .relaxed) }

    /// Records that `count` events made from the chunk with `token` are settled (any thread).
    public func acknowledge(token: UInt64, count: Int) {
        let (id, sequence) = Progress.split(token)
        progressLock.withLock { progresses[id]?.acknowledge(sequence, count: count) }
        if options.commitInterval == 0 { watcher.wake() }
    }

    /// Reads until `stop()`; with `once`, reads what exists (last unterminated lines included)
    /// and returns. Checkpoints are committed as they settle; call `commit()` after the last
    /// acknowledgement for the final state.
    public func run(consumer: any LineConsumer, once: Bool) {
        for directory in discovery.watchDirectories { watcher.watch(directory) }
        discover()
        var busyBefore = true
        while !stopping.load(ordering: .acquiring) {
            var gotData = false
            var waiting = false
            var blocked = false
            for file in Array(files.values) where file.isOpen {
                switch read(file, consumer: consumer, once: once) {
                case .data: gotData = true
                case .waiting: waiting = true
                case .blocked: blocked = true
                case .idle: break
                }
            }
            if blocked {
                // Delivery is behind: wait for room a little at a time, keeping files found and
                // held meanwhile. Not caught up, so partial batches are not flushed.
                if !consumer.waitForRoom(timeout: 0.05) && !once { discoverIfDue() }
                commitIfDue()
                busyBefore = true
                continue
            }
            closeFinished(consumer: consumer, once: once)
            if !gotData && busyBefore { consumer.caughtUp() }
            busyBefore = gotData
            commitIfDue()
            if once && !gotData && !waiting {
                flushTails(consumer: consumer)
                consumer.caughtUp()
                break
            }
            let now = Clock.nanos()
            let rescanDue = now &- lastDiscovery >= UInt64(options.rescanInterval * 1e9)
            if rescanDue && !once {
                discover()
                continue
            }
            let timeout: Int32 = gotData ? 0 : (once ? 50 : 250)
            let changes = watcher.wait(timeoutMillis: timeout)
            if changes.overflow { logger.warning("inotify queue overflowed; rescanning", ["input": options.input]) }
            if (changes.structure || changes.overflow) && !once { discover() }
        }
    }

    /// Writes every changed checkpoint now, in one transaction.
    public func commit() {
        var updates: [Checkpoint] = []
        var removed: [(input: String, key: String)] = []
        let now = Clock.unixTime()
        progressLock.withLock {
            for progress in progresses.values where progress.dirty || !progress.retiredKeys.isEmpty {
                for key in progress.retiredKeys { removed.append((options.input, key)) }
                progress.retiredKeys.removeAll()
                progress.dirty = false
                guard progressByKey[progress.key] === progress else { continue }
                updates.append(Checkpoint(
                    input: options.input, key: progress.key, fingerprint: progress.fingerprint.hex,
                    fingerprintLength: progress.fingerprint.length, device: progress.device,
                    inode: progress.inode, path: progress.path, offset: progress.settled, updated: now))
            }
        }
        do {
            try store.commit(updates, removing: removed)
            for row in updates { rows[row.key] = row }
            for (_, key) in removed where progressByKey[key] == nil { rows[key] = nil }
            if !updates.isEmpty { counters.commits.add(1, ordering: .relaxed) }
        } catch {
            logger.error("checkpoint commit failed; will retry", ["input": options.input, "error": error.description])
            progressLock.withLock {
                for row in updates { progressByKey[row.key]?.dirty = true }
            }
        }
        forgetSettled()
    }

    /// Whether every event handed out so far has been acknowledged.
    public var isSettled: Bool {
        progressLock.withLock { progresses.values.allSatisfy { $0.isIdle } }
    }

    /// Offsets as they stand (for status and tests): path → settled offset, for attached files.
    public func settledOffsets() -> [String: Int64] {
        progressLock.withLock {
            var result: [String: Int64] = [:]
            for progress in progresses.values { result[progress.path] = progress.settled }
            return result
        }
    }

    /// Runs discovery between chunks when inotify saw files appear or move, or the rescan is due.
    func discoverIfDue() {
        let changes = watcher.wait(timeoutMillis: 0)
        let rescanDue = Clock.nanos() &- lastDiscovery >= UInt64(options.rescanInterval * 1e9)
        if changes.structure || changes.overflow || rescanDue { discover() }
    }

    private func commitIfDue() {
        let now = Clock.nanos()
        if options.commitInterval == 0 || now &- lastCommit >= UInt64(options.commitInterval * 1e9) {
            lastCommit = now
            commit()
        }
    }

    /// Drops progress objects whose file is gone and whose every chunk is settled and committed.
    private func forgetSettled() {
        progressLock.withLock {
            for (id, progress) in progresses where progress.detached && progress.isIdle && !progress.dirty {
                progresses[id] = nil
                if progressByKey[progress.key] === progress { progressByKey[progress.key] = nil }
            }
        }
    }

    /// Logs a problem with a file once (until it changes), and counts it as a failure.
    func report(_ message: String, path: String, error: String, failure: Bool = true,
                level: LogLevel = .error) {
        let key = "\(path)\u{0}\(error)"
        guard reportedProblems.insert(key).inserted else { return }
        logger.log(level, message, ["input": options.input, "path": path, "error": error])
        if failure { failures.append("\(path): \(message): \(error)") }
    }
}

/// Counters a tailer keeps for status and summaries.
public final class TailCounters: Sendable {
    public let lines = Atomic<Int>(0)
    public let bytes = Atomic<Int>(0)
    public let filesOpened = Atomic<Int>(0)
    public let truncatedLines = Atomic<Int>(0)
    public let nulBytes = Atomic<Int>(0)
    public let commits = Atomic<Int>(0)
}

extension Tailer {
    /// Lines, bytes and files so far.
    public var linesRead: Int { counters.lines.load(ordering: .relaxed) }
    public var bytesRead: Int { counters.bytes.load(ordering: .relaxed) }
    public var filesOpened: Int { counters.filesOpened.load(ordering: .relaxed) }
    public var linesCut: Int { counters.truncatedLines.load(ordering: .relaxed) }
}
