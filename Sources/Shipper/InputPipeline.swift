import AtomBase
import AtomSDK
import LogTail
import StreamMapping
import Synchronization

/// One input's path from lines to the tracker: it maps each line to an event written straight
/// into its stream's slab, cuts the slabs at the tracker's batch limits, and submits each full slab
/// as a batch without copying. A partial slab is submitted when the input has caught up with its
/// files, when its first event is older than the flush interval, or at shutdown.
final class InputPipeline: LineConsumer, @unchecked Sendable {
    // Safe: after init only its tailer's thread calls consume and caughtUp (and the main thread
    // calls `submitAll` once that thread has ended); other threads read only the atomic counters.
    let index: Int
    let name: String
    let mapper: EventMapper
    private let tracker: Tracker
    private let streamIDs: [StreamID]
    private let streamNames: [String]
    private let ledger: StreamLedger
    let slabs: [EventSlab]
    let logger: Logger
    private let batchSize: Int
    private let batchBytes: Int
    private let flushNanos: UInt64
    /// Holds an event that did not fit its slab while the slab is submitted.
    private let spill = ByteBuffer(capacity: 4096)
    /// Events handed to slabs that the tracker refused (only while stopping); they are never
    /// acknowledged, so their lines are read again on the next start.
    private var refused = false
    let counters = InputCounters()
    /// Container unwrapping and multiline grouping, when the input has either.
    let assembler: EventAssembler?
    /// Lines take `consumeAssembled` (an assembler, or metadata that varies per event).
    private let assembles: Bool
    let sourceFields: SourceFieldWriter

    init(index: Int, spec: MappingSpec, name: String, tracker: Tracker, logger: Logger,
         ledger: StreamLedger = StreamLedger()) throws(MappingError) {
        self.index = index
        self.name = name
        self.ledger = ledger
        self.mapper = try EventMapper(spec: spec)
        self.tracker = tracker
        self.logger = logger
        let limits = tracker.limits
        batchSize = limits.batchSize
        batchBytes = limits.batchBytes
        flushNanos = UInt64(max(0.001, limits.flushInterval) * 1e9)
        streamIDs = mapper.streams.map { tracker.stream(named: $0.name, authKey: $0.authKey) }
        streamNames = mapper.streams.map(\.name)
        slabs = mapper.streams.map { _ in EventSlab(capacity: limits.batchBytes + 4096) }
        assembler = EventAssembler.isNeeded(for: spec) ? try EventAssembler(spec: spec) : nil
        sourceFields = SourceFieldWriter(mapper: mapper)
        assembles = assembler != nil || spec.metadata.hasPerEventFields
    }

    /// The token the tracker carries: the tailer's token with this input's index in the top byte.
    static func token(input: Int, chunk: UInt64) -> UInt64 { UInt64(input) << 56 | chunk }
    static func split(_ token: UInt64) -> (input: Int, chunk: UInt64) {
        (Int(token >> 56), token & 0x00FF_FFFF_FFFF_FFFF)
    }

    func consume(_ chunk: LineChunk) -> Int {
        if assembles { return consumeAssembled(chunk) }
        let token = Self.token(input: index, chunk: chunk.token)
        var produced = 0
        var dropped = 0
        let timing = StageClock.shared.enabled
        let started = timing ? StageClock.threadNanos() : 0
        var sampledParse: UInt64 = 0
        var sampledEncode: UInt64 = 0
        let hasCutLines = chunk.cutLines > 0
        for i in 0..<chunk.count {
            let sample = timing && i & 31 == 0
            let t0 = sample ? Clock.nanos() : 0
            guard let stream = mapper.route(chunk.line(i)) else {
                dropped += 1
                continue
            }
            let t1 = sample ? Clock.nanos() : 0
            var size = mapper.encode(into: slabs[stream].data)
            if hasCutLines && chunk.isTruncated(i) { size += Self.markTruncated(slabs[stream].data) }
            if sample {
                sampledParse &+= t1 &- t0
                sampledEncode &+= Clock.nanos() &- t1
            }
            commitEvent(stream, size: size, token: token)
            produced += 1
        }
        submitExpired()
        if timing {
            // Parse and encode come from every 32nd line, scaled; the rest of the chunk's CPU is
            // batching (measuring, cutting and submitting slabs).
            let total = StageClock.threadNanos() &- started
            let parse = sampledParse &* 32
            let encode = sampledEncode &* 32
            StageClock.shared.add(.parse, nanos: parse)
            StageClock.shared.add(.encode, nanos: encode)
            StageClock.shared.add(.batch, nanos: total > parse &+ encode ? total &- parse &- encode : 0)
        }
        counters.lines.add(chunk.count, ordering: .relaxed)
        counters.events.add(produced, ordering: .relaxed)
        counters.dropped.add(dropped, ordering: .relaxed)
        counters.parseFailures.store(mapper.parseFailures, ordering: .relaxed)
        return dueAcknowledgements(produced)
    }

    /// Adds the event just encoded into `stream`'s slab to it, first submitting the slab when the
    /// event would make it more than a batch.
    @inline(__always)
    func commitEvent(_ stream: Int, size: Int, token: UInt64) {
        let slab = slabs[stream]
        if slab.count > 0 && (slab.count >= batchSize || slab.dataBytes + size + 3 > batchBytes) {
            // The slab is a full batch without this event: move the event to the next one.
            spill.removeAll()
            spill.append(slab.pendingBytes)
            slab.rollback()
            submit(stream)
            slab.data.append(spill.bytes)
        }
        slab.commit(token: token, escapedSize: size)
    }

    /// The bytes `"truncated":true` added as the last member of the event just encoded (a line cut
    /// at `maxLineBytes`); returns what they add to its escaped size.
    static func markTruncated(_ data: ByteBuffer) -> Int {
        guard data.count > 1, data.base[data.count - 1] == UInt8(ascii: "}") else { return 0 }
        let empty = data.base[data.count - 2] == UInt8(ascii: "{")
        data.count -= 1
        var member = empty ? #""truncated":true}"# : #","truncated":true}"#
        var added = 0
        member.withUTF8 { bytes in
            data.append(UnsafeRawBufferPointer(bytes))
            added = JSON.escapedLengthOfJSON(UnsafeRawBufferPointer(bytes)) - 1
        }
        return added
    }

    /// What a chunk's or flush's events return: a refused submit leaves its events
    /// unacknowledged, and one more keeps the chunk unsettled too.
    func dueAcknowledgements(_ produced: Int) -> Int { refused ? produced + 1 : produced }

    /// Caught up: the partial slabs go now, so a quiet stream is delivered at once. But while
    /// every worker is busy and batches wait, one more small batch per caught-up moment would
    /// pile up as many tiny requests (a writer trickling lines to a slow endpoint): then the
    /// events are copied into the tracker's open batch for their stream instead, which grows until
    /// it is full or its flush interval passes, and a worker takes it.
    func caughtUp() {
        if tracker.hasQueuedBatches && tracker.hasRoom {
            for stream in slabs.indices where slabs[stream].count > 0 { track(stream) }
        } else {
            submitAll()
        }
    }

    func hasRoom() -> Bool { tracker.hasRoom }

    func waitForRoom(timeout: Double) -> Bool { tracker.waitForRoom(timeout: timeout) }

    /// Submits every partial slab (caught up, end of a run, shutdown).
    func submitAll() {
        for stream in slabs.indices where slabs[stream].count > 0 { submit(stream) }
    }

    func submitExpired() {
        let now = Clock.nanos()
        for (stream, slab) in slabs.enumerated() where slab.count > 0 && now &- slab.firstEventNanos >= flushNanos {
            submit(stream)
        }
    }

    /// Copies the slab's events into the tracker's open batch for the stream (see `caughtUp`).
    private func track(_ stream: Int) {
        do {
            let events = slabs[stream].count
            try tracker.track(slabs[stream], to: streamIDs[stream])
            ledger.submitted(events, stream: streamNames[stream])
        } catch {
            refused = true
            logger.debug("tracker refused events", ["input": name, "error": error.description])
        }
        slabs[stream].removeAll()
    }

    private func submit(_ stream: Int) {
        do {
            // Never waits: the tailer asks `hasRoom` before each read instead, so that it keeps
            // finding files while delivery is behind.
            let events = slabs[stream].count
            try tracker.submitWithoutWaiting(slabs[stream], to: streamIDs[stream])
            ledger.submitted(events, stream: streamNames[stream])
        } catch {
            // Only while stopping: these lines stay unacknowledged, so their checkpoint does not
            // pass them and the next run reads them again.
            refused = true
            slabs[stream].removeAll()
            logger.debug("tracker refused events", ["input": name, "error": error.description])
        }
    }
}

/// What one input did, for the summary.
final class InputCounters: Sendable {
    let lines = Atomic<Int>(0)
    let events = Atomic<Int>(0)
    let dropped = Atomic<Int>(0)
    let parseFailures = Atomic<Int>(0)
}
