import AtomBase
import Glibc

extension Tailer {
    /// Runs the globs: opens files not seen before, notes renames, and marks files whose path no
    /// longer leads to them as rotated.
    func discover() {
        let now = Clock.nanos()
        for directory in discovery.watchDirectories { watcher.watch(directory) }
        var present = Set<FileKey>()
        let found = discovery.scan { path, problem in
            report("cannot read a path of the input", path: path, error: problem, failure: false)
        }
        if found.isEmpty && firstDiscovery {
            logger.warning("no file matches the input's paths yet", ["input": options.input,
                                                                      "paths": options.paths.joined(separator: ",")])
        }
        for entry in found {
            let key = FileKey(device: entry.stat.device, inode: entry.stat.inode)
            present.insert(key)
            if let file = files[key], !file.isOpen,
               file.path != entry.path || file.lastSize != entry.stat.size
                || file.lastModified != entry.stat.modifiedNanos {
                // A finished archive's inode now belongs to a new file.
                files[key] = nil
            }
            if let file = files[key] {
                if file.path != entry.path {
                    logger.info("file renamed", ["input": options.input, "from": file.path, "to": entry.path])
                    file.path = entry.path
                    progressLock.withLock { file.progress?.path = entry.path }
                }
                if case .rotated = file.state, file.isOpen { file.state = .following }
                continue
            }
            open(entry, now: now)
        }
        for (key, file) in files where !present.contains(key) {
            guard file.isOpen else {
                files[key] = nil  // a finished archive that went away
                continue
            }
            if case .following = file.state {
                logger.info("file rotated away; reading it to the end", ["input": options.input, "path": file.path])
                file.state = .rotated(since: now)
            }
        }
        firstDiscovery = false
        lastDiscovery = now
    }

    private func open(_ entry: Discovery.Found, now: UInt64) {
        let fd: Int32
        do {
            fd = try Sys.open(entry.path, O_RDONLY)
        } catch {
            report("cannot open file", path: entry.path, error: error.description)
            return
        }
        guard let st = try? Sys.fstat(fd, path: entry.path) else {
            Sys.close(fd)
            return
        }
        let file = TailedFile(path: entry.path, fd: fd, stat: st, kind: .undecided, now: now)
        files[FileKey(device: st.device, inode: st.inode)] = file
        counters.filesOpened.add(1, ordering: .relaxed)
        _ = identify(file, fresh: false, firstSeen: firstDiscovery)
    }

    enum Identification {
        case attached
        /// Not identifiable yet: empty, or the same head as an open file; tried again next pass.
        case notYet
        /// An archive still being written: a `--once` run waits for it (up to `gzipSettle`).
        case waiting
        case failed
    }

    /// Works out which file this is (by its head's fingerprint, or device and inode for a short file),
    /// attaches the progress it continues, and positions the reader.
    func identify(_ file: TailedFile, fresh: Bool, firstSeen: Bool) -> Identification {
        guard let st = try? Sys.fstat(file.fd, path: file.path) else { return .waiting }
        if file.kind == .undecided {
            if st.size < 2 && !(st.size == 1 && wallSeconds() - Double(st.modifiedNanos) / 1e9 > 1) {
                return .notYet
            }
            file.kind = HeadReader.isGzip(fd: file.fd, path: file.path) ? .gzip : .plain
        }
        let head = HeadReader.read(fd: file.fd, path: file.path, gzip: file.kind == .gzip,
                                   limit: options.fingerprintBytes)
        if let corrupt = head.corrupt, head.bytes.isEmpty {
            report("gzip archive is corrupt", path: file.path, error: corrupt)
            file.state = .done
            file.closeDescriptor()
            return .failed
        }
        if head.incomplete && head.bytes.count < options.fingerprintBytes && isRecent(st) {
            return .waiting  // an archive still being written
        }
        let fingerprint = head.bytes.withUnsafeBytes { Fingerprint.of($0) }
        let full = fingerprint.length >= options.fingerprintBytes
        let key = full ? fingerprint.hex : file.identityKey

        var resumeAt: Int64 = 0
        var restored = false
        var attach: Progress?
        var sameAs: String?
        var markDirty = false
        var retire: String?
        let decision: Identification = progressLock.withLock {
            if !fresh, let existing = progressByKey[key] {
                if !existing.detached {
                    // The same content is open under another name (a copy, or a rotation in progress).
                    sameAs = existing.path
                    return .notYet
                }
                if full || prefixMatches(existing.fingerprint, head: head.bytes) {
                    existing.detached = false
                    existing.path = file.path
                    attach = existing
                    resumeAt = existing.readTo
                    restored = true
                    return .attached
                }
            }
            if !fresh, let row = rows[key], full || prefixMatches(row.fingerprint, row.fingerprintLength,
                                                                     head: head.bytes) {
                resumeAt = row.offset
                restored = true
            } else if !fresh, full, let row = rows[file.identityKey],
                      prefixMatches(row.fingerprint, row.fingerprintLength, head: head.bytes) {
                // A short file that grew past fingerprintBytes while the shipper was stopped.
                resumeAt = row.offset
                restored = true
                retire = file.identityKey
            } else if !fresh && firstSeen && options.startAt == .end && file.kind == .plain {
                resumeAt = st.size
                markDirty = true  // commit the skip, or a restart would skip again past new lines
            }
            let progress = Progress(id: nextProgressID, key: key, fingerprint: fingerprint, device: file.device,
                                    inode: file.inode, path: file.path, offset: resumeAt)
            advanceProgressID()
            if let previous = progressByKey[key], previous !== progress { previous.detached = true }
            progresses[progress.id] = progress
            progressByKey[key] = progress
            if markDirty { progress.dirty = true }
            if let retire { progress.retiredKeys.append(retire) }
            attach = progress
            return .attached
        }
        if let sameAs {
            // Normal during copytruncate and compression (a copy of an open file); only different
            // files sharing a long header would make it wrong, which fingerprintBytes fixes.
            report("file has the same first bytes as an open file; waiting until that one is released",
                   path: file.path, error: "same first \(head.bytes.count) bytes as \(sameAs)", failure: false,
                   level: .debug)
        }
        guard decision == .attached, let progress = attach else { return decision }
        file.progress = progress
        position(file, at: resumeAt, size: st.size)
        let fields: KeyValuePairs<String, String> = [
            "input": options.input, "path": file.path, "offset": String(file.readOffset),
            "identity": progress.fingerprint.description, "gzip": String(file.kind == .gzip),
        ]
        logger.info(restored ? "file opened; checkpoint restored" : "file opened", fields)
        return .attached
    }

    /// Archives larger than this (compressed bytes) are decompressed ahead on a thread of their own.
    static let prefetchThreshold: Int64 = 1 << 20

    /// Moves to the next progress id not in use (ids wrap after `Progress.maxID`). Lock held.
    private func advanceProgressID() {
        repeat {
            nextProgressID = nextProgressID >= Progress.maxID ? 1 : nextProgressID + 1
        } while progresses[nextProgressID] != nil
    }

    /// Sets the reader at `offset` (decompressing up to it for gzip).
    private func position(_ file: TailedFile, at offset: Int64, size: Int64) {
        var start = offset
        if file.kind == .plain && start > size {
            logger.warning("checkpoint is past the end of the file; reading it from the start",
                           ["input": options.input, "path": file.path, "offset": String(start)])
            start = 0
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
        if start != offset {
            progressLock.withLock { file.progress?.reset(to: start) }
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
