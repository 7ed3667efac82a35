import AtomBase

/// Worker threads, the flush-interval timer, retries and settlement.
extension TrackerCore {
    /// Starts the worker threads and the timer thread (OS threads, not Swift concurrency's pool).
    func start() {
        for index in 0..<options.workers {
            Threads.spawn(name: "atom-tracker-worker-\(index)") { [self] in workerLoop() }
        }
        Threads.spawn(name: "atom-tracker-timer") { [self] in timerLoop() }
    }

    private func workerLoop() {
        while let batch = nextBatch() {
            deliver(batch)
        }
    }

    /// The next sealed batch, waiting for one; nil once the tracker shuts down.
    private func nextBatch() -> EventBatch? {
        lock.lock()
        defer { lock.unlock() }
        while !shutdown {
            if let batch = queue.pop() {
                counters.batchesInFlight += 1
                inFlight[ObjectIdentifier(batch)] = batch
                // The pool has room again: seal what waited for it.
                if sealDeferred || roomWaiters > 0 {
                    if sealPendingLocked(partial: roomWaiters > 0, now: Clock.nanos()) { lock.broadcast() }
                }
                return batch
            }
            lock.wait()
        }
        return nil
    }

    /// Seals partial batches as they pass the flush interval. It sleeps on a condition of its own:
    /// on the shared one, every batch queued or settled would wake it.
    private func timerLoop() {
        while true {
            let next: UInt64? = lock.withLock { shutdown ? nil : sealExpiredLocked(now: Clock.nanos()) }
            guard let next else { return }
            timerWake.lock()
            if !timerStopped { timerWake.wait(untilNanos: next) }
            timerWake.unlock()
        }
    }

    /// Wakes the timer so that it sees `shutdown`.
    func stopTimer() {
        timerWake.withLock { timerStopped = true }
        timerWake.broadcast()
    }

    // MARK: Delivery

    private enum Settlement {
        case done
        case split(EventBatch, EventBatch)
        case abandoned
    }

    /// Sends `batch` until it settles, splitting on 413 (halves are settled one after the other).
    /// Each batch or half counts in `batchesInFlight` until `finish` settles it.
    private func deliver(_ batch: EventBatch) {
        var work = [batch]
        while let current = work.popLast() {
            switch settle(current) {
            case .done:
                continue
            case .split(let first, let second):
                lock.withLock {
                    inFlight[ObjectIdentifier(current)] = nil
                    inFlight[ObjectIdentifier(first)] = first
                    inFlight[ObjectIdentifier(second)] = second
                }
                work.append(second)
                work.append(first)
            case .abandoned:
                lock.withLock { counters.batchesInFlight -= work.count + 1 }
                return
            }
        }
    }

    private func settle(_ batch: EventBatch) -> Settlement {
        if let refusal = batch.refusal {
            logger.warning("event refused as too large", ["stream": batch.stream, "reason": refusal])
            finish(batch, outcome: .deadLettered(status: nil, reason: refusal), attempts: 0, notify: false)
            return .done
        }

        let started = Clock.nanos()
        var attempts = 0
        var waited = 0.0
        while true {
            if lock.withLock({ shutdown }) { return .abandoned }
            attempts += 1
            lock.withLock { counters.sent += 1 }
            let timing = StageClock.shared.enabled
            let before = timing ? StageClock.threadNanos() : 0
            let result = transport.send(batch)
            if timing { StageClock.shared.add(.send, nanos: StageClock.threadNanos() &- before) }
            if logRequests { logRequest(batch, result: result, attempt: attempts) }
            switch result {
            case .delivered:
                finish(batch, outcome: .delivered, attempts: attempts, notify: false)
                return .done

            case .tooLarge where batch.count > 1:
                logger.info("batch too large for the endpoint, splitting",
                            ["stream": batch.stream, "events": String(batch.count)])
                lock.withLock {
                    counters.split += 1
                    counters.batchesInFlight += 1  // two halves replace one batch
                }
                let (first, second) = batch.split()
                return .split(first, second)

            case .tooLarge:
                let reason = "the endpoint refused a single event of \(batch.byteCount) bytes "
                    + "as too large (413)"
                finish(batch, outcome: .deadLettered(status: 413, reason: reason), attempts: attempts,
                       notify: true)
                return .done

            case .rejected(let status, let reason):
                finish(batch, outcome: .deadLettered(status: status, reason: reason), attempts: attempts,
                       notify: true)
                return .done

            case .retry(let status, let reason, let retryAfter):
                let delay = max(backoff(retry: attempts - 1), retryAfter ?? 0)
                let elapsed = max(Double(Clock.nanos() &- started) / 1e9, waited)
                if !options.retryForever
                    && (attempts > options.retryMaxCount || elapsed + delay > options.retryMaxTime) {
                    let message = "gave up after \(attempts) attempts: \(reason)"
                    finish(batch, outcome: .deadLettered(status: status, reason: message), attempts: attempts,
                           notify: true)
                    return .done
                }
                lock.withLock {
                    counters.retried += 1
                    counters.lastError = "stream \(batch.stream): \(reason)"
                    retriesByStream[batch.stream, default: 0] += 1
                }
                logger.warning("batch not delivered, will retry", [
                    "stream": batch.stream, "status": status.map(String.init) ?? "none", "reason": reason,
                    "attempt": String(attempts), "delaySeconds": String((delay * 1000).rounded() / 1000),
                ])
                guard pause(delay) else { return .abandoned }
                waited += delay
            }
        }
    }

    /// One debug line per request (`options.debug`).
    private func logRequest(_ batch: EventBatch, result: TransportResult, attempt: Int) {
        let outcome: String
        switch result {
        case .delivered: outcome = "delivered"
        case .tooLarge: outcome = "too large (413)"
        case .retry(_, let reason, _): outcome = "to retry: " + reason
        case .rejected(_, let reason): outcome = "rejected: " + reason
        }
        logger.debug("batch sent", [
            "stream": batch.stream, "events": String(batch.count), "dataBytes": String(batch.dataBytes),
            "attempt": String(attempt), "result": outcome,
        ])
    }

    /// The full-jitter delay before retry `retry` (0 for the first retry).
    func backoff(retry: Int) -> Double {
        let window = min(options.backoffMax, options.backoffBase * Double(1 << UInt64(min(retry, 62))))
        let draw = random()
        let fraction = draw.isFinite ? min(max(draw, 0), 1) : 0
        return fraction * window
    }

    /// Waits `seconds` (the injected sleep, or the tracker clock, cut short by shutdown).
    /// Returns false when the tracker shut down meanwhile.
    private func pause(_ seconds: Double) -> Bool {
        if let sleep = options.sleep {
            sleep(seconds)
            return lock.withLock { !shutdown }
        }
        let deadline = Clock.nanos() &+ Self.nanos(seconds)
        lock.lock()
        defer { lock.unlock() }
        while !shutdown && Clock.nanos() < deadline {
            lock.wait(untilNanos: deadline)
        }
        return !shutdown
    }

    /// Settles `batch`: dead-letters it when so decided, calls back (not after `stop` returned),
    /// then releases its share of the backlog.
    /// - Parameter notify: call the error callback (rejected or given-up batches).
    private func finish(_ batch: EventBatch, outcome: BatchOutcome, attempts: Int, notify: Bool) {
        var deliveryError: DeliveryError?
        if case .deadLettered(let status, let reason) = outcome {
            logger.warning("batch dead-lettered", [
                "stream": batch.stream, "events": String(batch.count),
                "status": status.map(String.init) ?? "none", "reason": reason,
                "deadLetter": deadLetters?.path ?? "none",
            ])
            writeDeadLetter(batch, status: status, reason: reason)
            if notify, onError != nil {
                deliveryError = DeliveryError(unixTime: Clock.unixTime(), status: status, message: reason,
                                              data: AtomWire.dataText(batch), stream: batch.stream)
            }
        }

        let mayCall = lock.withLock {
            if shutdown { return false }
            callbacksRunning += 1
            return true
        }
        if mayCall {
            if let deliveryError { onError?(deliveryError) }
            onReport(BatchReport(stream: batch.stream, events: batch.count, tokens: batch.tokens,
                                 outcome: outcome, attempts: attempts))
        }

        lock.withLock {
            if mayCall { callbacksRunning -= 1 }
            inFlight[ObjectIdentifier(batch)] = nil
            backlogEvents -= batch.count
            backlogBytes -= batch.byteCount
            streamState(named: batch.stream)?.unsettled -= batch.count
            counters.batchesInFlight -= 1
            switch outcome {
            case .delivered:
                counters.delivered += batch.count
            case .deadLettered(_, let reason):
                counters.deadLettered += batch.count
                counters.lastError = "stream \(batch.stream): \(reason)"
            }
            lock.broadcast()
        }
    }

    private func writeDeadLetter(_ batch: EventBatch, status: Int?, reason: String) {
        guard let deadLetters else { return }
        do {
            try deadLetters.write(stream: batch.stream, status: status, message: reason, events: batch)
        } catch {
            logger.error("dead-letter write failed", [
                "path": deadLetters.path, "stream": batch.stream, "error": error.description,
            ])
        }
    }

    // MARK: Stopping

    /// Seals everything, waits up to `deadline` seconds for the backlog to settle, then shuts the
    /// workers down and waits for running callbacks. Returns the events not settled.
    /// Stops as `Tracker.stop` does; returns the batches not settled by the deadline: those still
    /// queued, in queue order, then those a worker held.
    func stop(deadline: Double) -> [EventBatch] {
        lock.lock()
        defer { lock.unlock() }
        stopping = true
        for stream in streams { sealAllPendingLocked(stream) }
        lock.broadcast()
        let end = Clock.nanos() &+ Self.nanos(deadline)
        while backlogEvents > 0 && Clock.nanos() < end {
            lock.wait(untilNanos: end)
        }
        if !shutdown { counters.dropped += backlogEvents }
        shutdown = true
        lock.broadcast()
        stopTimer()
        while callbacksRunning > 0 { lock.wait() }
        var unsettled: [EventBatch] = []
        while let batch = queue.pop() { unsettled.append(batch) }
        unsettled += inFlight.values
        inFlight.removeAll()
        return unsettled
    }

    /// Stops every thread without waiting (the tracker was dropped).
    func shutdownNow() {
        lock.withLock {
            stopping = true
            shutdown = true
            lock.broadcast()
        }
        stopTimer()
    }

    func waitUntilIdle(timeout: Double) -> Bool {
        let end = Clock.nanos() &+ Self.nanos(timeout)
        lock.lock()
        defer { lock.unlock() }
        while backlogEvents > 0 && Clock.nanos() < end {
            lock.wait(untilNanos: end)
        }
        return backlogEvents == 0
    }
}
