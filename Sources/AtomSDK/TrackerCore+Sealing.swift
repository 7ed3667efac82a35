import AtomBase

/// Sealing: taking a stream's events out of the storage into batches for the workers.
extension TrackerCore {
    /// Whether fewer than `batchPoolSize` batches wait for a worker.
    var poolHasRoom: Bool { queue.count < options.batchPoolSize }

    /// Moves the oldest events of `stream` from the storage into one sealed batch: all of them
    /// when they fit in one, else as many as fit `batchSize` and `batchBytes` (at least one).
    /// Returns true when a batch was queued.
    @discardableResult
    func sealOneLocked(_ stream: StreamState) -> Bool {
        guard stream.pending > 0 else { return false }
        let whole = stream.pending == 1
            || (stream.pending <= options.batchSize && 1 + stream.pendingData <= options.batchBytes)
        let buffer = ByteBuffer(capacity: whole ? stream.pendingBytes : min(stream.pendingBytes, options.batchBytes))
        var ends: [Int] = []
        ends.reserveCapacity(whole ? stream.pending : min(stream.pending, options.batchSize))
        var runs: [TokenRun] = []
        // Known for a whole batch; counted event by event when cutting one off the front.
        var dataBytes = whole ? 1 + stream.pendingData : 1
        var lost = false
        while ends.count < stream.pending {
            guard let event = storage.get(stream: stream.name) else {
                lost = true
                break
            }
            var text = event.data
            let full: Bool = text.withUTF8 { raw in
                let bytes = UnsafeRawBufferPointer(raw)
                if !whole {
                    let size = JSON.escapedLength(bytes) + 3
                    if !ends.isEmpty && (ends.count >= options.batchSize || dataBytes + size > options.batchBytes) {
                        return true
                    }
                    dataBytes += size
                }
                buffer.append(bytes)
                ends.append(buffer.count)
                buffer.append(UInt8(ascii: "\n"))
                return false
            }
            if full { break }
            runs.appendToken(event.token)
            storage.remove(stream: stream.name)
        }

        let taken = ends.count
        if lost { forgetLostLocked(stream, taken: taken, takenBytes: buffer.count) }
        stream.pending -= taken
        stream.pendingBytes -= buffer.count
        stream.pendingData -= dataBytes - 1
        if stream.pending <= 0 {
            stream.pending = 0
            stream.pendingData = 0
            stream.pendingBytes = 0
        }
        guard taken > 0 else { return false }
        queue.push(EventBatch(stream: stream.name, authKey: stream.authKey, storage: buffer, ends: ends,
                              range: 0..<taken, tokens: runs, dataBytes: dataBytes))
        return true
    }

    /// The storage has fewer of the stream's events than the tracker put there (a custom storage
    /// that lost some): they are counted as dropped and leave the backlog, so nothing waits for them.
    private func forgetLostLocked(_ stream: StreamState, taken: Int, takenBytes: Int) {
        let missing = stream.pending - taken
        let missingBytes = max(0, stream.pendingBytes - takenBytes)
        logger.error("event storage lost events", ["stream": stream.name, "events": String(missing)])
        backlogEvents -= missing
        backlogBytes -= missingBytes
        stream.unsettled -= missing
        counters.dropped += missing
        stream.pending = taken
        stream.pendingBytes = takenBytes
        lock.broadcast()
    }

    /// Seals all of the stream's pending events, pool or not (flush, stop, submit's ordering).
    func sealAllPendingLocked(_ stream: StreamState) {
        while stream.pending > 0 && sealOneLocked(stream) {}
    }

    /// Seals what is due while the pool has room: full batches, batches whose oldest event is
    /// `flushInterval` old at `now`, and with `partial` any pending events. Streams take turns.
    /// Remembers in `sealDeferred` whether something due had to wait for the pool.
    /// Returns true when a batch was queued.
    @discardableResult
    func sealPendingLocked(partial: Bool, now: UInt64? = nil) -> Bool {
        let count = streams.count
        guard count > 0 else { return false }
        let interval = Self.nanos(options.flushInterval)
        var queued = false
        var deferred = false
        let start = Int(counters.sent % count)  // a cheap rotating start, so no stream always goes first
        for offset in 0..<count {
            let stream = streams[(start + offset) % count]
            while stream.pending > 0 {
                let expired = now.map { stream.pendingSince &+ interval <= $0 } ?? false
                guard partial || expired || stream.hasFullBatch(options) else { break }
                guard poolHasRoom else {
                    deferred = true
                    break
                }
                guard sealOneLocked(stream) else { break }
                queued = true
            }
        }
        sealDeferred = deferred
        return queued
    }

    func flush() {
        lock.withLock {
            for stream in streams { sealAllPendingLocked(stream) }
            lock.broadcast()
        }
    }

    func flush(_ id: StreamID) {
        lock.withLock {
            guard streams.indices.contains(id.rawValue) else { return }
            sealAllPendingLocked(streams[id.rawValue])
            lock.broadcast()
        }
    }

    /// Seals pending events whose oldest is older than `flushInterval` (while the pool has room);
    /// returns the monotonic time of the next one due (or one interval from now).
    func sealExpiredLocked(now: UInt64) -> UInt64 {
        let interval = Self.nanos(options.flushInterval)
        if sealPendingLocked(partial: false, now: now) { lock.broadcast() }
        var next = now &+ interval
        for stream in streams where stream.pending > 0 {
            let due = stream.pendingSince &+ interval
            if due > now { next = min(next, due) }
        }
        return next
    }
}
