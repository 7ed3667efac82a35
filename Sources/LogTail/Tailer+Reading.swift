import AtomBase
import Glibc

extension Tailer {
    enum ReadResult {
        /// Lines were read, up to the end of the file.
        case data
        /// The turn's budget ran out with more to read.
        case more
        case idle
        /// Look again on the next pass (identification put off).
        case retry
        /// Not readable yet (an archive still being written, no descriptor free): a `--once` run
        /// waits for it.
        case waiting
        /// The consumer has no room: nothing more is read until it has.
        case blocked
        /// The input's read-rate cap is reached.
        case throttled
    }

    /// Reads what `file` has beyond its offset, up to the per-turn budget, and hands the lines on.
    func read(_ file: TailedFile, consumer: any LineConsumer, once: Bool) -> ReadResult {
        if file.state == .done || file.ignored { return .idle }
        switch openDescriptor(file) {
        case .opened: break
        case .noSlot: return .waiting
        case .failed: return .idle
        case .gone:
            // Its path leads elsewhere now: what it held is out of reach.
            lostPath(file, now: Clock.nanos())
            return .idle
        }
        reading = file
        defer { reading = nil }
        file.lastUsed = Clock.nanos()
        if file.progress == nil {
            switch identify(file, fresh: false, once: once) {
            case .attached: break
            case .waiting: return .waiting
            case .retry:
                file.identifyAttempts += 1
                return .retry
            case .failed:
                finish(file, consumer: consumer)
                return .idle
            case .notYet: return .idle
            }
        }
        guard let st = try? Sys.fstat(file.fd, path: file.path) else { return .idle }
        if file.kind == .plain && !checkPlainIdentity(file, st, once: once, consumer: consumer) { return .waiting }

        var budget = options.readBudgetBytes
        var gotData = false
        while !isStopping {
            if budget <= 0 { return .more }
            if !consumer.hasRoom() { return .blocked }
            let prefix = file.framing.carry.count
            if prefix > 0 {
                work.update(from: file.framing.carry.base, count: prefix)
            }
            var room = min(options.readBufferBytes, workCapacity - prefix)
            if let rate {
                room = rate.allowance(limit: room)
                if room == 0 { return .throttled }
            }
            let n: Int
            let timing = StageClock.shared.enabled
            var mark = timing ? StageClock.threadNanos() : 0
            switch readSource(file, into: work + prefix, room: room, st: st) {
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
            rate?.spend(n)
            gotData = true
            budget -= n
            file.readOffset += Int64(n)
            file.lastData = Clock.nanos()
            counters.bytes.add(n, ordering: .relaxed)
            if file.kind == .plain { file.noteTail(work + prefix, count: n) }
            framer.frame(work, prefix: prefix, count: prefix + n, dataOffset: file.readOffset - Int64(n),
                         state: file.framing, flushTail: false)
            if timing { StageClock.shared.add(.split, nanos: StageClock.threadNanos() &- mark) }
            deliver(file, consumer: consumer)
            // A long read must not keep new files from being opened: one created and deleted
            // meanwhile would be lost.
            if !once { keepUp() }
        }
        if file.state == .done {
            finish(file, consumer: consumer)
            return gotData ? .data : .idle
        }
        if !gotData {
            flushTailIfDue(file, consumer: consumer, once: once, stat: st)
            // A line still being written may belong to what the consumer holds: wait for it.
            if file.framing.carry.isEmpty && file.consumerHolds {
                offerHeld(file, consumer: consumer, release: st.links == 0 || file.isRotated)
            }
        }
        return gotData ? .data : .idle
    }

    enum SourceRead { case bytes(Int), end, wait }

    /// One read from the file (plain) or its decompressor (gzip).
    private func readSource(_ file: TailedFile, into buffer: UnsafeMutablePointer<UInt8>, room: Int,
                            st: FileStat) -> SourceRead {
        if file.kind == .gzip {
            guard let reader = file.gzip else { return .end }
            let status = file.prefetch?.read(into: buffer, capacity: room) ?? reader.read(into: buffer, capacity: room)
            switch status {
            case .data(let n):
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
        var cutLines = 0
        for i in 0..<lineCount where framer.truncated.base[i] {
            cutLines += 1
            counters.truncatedLines.add(1, ordering: .relaxed)
            logger.warning("line longer than maxLineBytes was cut", ["input": options.input, "path": file.path,
                           "offset": String(framer.offsets.base[i]), "maxLineBytes": String(options.maxLineBytes)])
        }
        if let converted { framer.convertLatin1(into: converted) }
        let sequence = progressLock.withLock { progress.open() }
        let description = file.description
        let chunk = LineChunk(file: description, token: Progress.token(id: progress.id, sequence: sequence),
                              framer: framer, cutLines: cutLines)
        let events = consumer.consume(chunk)
        owesCaughtUp = true
        let held = consumer.heldOffset(of: description)
        file.consumerHolds = held != nil
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
        guard consumer.heldOffset(of: description) != nil else {
            file.consumerHolds = false
            return
        }
        let sequence = progressLock.withLock { progress.open() }
        let token = Progress.token(id: progress.id, sequence: sequence)
        let events: Int
        if release {
            events = consumer.fileReleased(description, token: token)
        } else {
            let quiet = Double(Clock.nanos() &- file.lastData) / 1e9
            events = consumer.fileQuiet(description, quietSeconds: quiet, token: token)
        }
        if events > 0 { owesCaughtUp = true }
        let held = consumer.heldOffset(of: description)
        file.consumerHolds = held != nil
        progressLock.withLock {
            progress.close(sequence, end: file.framing.consumedTo, settleTo: held, events: events)
        }
    }

    /// Emits a waiting unterminated line when the file will not complete it: end of a `--once` run,
    /// rotated or deleted, or quiet for `partialLineTimeout`.
    private func flushTailIfDue(_ file: TailedFile, consumer: any LineConsumer, once: Bool, stat st: FileStat) {
        guard file.hasPendingTail else { return }
        var due = once || st.links == 0 || file.isRotated
        if Clock.nanos() &- file.lastData >= UInt64(options.partialLineTimeout * 1e9) { due = true }
        guard due else { return }
        flushTail(file, consumer: consumer)
    }

    func flushTail(_ file: TailedFile, consumer: any LineConsumer) {
        let prefix = file.framing.carry.count
        guard prefix > 0 else {
            file.framing.skipping = false
            return
        }
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

    private func finishArchive(_ file: TailedFile, broken: String?) {
        if let broken {
            report("gzip archive is broken; shipped what could be read", path: file.path, error: broken)
        } else {
            logger.info("gzip archive read to its end", ["input": options.input, "path": file.path,
                        "bytes": String(file.readOffset)])
        }
        file.state = .done
    }

    /// A file that is done (an archive read to its end, or one that could not be read): its last
    /// unterminated line goes out (archives), its progress is detached and its descriptor closed.
    /// It stays known, so that discovery does not open it again unless it changes.
    func finish(_ file: TailedFile, consumer: any LineConsumer) {
        if file.kind == .gzip { flushTail(file, consumer: consumer) }
        offerHeld(file, consumer: consumer, release: true)
        if let progress = file.progress { progressLock.withLock { progress.detached = true } }
        closeFile(file)
        updateAttention(file)
    }
}

extension TailedFile {
    /// Keeps the last bytes of a read as the file's tail mark.
    func noteTail(_ bytes: UnsafePointer<UInt8>, count: Int) {
        let keep = min(count, Self.markBytes)
        let fresh = UnsafeBufferPointer(start: bytes + count - keep, count: keep)
        let overflow = tailMark.count + fresh.count - Self.markBytes
        if overflow > 0 { tailMark.removeFirst(min(overflow, tailMark.count)) }
        tailMark.append(contentsOf: fresh)
    }
}
