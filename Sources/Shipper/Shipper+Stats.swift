import AtomBase
import Glibc
import LogTail

/// What the running shipper shows of itself: a snapshot in the checkpoint database for
/// `atom-shipper status`, and a Prometheus text-format metrics file, both refreshed every few
/// seconds.
extension Shipper {
    /// Everything `status` and the metrics file show, taken at one moment.
    struct Snapshot {
        struct Input {
            var name: String
            var filesOpen = 0
            var filesOpened = 0
            var lines = 0
            var bytes = 0
            var events = 0
            var dropped = 0
            var parseFailures = 0
            var commits = 0
            var lag: Int64 = 0
            /// Bytes of rotated files released unread under `rotatedMaxBytes`/`rotatedMaxAgeMs`.
            var bytesGivenUp = 0
        }

        var time: Double
        /// Every file held; nil when they are unchanged since the snapshot whose digest was given.
        var files: [FileStats]?
        /// The digest of the files' figures (`Tailer.fileStatsDigest` of every input).
        var filesDigest: Int
        var inputs: [Input]
        var streams: [(name: String, counts: StreamLedger.Counts, retried: Int)]
        var backlogEvents: Int
        var backlogBytes: Int
        var openDescriptors: Int
        var residentBytes: Int
    }

    /// Seconds between snapshots written to the database for `status`.
    static let statusInterval = 3.0

    /// Starts the thread that writes the snapshot (and the metrics file, when configured) every
    /// few seconds; signal the returned completion to stop it.
    func startSnapshots() -> Completion {
        let stop = Completion()
        let metricsInterval = config.metricsPath == nil ? Double.infinity : config.metricsInterval
        let tick = min(Self.statusInterval, metricsInterval)
        Threads.spawn(name: "stats-snapshot") { [self] in
            var lastStatus = Clock.nanos()
            // The file figures last written: with thousands of idle files held, an unchanged set is
            // neither built nor written again.
            var writtenDigest: Int?
            while !stop.wait(timeoutNanos: UInt64(tick * 1e9)) {
                let now = Clock.nanos()
                let figures = commitLock.withLock { snapshot(unchangedFrom: writtenDigest) }
                if Double(now &- lastStatus) / 1e9 >= Self.statusInterval - tick / 2 {
                    lastStatus = now
                    writeSnapshot(figures)
                    writtenDigest = figures.filesDigest
                }
                writeMetrics(figures)
            }
        }
        return stop
    }

    /// Takes the figures (with `commitLock` held, or before any input runs). With `unchangedFrom`,
    /// the digest of an earlier snapshot's files: if the files' figures still have it, `files` is
    /// nil (the metrics file, which needs them for the lag, always gets them).
    func snapshot(unchangedFrom earlier: Int? = nil) -> Snapshot {
        let all = retired + slots
        var hasher = Hasher()
        var counts: [Int] = []
        for slot in all {
            let (digest, count) = slot.tailer.fileStatsDigest()
            hasher.combine(digest)
            counts.append(count)
        }
        let digest = hasher.finalize()
        let needFiles = digest != earlier || config.metricsPath != nil
        var files: [FileStats] = []
        var inputs: [Snapshot.Input] = []
        for (index, slot) in all.enumerated() {
            let held = needFiles ? slot.tailer.fileStats() : []
            files += held
            var input = Snapshot.Input(name: slot.input.name)
            if let same = inputs.firstIndex(where: { $0.name == input.name }) { input = inputs.remove(at: same) }
            input.filesOpen += needFiles ? held.count : counts[index]
            input.filesOpened += slot.tailer.filesOpened
            input.lines += slot.tailer.linesRead
            input.bytes += slot.tailer.bytesRead
            input.events += slot.pipeline.counters.events.load(ordering: .relaxed)
            input.dropped += slot.pipeline.counters.dropped.load(ordering: .relaxed)
            input.parseFailures += slot.pipeline.counters.parseFailures.load(ordering: .relaxed)
            input.commits += slot.tailer.commits
            input.bytesGivenUp += slot.tailer.bytesGivenUp
            // The lag needs each file's size: only the metrics file shows it (`status` takes the
            // sizes itself), and a stat per file every few seconds is not free with thousands held.
            for file in held where config.metricsPath != nil {
                if let size = try? Sys.stat(path: file.path).size, !file.path.hasSuffix(".gz") {
                    input.lag += max(0, size - file.settled)
                }
            }
            inputs.append(input)
        }
        let retries = tracker.retriesByStream
        let streams = self.streams.counts.withLock { counts in
            counts.keys.sorted().map { name in
                (name: name, counts: counts[name] ?? StreamLedger.Counts(), retried: retries[name] ?? 0)
            }
        }
        let backlog = tracker.backlog
        return Snapshot(time: Clock.unixTime(), files: needFiles ? files : nil, filesDigest: digest,
                        inputs: inputs.sorted { $0.name < $1.name },
                        streams: streams, backlogEvents: backlog.events, backlogBytes: backlog.bytes,
                        openDescriptors: ProcessFigures.openDescriptors(),
                        residentBytes: ProcessFigures.residentBytes())
    }

    /// The snapshot into the database, for `atom-shipper status`.
    func writeSnapshot(_ figures: Snapshot) {
        let rows = figures.streams.map { stream in
            CheckpointStore.StreamStats(
                stream: stream.name, delivered: stream.counts.delivered, deadLettered: stream.counts.deadLettered,
                batches: stream.counts.batches, backlog: stream.counts.backlog, retried: stream.retried,
                updated: figures.time)
        }
        do {
            try store.writeSnapshot(streams: rows, files: figures.files, time: figures.time)
        } catch {
            logger.warning("could not write the status snapshot", ["path": store.path, "error": error.message])
        }
    }

    /// The metrics file, written through a temporary file and a rename (when configured).
    func writeMetrics(_ figures: Snapshot) {
        guard let path = config.metricsPath else { return }
        do {
            try Sys.writeFileAtomically(path, Array(MetricsText.render(figures).utf8))
        } catch {
            logger.warning("could not write the metrics file", ["path": path, "error": error.message])
        }
    }
}

/// Figures about this process from /proc.
enum ProcessFigures {
    /// Entries in /proc/self/fd (the directory's own descriptor not counted).
    static func openDescriptors() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let first = withUnsafeBytes(of: entry.pointee.d_name) { $0.first ?? 0 }
            if first != UInt8(ascii: ".") { count += 1 }
        }
        return max(0, count - 1)
    }

    /// Resident set size from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let bytes = try? Sys.readFile("/proc/self/statm") else { return 0 }
        let fields = String(decoding: bytes, as: UTF8.self).split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
