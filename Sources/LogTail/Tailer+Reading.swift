import AtomBase
import Glibc

extension Tailer {
    enum ReadResult {
        case data, idle, waiting
        /// The consumer has no room: nothing more is read until it has.
        case blocked
    }

    /// Reads what `file` has beyond its offset, up to the per-file budget, and hands the lines on.
    func read(_ file: TailedFile, consumer: any LineConsumer, once: Bool) -> ReadResult {
        if file.state == .done { return .idle }
        if file.progress == nil {
            switch identify(file, fresh: false, firstSeen: false) {
            case .attached: break
            case .waiting: return .waiting
            case .notYet, .failed: return .idle
            }
        }
        guard let st = try? Sys.fstat(file.fd, path: file.path) else { return .idle }
        if file.kind == .plain && !checkPlainIdentity(file, st, consumer: consumer) { return .waiting }

        var budget = options.readBudgetBytes
        var gotData = false
        while budget > 0 && !isStopping {
            if !consumer.hasRoom() { return .blocked }
            let prefix = file.framing.carry.count
            if prefix > 0 {
                work.update(from: file.framing.carry.base, count: prefix)
            }
            let room = min(options.readBufferBytes, workCapacity - prefix)
            let n: Int
            let timing = StageClock.shared.enabled
            var mark = timing ? StageClock.threadNanos() : 0
            switch readSource(file, into: work + prefix, room: room, st: st, once: once) {
            case .bytes(let count): n = count
            case .end: n = 0
            case .wait: return gotData ? .data : .waiting
            }
            if timing {
                let now = StageClock.threadNanos()
                StageClock.shared.add(.read, nanos: now &- mark)
                mark = now
            }
            if n == 0 { break }
            gotData = true
            budget -= n
            file.readOffset += Int64(n)
            file.lastData = Clock.nanos()
            counters.bytes.add(n, ordering: .relaxed)
            framer.frame(work, prefix: prefix, count: prefix + n, dataOffset: file.readOffset - Int64(n),
                         state: file.framing, flushTail: false)
            if timing { StageClock.shared.add(.split, nanos: StageClock.threadNanos() &- mark) }
            deliver(file, consumer: consumer)
            // A long read must not keep new files from being opened: one created and deleted
            // meanwhile would be lost.
            if !once { discoverIfDue() }
        }
        if !gotData {
            flushTailIfDue(file, consumer: consumer, once: once, stat: st)
            // A line still being written may belong to what the consumer holds: wait for it.
            if file.framing.carry.isEmpty {
                var away = st.links == 0
                if case .rotated = file.state { away = true }
                offerHeld(file, consumer: consumer, release: away)
            }
        }
        return gotData ? .data : .idle
    }

    enum SourceRead { case bytes(Int), end, wait }

    /// One read from the file (plain) or its decompressor (gzip).
    private func readSource(_ file: TailedFile, into buffer: UnsafeMutablePointer<UInt8>, room: Int,
                            st: FileStat, once: Bool) -> SourceRead {
        if file.kind == .gzip {
            guard let reader = file.gzip else { return .end }
            let status = file.prefetch?.read(into: buffer, capacity: room) ?? reader.read(into: buffer, capacity: room)
            switch status {
            case .data(let n):
                file.gzipStalledSince = nil
                return .bytes(n)
            case .finished:
                if file.prefetch?.trailingGarbage ?? reader.trailingGarbage {
                    logger.warning("gzip archive has trailing bytes that are not gzip; ignored",
                                   ["input": options.input, "path": file.path])
                }
                finishArchive(file, broken: nil)
                return .end
            case .needMore:
                if isRecent(st) { return .wait }
                finishArchive(file, broken: "the archive ends early, at compressed offset "
                              + "\(reader.compressedOffset) (decompressed offset \(file.readOffset))")
                return .end
            case .corrupt(let message):
                finishArchive(file, broken: message + " (decompressed offset \(file.readOffset))")
                return .end
            }
        }
        do {
            return .bytes(try Sys.pread(file.fd, buffer, room, file.readOffset, path: file.path))
        } catch {
            report("cannot read file", path: file.path, error: error.description)
            file.state = .done
            file.closeDescriptor()
            return .end
        }
    }

    /// Hands the framed lines of the last read to the consumer as one chunk and records it.
    private func deliver(_ file: TailedFile, consumer: any LineConsumer) {
        guard let progress = file.progress else { return }
        let lineCount = framer.lineCount
        if lineCount == 0 { return }
        counters.lines.add(lineCount, ordering: .relaxed)
        if framer.nulBytesSkipped != reportedNulBytes {
            logger.warning("NUL bytes skipped at the start of lines (a writer without O_APPEND after copytruncate?)",
                           ["input": options.input, "path": file.path,
                            "bytes": String(framer.nulBytesSkipped - reportedNulBytes)])
            counters.nulBytes.add(framer.nulBytesSkipped - reportedNulBytes, ordering: .relaxed)
            reportedNulBytes = framer.nulBytesSkipped
        }
        for i in 0..<lineCount where framer.truncated.base[i] {
            counters.truncatedLines.add(1, ordering: .relaxed)
            logger.warning("line longer than maxLineBytes was cut", ["input": options.input, "path": file.path,
                           "offset": String(framer.offsets.base[i]), "maxLineBytes": String(options.maxLineBytes)])
        }
        let sequence = progressLock.withLock { progress.open() }
        let description = file.description
        let chunk = LineChunk(file: description, token: Progress.token(id: progress.id, sequence: sequence),
                              framer: framer)
        let events = consumer.consume(chunk)
        let held = consumer.heldOffset(of: description)
        progressLock.withLock {
            progress.close(sequence, end: file.framing.consumedTo, settleTo: held, events: events)
        }
    }

    /// Lets the consumer emit the lines of `file` it holds (a multiline event still being grouped):
    /// when the file is quiet, or (`release`) when no more lines of it will come. The events go in
    /// a chunk of their own that ends where the file's framed lines end, so the checkpoint passes
    /// those lines once the events are acknowledged.
    func offerHeld(_ file: TailedFile, consumer: any LineConsumer, release: Bool) {
        guard let progress = file.progress else { return }
        let description = file.description
        guard consumer.heldOffset(of: description) != nil else { return }
        let sequence = progressLock.withLock { progress.open() }
        let token = Progress.token(id: progress.id, sequence: sequence)
        let events: Int
        if release {
            events = consumer.fileReleased(description, token: token)
        } else {
            let quiet = Double(Clock.nanos() &- file.lastData) / 1e9
            events = consumer.fileQuiet(description, quietSeconds: quiet, token: token)
        }
        let held = consumer.heldOffset(of: description)
        progressLock.withLock {
            progress.close(sequence, end: file.framing.consumedTo, settleTo: held, events: events)
        }
    }

    /// Emits a waiting unterminated line when the file will not complete it: end of a `--once` run,
    /// rotated or deleted, or quiet for `partialLineTimeout`.
    private func flushTailIfDue(_ file: TailedFile, consumer: any LineConsumer, once: Bool, stat st: FileStat) {
        guard !file.framing.carry.isEmpty || file.framing.skipping else { return }
        var due = once || st.links == 0
        if case .rotated = file.state { due = true }
        if Clock.nanos() &- file.lastData >= UInt64(options.partialLineTimeout * 1e9) { due = true }
        guard due else { return }
        flushTail(file, consumer: consumer)
    }

    func flushTail(_ file: TailedFile, consumer: any LineConsumer) {
        let prefix = file.framing.carry.count
        guard prefix > 0 else { return }
        work.update(from: file.framing.carry.base, count: prefix)
        framer.frame(work, prefix: prefix, count: prefix, dataOffset: file.readOffset, state: file.framing,
                     flushTail: true)
        deliver(file, consumer: consumer)
    }

    /// Emits every waiting unterminated line, and what the consumer holds (end of a `--once` run).
    func flushTails(consumer: any LineConsumer) {
        for file in files.values where file.progress != nil {
            flushTail(file, consumer: consumer)
            offerHeld(file, consumer: consumer, release: true)
        }
    }

    /// Checks a plain file against what was read: a smaller size or a changed head means it was
    /// truncated (copytruncate) or rewritten, and reading restarts at 0. A short file's identity
    /// grows with it. Returns false when the file cannot be read now.
    private func checkPlainIdentity(_ file: TailedFile, _ st: FileStat, consumer: any LineConsumer) -> Bool {
        guard let progress = file.progress else { return false }
        let changed = st.size != file.lastSize || st.modifiedNanos != file.lastModified
        file.lastSize = st.size
        file.lastModified = st.modifiedNanos
        guard changed else { return true }
        var truncated = st.size < file.readOffset
        let known = progress.fingerprint
        var head: [UInt8] = []
        if !truncated {
            let want = min(Int(min(st.size, Int64(options.fingerprintBytes))), options.fingerprintBytes)
            if want > known.length || known.length > 0 {
                head = HeadReader.read(fd: file.fd, path: file.path, gzip: false, limit: max(want, known.length)).bytes
                if known.length > 0 && !prefixMatches(known, head: head) { truncated = true }
            }
        }
        if truncated {
            logger.info("file truncated; reading it from the start", ["input": options.input, "path": file.path,
                        "offset": String(file.readOffset), "size": String(st.size)])
            offerHeld(file, consumer: consumer, release: true)
            progressLock.withLock { progress.detached = true }
            file.progress = nil
            file.readOffset = 0
            file.framing.reset(to: 0)
            return identify(file, fresh: true, firstSeen: false) == .attached
        }
        if head.count > known.length {
            extendIdentity(file, progress: progress, head: head)
        }
        return true
    }

    /// A short file grew: its fingerprint now covers more of it; at full size its key becomes the
    /// content fingerprint.
    private func extendIdentity(_ file: TailedFile, progress: Progress, head: [UInt8]) {
        let grown = head.withUnsafeBytes { Fingerprint.of($0) }
        let full = grown.length >= options.fingerprintBytes
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

    private func finishArchive(_ file: TailedFile, broken: String?) {
        if let broken {
            report("gzip archive is broken; shipped what could be read", path: file.path, error: broken)
        } else {
            logger.info("gzip archive read to its end", ["input": options.input, "path": file.path,
                        "bytes": String(file.readOffset)])
        }
        file.state = .done
    }

    /// Closes files that are finished: archives read to the end, deleted files read to the end, and
    /// rotated-away files idle for `rotateIdle`. Their last unterminated line is emitted first.
    func closeFinished(consumer: any LineConsumer, once: Bool) {
        let now = Clock.nanos()
        for (key, file) in files where file.isOpen {
            var close = false
            var forget = false
            if file.state == .done {
                close = true
            } else if let st = try? Sys.fstat(file.fd, path: file.path), st.links == 0,
                      file.kind == .gzip || st.size <= file.readOffset,
                      once || now &- file.lastData >= UInt64(options.rotateIdle * 1e9) {
                // A writer may still hold a deleted file open and append to it: like a renamed
                // file, it is kept until it has been quiet for rotateIdle.
                close = true
                forget = true
                logger.info("file deleted; read to its end and released", ["input": options.input, "path": file.path])
            } else if case .rotated(let since) = file.state,
                      now &- max(since, file.lastData) >= UInt64(options.rotateIdle * 1e9) {
                close = true
                forget = true
                logger.info("rotated file idle; released", ["input": options.input, "path": file.path])
            }
            guard close else { continue }
            if file.state != .done || file.kind == .gzip { flushTail(file, consumer: consumer) }
            offerHeld(file, consumer: consumer, release: true)
            if let progress = file.progress { progressLock.withLock { progress.detached = true } }
            file.closeDescriptor()
            if forget { files[key] = nil }
        }
    }
}
