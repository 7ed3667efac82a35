import AtomBase
import Glibc
import Synchronization

/// Follows the files of one input: finds them, reads what is appended, notices rotation,
/// truncation and deletion, hands complete lines to a consumer, and checkpoints each file as far as
/// its events are acknowledged.
///
/// Work is driven by events: inotify names the files that were written and the names that
/// appeared, moved or vanished, and only those are looked at; an idle file costs nothing. Files to
/// read wait in one queue served in turn, each up to `readBudgetBytes` per turn, so that a large
/// backfill does not starve a live file. At most `maxOpenFiles` descriptors are open; idle files
/// beyond that are closed and opened again when they change.
///
/// `run` owns the file table and runs on one thread; `acknowledge` may be called from any thread.
public final class Tailer: @unchecked Sendable {
    // Safe: `files`, the queues, `rows` and the framing state are touched only by the thread inside
    // `run` (and by `commit` from that thread, or after `run` returned); progress objects only
    // under `progressLock`; `stopping` is atomic.
    public let options: TailOptions
    let store: CheckpointStore
    let logger: Logger
    let discovery: Discovery
    let watcher = FileWatcher()
    let framer: LineFramer
    let work: UnsafeMutablePointer<UInt8>
    let workCapacity: Int
    /// Latin-1 lines converted to UTF-8 (only with `encoding: latin-1`).
    let converted: ByteBuffer?
    let rate: RateLimiter?

    struct FileKey: Hashable { var device: UInt64; var inode: UInt64 }
    var files: [FileKey: TailedFile] = [:]
    /// The tracked file each matching path leads to.
    var byPath: [String: FileKey] = [:]
    var byWatch: [Int32: FileKey] = [:]
    /// Files to read, in turn.
    var queue = FileQueue()
    /// Files looked at on every pass: rotated away, a partial line waiting for its timeout, not
    /// identifiable yet, an archive still being written, waiting for a descriptor, or polled.
    var attention = Set<FileKey>()
    /// The files with a descriptor open (at most `maxOpenFiles`).
    var openFiles: [FileKey: TailedFile] = [:]
    /// The file being read now (never closed to make room).
    var reading: TailedFile?
    /// A folder or file could not be watched: poll every `pollInterval` as well.
    var degraded = false
    var rows: [String: Checkpoint] = [:]
    /// Devices and inodes the checkpoints name (a file older than `ignoreOlderThan` with a
    /// checkpoint is still read).
    var checkpointedInodes = Set<FileKey>()
    let progressLock = ConditionLock()
    var progresses: [UInt32: Progress] = [:]
    var progressByKey: [String: Progress] = [:]
    /// Short files whose content went away (truncated, rewritten), by fingerprint: a copy of one
    /// that appears (copytruncate) continues its progress instead of being read again.
    var shortOrphans: [Progress] = []
    /// Attached progresses of short files, by fingerprint (`hex/length`), to find a copy's original.
    var shortProgress: [String: Progress] = [:]
    /// Checkpoints of short files as loaded, by fingerprint, to find a copy made while stopped.
    var shortRows: [String: Checkpoint] = [:]
    var nextProgressID: UInt32 = 1
    var firstDiscovery = true
    var reportedNulBytes = 0
    var reportedProblems = Set<String>()
    private let stopping = Atomic<Bool>(false)
    var lastDiscovery: UInt64 = 0
    /// Lines were handed to the consumer since it was last told that every file is read to its end.
    var owesCaughtUp = false
    private var lastCommit: UInt64 = 0

    /// Problems that made a file unreadable or an archive broken (for the `--once` exit status).
    public private(set) var failures: [String] = []
    public let counters = TailCounters()

    /// Creates the tailer and loads the input's checkpoints.
    public init(options: TailOptions, store: CheckpointStore, logger: Logger) throws(CheckpointError) {
        self.options = options
        self.store = store
        self.logger = logger
        discovery = Discovery(patterns: options.paths.map { Path.absolute($0) }, excludes: options.exclude)
        framer = LineFramer(maxLineBytes: options.maxLineBytes)
        workCapacity = framer.maxLineBytes + 1 + options.readBufferBytes
        work = .allocate(capacity: workCapacity)
        converted = options.encoding == .latin1 ? ByteBuffer(capacity: 2 * workCapacity) : nil
        rate = options.maxReadBytesPerSecond > 0 ? RateLimiter(bytesPerSecond: options.maxReadBytesPerSecond) : nil
        for row in try store.load(input: options.input) {
            rows[row.key] = row
            checkpointedInodes.insert(FileKey(device: row.device, inode: row.inode))
            if row.fingerprintLength < options.fingerprintBytes && row.key.contains(":") {
                shortRows["\(row.fingerprint)/\(row.fingerprintLength)"] = row
            }
        }
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
        // A --once run reads what exists and needs no change notices: without inotify, every open
        // file is looked at on each pass instead.
        if !once && !watcher.start() {
            logger.warning("inotify is not available; polling the input's files",
                           ["input": options.input, "intervalMs": String(Int(options.pollInterval * 1000))])
        }
        discover()
        owesCaughtUp = true
        while !stopping.load(ordering: .acquiring) {
            let pass = readPass(consumer: consumer, once: once)
            if pass.blocked || pass.throttled {
                // Delivery is behind, or the rate cap is reached: wait a little at a time, keeping
                // files found and held meanwhile. Not caught up, so partial batches are not flushed.
                if pass.blocked {
                    if !consumer.waitForRoom(timeout: 0.05) { handle(watcher.wait(timeoutMillis: 0), once: once) }
                } else {
                    let millis = Int32(min(50, max(1, (rate?.secondsUntilAvailable() ?? 0) * 1000)))
                    handle(watcher.wait(timeoutMillis: millis), once: once)
                }
                releaseFinished(consumer: consumer, once: once)
                commitIfDue()
                continue
            }
            releaseFinished(consumer: consumer, once: once)
            // Asked before each read, the consumer also does work it put off (a caught-up flush
            // deferred while the tracker's workers were busy): ask on idle passes too, as idle files
            // are not read.
            if !pass.gotData { _ = consumer.hasRoom() }
            if !pass.gotData && owesCaughtUp {
                // Lines went out since the consumer last heard that the files are read to their
                // end (a pass with data, or a partial line flushed on its own): tell it again.
                owesCaughtUp = false
                consumer.caughtUp()
            }
            commitIfDue()
            if once && !pass.gotData && !pass.waiting && queue.isEmpty {
                flushTails(consumer: consumer)
                consumer.caughtUp()
                break
            }
            let now = Clock.nanos()
            if !once && now &- lastDiscovery >= UInt64(rescanInterval * 1e9) {
                discover()
                if degraded || !watcher.isActive { markAllChanged() }
                continue
            }
            let timeout: Int32 = pass.gotData || !queue.isEmpty ? 0 : (once ? 50 : 250)
            handle(watcher.wait(timeoutMillis: timeout), once: once)
        }
    }

    /// The full rescan's interval: `rescanInterval`, or `pollInterval` when inotify cannot
    /// report every change.
    var rescanInterval: Double {
        degraded || !watcher.isActive ? min(options.rescanInterval, options.pollInterval) : options.rescanInterval
    }

    struct PassResult {
        var gotData = false
        var waiting = false
        var blocked = false
        var throttled = false
    }

    /// One turn for each queued file (and every file needing attention): each reads up to its
    /// budget; one with more to read goes to the back of the queue.
    private func readPass(consumer: any LineConsumer, once: Bool) -> PassResult {
        for key in attention { if let file = files[key] { enqueue(file) } }
        var result = PassResult()
        var turns = queue.count
        while turns > 0, !isStopping, let key = queue.pop() {
            turns -= 1
            guard let file = files[key] else { continue }
            file.queued = false
            let outcome = read(file, consumer: consumer, once: once)
            switch outcome {
            case .data: result.gotData = true
            case .more:
                result.gotData = true
                enqueue(file)
            case .waiting: result.waiting = true
            case .blocked:
                enqueue(file)
                result.blocked = true
            case .throttled:
                enqueue(file)
                result.throttled = true
            case .idle, .retry: break
            }
            updateAttention(file, retry: outcome == .retry || outcome == .waiting)
            if result.blocked || result.throttled { break }
        }
        return result
    }

    /// Puts `file` at the back of the read queue unless it is there already.
    func enqueue(_ file: TailedFile) {
        guard !file.queued, file.state != .done else { return }
        file.queued = true
        queue.push(FileKey(device: file.device, inode: file.inode))
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
            for (id, progress) in progresses where progress.detached && progress.isIdle && !progress.dirty
                && !shortOrphans.contains(where: { $0 === progress }) {
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
    /// Descriptors open now, and the most ever open at once.
    public let openFiles = Atomic<Int>(0)
    public let peakOpenFiles = Atomic<Int>(0)
    /// Unread bytes of rotated files released by the `rotatedMaxBytes`/`rotatedMaxAge` policy.
    public let bytesGivenUp = Atomic<Int>(0)
    /// Times the kernel's inotify queue overflowed (each followed by a full rescan).
    public let overflows = Atomic<Int>(0)
}

extension Tailer {
    /// Lines, bytes and files so far.
    public var linesRead: Int { counters.lines.load(ordering: .relaxed) }
    public var bytesRead: Int { counters.bytes.load(ordering: .relaxed) }
    public var filesOpened: Int { counters.filesOpened.load(ordering: .relaxed) }
    public var linesCut: Int { counters.truncatedLines.load(ordering: .relaxed) }
    public var bytesGivenUp: Int { counters.bytesGivenUp.load(ordering: .relaxed) }
}

/// A first-in first-out queue of file keys that reuses its storage.
struct FileQueue {
    private var items: [Tailer.FileKey] = []
    private var head = 0

    var count: Int { items.count - head }
    var isEmpty: Bool { head == items.count }

    mutating func push(_ key: Tailer.FileKey) { items.append(key) }

    mutating func pop() -> Tailer.FileKey? {
        guard head < items.count else { return nil }
        let key = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return key
    }
}
