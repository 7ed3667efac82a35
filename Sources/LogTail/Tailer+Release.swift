import AtomBase
import Glibc

extension Tailer {
    /// Releases rotated-away and deleted files that are read to their end and have been quiet for
    /// `rotateIdle` (at once in a `--once` run), emitting their last unterminated line first; then
    /// applies the `rotatedMaxBytes` and `rotatedMaxAge` limits to the rest.
    func releaseFinished(consumer: any LineConsumer, once: Bool) {
        guard !attention.isEmpty else { return }
        let now = Clock.nanos()
        var held: [(file: TailedFile, unread: Int64, since: UInt64)] = []
        for key in Array(attention) {
            guard let file = files[key] else {
                attention.remove(key)
                continue
            }
            guard case .rotated(let since) = file.state else { continue }
            guard file.isOpen, let st = try? Sys.fstat(file.fd, path: file.path) else {
                if !file.isOpen && openDescriptor(file) == .gone { forget(file) }
                continue
            }
            let unread = unreadBytes(file, st)
            let quiet = now &- max(since, file.lastData) >= UInt64(options.rotateIdle * 1e9)
            if unread <= 0 && (once || quiet) {
                flushTail(file, consumer: consumer)
                offerHeld(file, consumer: consumer, release: true)
                if st.links == 0 {
                    logger.info("file deleted; read to its end and released",
                                ["input": options.input, "path": file.path])
                } else {
                    logger.info("rotated file idle; released", ["input": options.input, "path": file.path])
                }
                releaseProgress(file)
                forget(file)
            } else if unread > 0 {
                held.append((file, unread, since))
            }
        }
        applyRotatedLimits(held, now: now, consumer: consumer)
    }

    /// Bytes of a rotated file not read yet (compressed bytes for an archive).
    private func unreadBytes(_ file: TailedFile, _ st: FileStat) -> Int64 {
        if file.kind == .gzip {
            guard let reader = file.gzip else { return 0 }
            let consumed = file.prefetch?.compressedOffset ?? reader.compressedOffset
            return max(0, st.size - max(0, consumed))
        }
        return max(0, st.size - file.readOffset)
    }

    /// Gives up the oldest rotated files beyond the configured total of unread bytes, and those
    /// rotated longer ago than the configured age; each with a warning and counted.
    private func applyRotatedLimits(_ held: [(file: TailedFile, unread: Int64, since: UInt64)], now: UInt64,
                                    consumer: any LineConsumer) {
        guard options.rotatedMaxBytes > 0 || options.rotatedMaxAge > 0, !held.isEmpty else { return }
        var total = held.reduce(Int64(0)) { $0 + $1.unread }
        for entry in held.sorted(by: { $0.since < $1.since }) {
            let old = options.rotatedMaxAge > 0 && now &- entry.since >= UInt64(options.rotatedMaxAge * 1e9)
            let over = options.rotatedMaxBytes > 0 && total > options.rotatedMaxBytes
            guard old || over else { continue }
            total -= entry.unread
            offerHeld(entry.file, consumer: consumer, release: true)
            giveUp(entry.file, unread: entry.unread, reason: old ? "rotatedMaxAgeMs" : "rotatedMaxBytes")
        }
    }

    /// Releases a rotated file before its end: what was not read (and a partial last line) is
    /// given up, logged and counted.
    private func giveUp(_ file: TailedFile, unread: Int64, reason: String) {
        let lost = Int(unread) + file.framing.carry.count
        counters.bytesGivenUp.add(lost, ordering: .relaxed)
        logger.warning("rotated file released before it was read to its end; its unread bytes are given up",
                       ["input": options.input, "path": file.path, "unreadBytes": String(lost),
                        "offset": String(file.readOffset), "limit": reason])
        file.framing.reset(to: file.readOffset)
        releaseProgress(file)
        forget(file)
    }

    /// A released short file's progress may be continued by a copy of it (compression).
    private func releaseProgress(_ file: TailedFile) {
        guard let progress = file.progress else { return }
        progressLock.withLock {
            progress.detached = true
            if progress.fingerprint.length < options.fingerprintBytes { addShortOrphan(progress) }
        }
    }
}
