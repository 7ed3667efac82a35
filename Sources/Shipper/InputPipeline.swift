import AtomBase
import AtomSDK
import LogTail
import StreamMapping
import Synchronization

/// One input's path from lines to the tracker: it maps each line to an event, collects the events of
/// a chunk per stream, and hands each stream's events to the tracker in one call.
final class InputPipeline: LineConsumer, @unchecked Sendable {
    // Safe: after init only its tailer's thread calls consume and caughtUp; other threads read
    // nothing but the atomic counters.
    let index: Int
    let name: String
    private let mapper: EventMapper
    private let tracker: Tracker
    private let streamIDs: [StreamID]
    private let slabs: [EventSlab]
    private let logger: Logger
    let counters = InputCounters()

    init(index: Int, spec: MappingSpec, name: String, tracker: Tracker, logger: Logger) throws(MappingError) {
        self.index = index
        self.name = name
        self.mapper = try EventMapper(spec: spec)
        self.tracker = tracker
        self.logger = logger
        streamIDs = mapper.streams.map { tracker.stream(named: $0.name, authKey: $0.authKey) }
        slabs = mapper.streams.map { _ in EventSlab(capacity: 256 * 1024) }
    }

    /// The token the tracker carries: the tailer's token with this input's index in the top byte.
    static func token(input: Int, chunk: UInt64) -> UInt64 { UInt64(input) << 56 | chunk }
    static func split(_ token: UInt64) -> (input: Int, chunk: UInt64) {
        (Int(token >> 56), token & 0x00FF_FFFF_FFFF_FFFF)
    }

    func consume(_ chunk: LineChunk) -> Int {
        let token = Self.token(input: index, chunk: chunk.token)
        var produced = 0
        var dropped = 0
        for i in 0..<chunk.count {
            guard let stream = mapper.route(chunk.line(i)) else {
                dropped += 1
                continue
            }
            let slab = slabs[stream]
            mapper.encode(into: slab.data)
            slab.commit(token: token)
            produced += 1
        }
        var handed = 0
        for (stream, slab) in slabs.enumerated() where slab.count > 0 {
            do {
                try tracker.track(slab, to: streamIDs[stream])
                handed += slab.count
            } catch {
                // Only while stopping: these lines stay unacknowledged, so their checkpoint does not
                // pass them and the next run reads them again.
                logger.debug("tracker refused events", ["input": name, "error": error.description])
            }
            slab.removeAll()
        }
        counters.lines.add(chunk.count, ordering: .relaxed)
        counters.events.add(produced, ordering: .relaxed)
        counters.dropped.add(dropped, ordering: .relaxed)
        counters.parseFailures.store(mapper.parseFailures, ordering: .relaxed)
        return handed == produced ? produced : produced + 1  // +1 keeps an unsent chunk unsettled
    }

    func caughtUp() {
        for id in streamIDs { tracker.flush(id) }
    }
}

/// What one input did, for the summary.
final class InputCounters: Sendable {
    let lines = Atomic<Int>(0)
    let events = Atomic<Int>(0)
    let dropped = Atomic<Int>(0)
    let parseFailures = Atomic<Int>(0)
}
