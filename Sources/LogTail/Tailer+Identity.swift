import AtomBase
import Glibc

extension Tailer {
    enum Identification {
        case attached
        /// Empty: not identifiable until it changes.
        case notYet
        /// Tried again on the next pass: a one-byte file, the same head as an open file, or a
        /// short file that may be a copy of another.
        case retry
        /// An archive still being written: a `--once` run waits for it (up to `gzipSettle`).
        case waiting
        case failed
    }

    /// What identification decided, under the progress lock.
    private enum Decision {
        case attach(Progress, resumeAt: Int64, restored: Bool)
        case sameAs(String)
        case retry
    }

    /// Works out which file this is (by its head's fingerprint, or device and inode for a short file),
    /// attaches the progress it continues, and positions the reader.
    func identify(_ file: TailedFile, fresh: Bool, once: Bool) -> Identification {
        guard let st = try? Sys.fstat(file.fd, path: file.path) else { return .waiting }
        if file.kind == .undecided {
            if st.size == 0 { return .notYet }
            if st.size == 1 && wallSeconds() - Double(st.modifiedNanos) / 1e9 <= 1 { return .retry }
            file.kind = HeadReader.isGzip(fd: file.fd, path: file.path) ? .gzip : .plain
        }
        let head = HeadReader.read(fd: file.fd, path: file.path, gzip: file.kind == .gzip,
                                   limit: options.fingerprintBytes)
        if let corrupt = head.corrupt, head.bytes.isEmpty {
            report("gzip archive is corrupt", path: file.path, error: corrupt)
            file.state = .done
            return .failed
        }
        if head.incomplete && head.bytes.count < options.fingerprintBytes && isRecent(st) {
            return .waiting  // an archive still being written
        }
        let fingerprint = head.bytes.withUnsafeBytes { Fingerprint.of($0) }
        let full = fingerprint.length >= options.fingerprintBytes
        let decision = progressLock.withLock {
            decide(file, head: head.bytes, fingerprint: fingerprint, full: full, fresh: fresh, once: once, st: st)
        }
        switch decision {
        case .sameAs(let other):
            // Normal for a moment during copytruncate and compression (a copy of an open file). Past
            // rotateIdle (logrotate truncates right after copying), or in a --once run, these are
            // different files whose first fingerprintBytes match: say so, naming the key to raise.
            let shared = "same first \(head.bytes.count) bytes as \(other)"
            let waited = Double(Clock.nanos() &- file.trackedAt) / 1e9
            if once || waited >= options.rotateIdle {
                report("file not read: it starts with the same bytes as a file being read; if they are "
                       + "different files, raise fingerprintBytes above \(head.bytes.count)",
                       path: file.path, error: shared, failure: once, level: once ? .error : .warning)
                if once {
                    file.state = .done
                    return .failed
                }
                return .retry
            }
            report("file has the same first bytes as an open file; waiting until that one is released",
                   path: file.path, error: shared, failure: false, level: .debug)
            return .retry
        case .retry:
            return .retry
        case .attach(let progress, let resumeAt, let restored):
            file.progress = progress
            if !full { shortProgress[fingerprint.description] = progress }
            position(file, at: resumeAt, size: st.size)
            let fields: KeyValuePairs<String, String> = [
                "input": options.input, "path": file.path, "offset": String(file.readOffset),
                "identity": progress.fingerprint.description, "gzip": String(file.kind == .gzip),
            ]
            logger.info(restored ? "file opened; checkpoint restored" : "file opened", fields)
            return .attached
        }
    }

    /// The identification proper (progress lock held): an open file with the same content, a
    /// checkpoint, a short file's earlier copy, or a new progress.
    private func decide(_ file: TailedFile, head: [UInt8], fingerprint: Fingerprint, full: Bool, fresh: Bool,
                        once: Bool, st: FileStat) -> Decision {
        let key = full ? fingerprint.hex : file.identityKey
        if !fresh, let existing = progressByKey[key] {
            if !existing.detached { return .sameAs(existing.path) }
            if full || prefixMatches(existing.fingerprint, head: head) {
                return .attach(reattach(existing, to: file, key: key), resumeAt: existing.readTo, restored: true)
            }
        }
        var resumeAt: Int64 = 0
        var restored = false
        var markDirty = false
        var retire: String?
        if !fresh, let row = rows[key], full || prefixMatches(row.fingerprint, row.fingerprintLength, head: head) {
            resumeAt = row.offset
            restored = true
        } else if !fresh, full, let row = rows[file.identityKey],
                  prefixMatches(row.fingerprint, row.fingerprintLength, head: head) {
            // A short file that grew past fingerprintBytes while the shipper was stopped.
            resumeAt = row.offset
            restored = true
            retire = file.identityKey
        } else if !fresh && !full {
            switch shortCopy(of: file, head: head, fingerprint: fingerprint, once: once) {
            case .none: break
            case .wait: return .retry
            case .progress(let orphan):
                logger.info("file holds what another file held, which was read; continuing where that one was read to",
                            ["input": options.input, "path": file.path, "from": orphan.path])
                let previousKey = orphan.key
                let progress = reattach(orphan, to: file, key: key)
                if progressByKey[previousKey] == nil { progress.retiredKeys.append(previousKey) }
                progress.dirty = true
                return .attach(progress, resumeAt: progress.readTo, restored: true)
            case .row(let row):
                logger.info("file holds what another file held, which was read; continuing where that one was read to",
                            ["input": options.input, "path": file.path, "from": row.path])
                resumeAt = row.offset
                restored = true
                markDirty = true
                if progressByKey[row.key] == nil { retire = row.key }
                shortRows[fingerprint.description] = nil
            }
        }
        if !restored && !fresh, file.kind == .plain, let start = file.startOffset {
            resumeAt = start
            markDirty = true  // commit the skip, or a restart would skip again past new lines
        }
        guard progresses.count < Int(Progress.maxID) - 1 else {
            // Every token id is taken: this file waits until another is released.
            return .retry
        }
        let progress = Progress(id: nextProgressID, key: key, fingerprint: fingerprint, device: file.device,
                                inode: file.inode, path: file.path, offset: resumeAt)
        advanceProgressID()
        if let previous = progressByKey[key], previous !== progress { previous.detached = true }
        progresses[progress.id] = progress
        progressByKey[key] = progress
        if markDirty { progress.dirty = true }
        if let retire { progress.retiredKeys.append(retire) }
        return .attach(progress, resumeAt: resumeAt, restored: restored)
    }

    /// Gives a detached progress to `file` under `key`. Lock held.
    private func reattach(_ progress: Progress, to file: TailedFile, key: String) -> Progress {
        if progressByKey[progress.key] === progress && progress.key != key { progressByKey[progress.key] = nil }
        shortOrphans.removeAll { $0 === progress }
        progress.detached = false
        progress.key = key
        progress.device = file.device
        progress.inode = file.inode
        progress.path = file.path
        progressByKey[key] = progress
        return progress
    }

    private enum ShortCopy {
        case none
        case wait
        case progress(Progress)
        case row(Checkpoint)
    }

    /// A short file may be a copy of another short file (copytruncate, or compression into a new
    /// file), whose content was read already: then it continues that file's progress.
    ///
    /// The original's content must be gone from it (truncated, rewritten, deleted): two files
    /// that merely hold the same few bytes are both read. A copy seen while its original still
    /// holds that content is waited for, for up to `rotateIdle` (logrotate truncates right after
    /// copying; gzip deletes right after compressing), or as long as the original is rotated away.
    /// Lock held.
    private func shortCopy(of file: TailedFile, head: [UInt8], fingerprint: Fingerprint, once: Bool) -> ShortCopy {
        for orphan in shortOrphans where orphan.key != file.identityKey
            && orphan.fingerprint.length <= head.count && prefixMatches(orphan.fingerprint, head: head) {
            return .progress(orphan)
        }
        if let twin = shortProgress[fingerprint.description], !twin.detached, twin.fingerprint == fingerprint,
           twin.key != file.identityKey {
            guard !once && !file.foundAtStart else { return .none }
            let original = files[FileKey(device: twin.device, inode: twin.inode)]
            if original?.isRotated == true { return .wait }
            return Clock.nanos() &- file.trackedAt < UInt64(options.rotateIdle * 1e9) ? .wait : .none
        }
        guard let row = shortRows[fingerprint.description], row.key != file.identityKey else { return .none }
        if let original = files[FileKey(device: row.device, inode: row.inode)] {
            if let progress = original.progress {
                // The original holds that content still: two files with the same bytes.
                if progress.fingerprint.hex == row.fingerprint { return .none }
            } else if original.lastSize > 0 && original.state != .done {
                return file.identifyAttempts < 5 ? .wait : .none
            }
        }
        return .row(row)
    }

    /// Archives larger than this (compressed bytes) are decompressed ahead on a thread of their own.
    static let prefetchThreshold: Int64 = 1 << 20

    /// Moves to the next progress id not in use (ids wrap after `Progress.maxID`). Lock held.
    private func advanceProgressID() {
        var tried: UInt32 = 0
        repeat {
            nextProgressID = nextProgressID >= Progress.maxID ? 1 : nextProgressID + 1
            tried += 1
        } while progresses[nextProgressID] != nil && tried < Progress.maxID
    }

    /// Sets the reader at `offset` (decompressing up to it for gzip).
    private func position(_ file: TailedFile, at offset: Int64, size: Int64) {
        var start = offset
        if file.kind == .plain && start > size {
            if (file.progress?.fingerprint.length ?? 0) >= options.fingerprintBytes {
                // Same content as far as the fingerprint goes, but shorter: a copy taken before its
                // original's last lines were written (copytruncate copies, then truncates, while the
                // writer goes on), or a file cut short. What it holds was read already.
                logger.info("file is shorter than what was read of it; reading on from its end",
                            ["input": options.input, "path": file.path, "offset": String(start),
                             "size": String(size)])
                start = size
            } else {
                logger.warning("checkpoint is past the end of the file; reading it from the start",
                               ["input": options.input, "path": file.path, "offset": String(start)])
                start = 0
            }
        }
        if file.kind == .gzip {
            let reader = GzipReader(fd: file.fd, path: file.path)
            file.gzip = reader
            if start > 0 {
                _ = reader.skip(start, scratch: work, scratchCapacity: workCapacity)
                start = reader.produced
            }
            if size > Self.prefetchThreshold { file.prefetch = GzipPrefetcher(reader: reader) }
        }
        file.readOffset = start
        file.framing.reset(to: start)
        file.tailMark.removeAll()
        if start > 0 && file.kind == .plain { file.tailMark = readMark(file, before: start) }
        if start != offset {
            progressLock.withLock { file.progress?.reset(to: start) }
        }
    }

    /// Checks a plain file against what was read: a size below the offset, a changed head, or
    /// changed bytes just before the offset mean it was truncated (copytruncate) or rewritten,
    /// and reading restarts at 0. A short file's identity grows with it. Returns false when the
    /// file cannot be read now.
    func checkPlainIdentity(_ file: TailedFile, _ st: FileStat, once: Bool, consumer: any LineConsumer) -> Bool {
        guard let progress = file.progress else { return false }
        let changed = st.size != file.lastSize || st.modifiedNanos != file.lastModified
        file.lastSize = st.size
        file.lastModified = st.modifiedNanos
        guard changed else { return true }
        var truncated = st.size < file.readOffset
        let known = progress.fingerprint
        if truncated && known.length >= options.fingerprintBytes && st.size >= Int64(known.length),
           prefixMatches(known, head: HeadReader.read(fd: file.fd, path: file.path, gzip: false,
                                                      limit: known.length).bytes) {
            return continueShrunk(file, st, progress: progress, once: once, consumer: consumer)
        }
        var head: [UInt8] = []
        if !truncated {
            let want = Int(min(st.size, Int64(options.fingerprintBytes)))
            head = HeadReader.read(fd: file.fd, path: file.path, gzip: false, limit: max(want, known.length)).bytes
            truncated = !prefixMatches(known, head: head) || tailRewritten(file)
        }
        if truncated {
            logger.info("file truncated; reading it from the start", ["input": options.input, "path": file.path,
                        "offset": String(file.readOffset), "size": String(st.size)])
            return restart(file, leaving: progress, at: 0, once: once, consumer: consumer)
        }
        if head.count > known.length {
            extendIdentity(file, progress: progress, head: head)
        }
        return true
    }

    /// A file cut shorter (`truncate -s`) whose first `fingerprintBytes` are unchanged: what it
    /// still holds was read already, so reading goes on from its new end.
    private func continueShrunk(_ file: TailedFile, _ st: FileStat, progress: Progress, once: Bool,
                                consumer: any LineConsumer) -> Bool {
        logger.info("file cut shorter, its first bytes unchanged; reading on from its new end",
                    ["input": options.input, "path": file.path, "offset": String(file.readOffset),
                     "size": String(st.size)])
        return restart(file, leaving: progress, at: st.size, once: once, consumer: consumer)
    }

    /// Gives the file a progress of its own from `offset` (the old one, detached, keeps settling what
    /// was sent before): held lines are offered first, and a short old progress is kept for a copy
    /// of its content. Returns false when the file cannot be identified now.
    private func restart(_ file: TailedFile, leaving progress: Progress, at offset: Int64, once: Bool,
                         consumer: any LineConsumer) -> Bool {
        offerHeld(file, consumer: consumer, release: true)
        progressLock.withLock {
            progress.detached = true
            if progress.fingerprint.length < options.fingerprintBytes { addShortOrphan(progress) }
        }
        file.progress = nil
        file.readOffset = 0
        file.framing.reset(to: 0)
        file.tailMark.removeAll()
        guard identify(file, fresh: true, once: once) == .attached else { return false }
        guard offset > 0, let fresh = file.progress else { return true }
        position(file, at: offset, size: offset)
        progressLock.withLock {
            fresh.reset(to: offset)
            fresh.dirty = true
        }
        return true
    }

    /// Keeps a detached short progress for a while, for a copy of its file to continue. Lock held.
    func addShortOrphan(_ progress: Progress) {
        shortOrphans.append(progress)
        if shortOrphans.count > 64 { shortOrphans.removeFirst() }
    }

    /// Whether the bytes just before the read offset are no longer the ones read there. A byte
    /// that is zero now does not count: a hole punched behind the reader (to give disk space
    /// back) reads as zeros, and the file was not rewritten.
    private func tailRewritten(_ file: TailedFile) -> Bool {
        guard !file.tailMark.isEmpty else { return false }
        let now = readMark(file, before: file.readOffset)
        guard now.count == file.tailMark.count else { return false }
        return zip(now, file.tailMark).contains { current, read in current != 0 && current != read }
    }

    /// Up to `TailedFile.markBytes` bytes just before `offset` (empty when they cannot be read).
    func readMark(_ file: TailedFile, before offset: Int64) -> [UInt8] {
        let count = Int(min(offset, Int64(TailedFile.markBytes)))
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        let n = bytes.withUnsafeMutableBytes { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            return (try? Sys.pread(file.fd, base, count, offset - Int64(count), path: file.path)) ?? 0
        }
        return n == count ? bytes : []
    }

    /// A short file grew: its fingerprint now covers more of it; at full size its key becomes the
    /// content fingerprint.
    private func extendIdentity(_ file: TailedFile, progress: Progress, head: [UInt8]) {
        let grown = head.withUnsafeBytes { Fingerprint.of($0) }
        let full = grown.length >= options.fingerprintBytes
        if !full { shortProgress[grown.description] = progress }
        progressLock.withLock {
            progress.fingerprint = grown
            progress.dirty = true
            guard full, progress.key != grown.hex else { return }
            if let other = progressByKey[grown.hex], other !== progress, !other.detached { return }
            if progressByKey[progress.key] === progress { progressByKey[progress.key] = nil }
            progress.retiredKeys.append(progress.key)
            progress.key = grown.hex
            progressByKey[grown.hex]?.detached = true
            progressByKey[grown.hex] = progress
        }
    }

    /// Whether the file's first `fingerprint.length` bytes still hash to `fingerprint`.
    func prefixMatches(_ fingerprint: Fingerprint, head: [UInt8]) -> Bool {
        prefixMatches(fingerprint.hex, fingerprint.length, head: head)
    }

    func prefixMatches(_ hex: String, _ length: Int, head: [UInt8]) -> Bool {
        guard length <= head.count else { return false }
        return head.withUnsafeBytes { Fingerprint.of(UnsafeRawBufferPointer(rebasing: $0[0..<length])).hex } == hex
    }

    func isRecent(_ st: FileStat) -> Bool {
        wallSeconds() - Double(st.modifiedNanos) / 1e9 < options.gzipSettle
    }

    func wallSeconds() -> Double { Clock.unixTime() }
}
