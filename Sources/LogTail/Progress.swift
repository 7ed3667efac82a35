import AtomBase

/// How far one file identity's lines are settled.
///
/// Every read of a file is a chunk with a sequence number and the offset just past its last line. A
/// chunk settles when every event made from it is acknowledged; the settled offset moves to the end of
/// the highest chunk below which all chunks are settled. Acknowledgements arrive from tracker threads
/// in any order; chunks may be acknowledged before the reader has finished registering them, so a chunk
/// stays open until `close` adds its event count.
final class Progress {
    struct Chunk {
        var end: Int64
        var remaining: Int
        var open: Bool
    }

    let id: UInt32
    /// The checkpoint key (fingerprint, or `dev:inode` for short files) and what it was computed from.
    var key: String
    var fingerprint: Fingerprint
    var device: UInt64
    var inode: UInt64
    var path: String
    /// Offset below which every line is settled.
    private(set) var settled: Int64
    /// Offset just past the last line read (settled or not).
    var readTo: Int64
    /// Settled moved since the last commit.
    var dirty = false
    /// Keys this identity had before (a short file that grew): deleted at the next commit.
    var retiredKeys: [String] = []
    /// No file is attached any more (closed, truncated away or superseded).
    var detached = false
    /// Unix times of the last read that found lines and of the last move of `settled` (for status).
    var lastRead: Double = 0
    var lastSettled: Double = 0

    private var chunks: [Chunk] = []
    private var head = 0
    private var firstSequence: UInt64 = 0
    private var nextSequence: UInt64 = 0

    init(id: UInt32, key: String, fingerprint: Fingerprint, device: UInt64, inode: UInt64, path: String,
         offset: Int64) {
        self.id = id
        self.key = key
        self.fingerprint = fingerprint
        self.device = device
        self.inode = inode
        self.path = path
        self.settled = offset
        self.readTo = offset
    }

    var isIdle: Bool { head == chunks.count }

    /// Opens a chunk and returns its sequence number.
    func open() -> UInt64 {
        if head == chunks.count {
            chunks.removeAll(keepingCapacity: true)
            head = 0
            firstSequence = nextSequence
        }
        chunks.append(Chunk(end: 0, remaining: 0, open: true))
        defer { nextSequence += 1 }
        return nextSequence
    }

    /// Closes chunk `sequence`: its lines end at `end` and `events` acknowledgements are due. Once
    /// they are, the chunk settles up to `settleTo` (at most `end`; `end` when nil): less when the
    /// consumer still holds its last lines, which a later chunk's event will cover.
    func close(_ sequence: UInt64, end: Int64, settleTo: Int64? = nil, events: Int) {
        let index = Int(sequence - firstSequence)
        chunks[index].end = min(end, settleTo ?? end)
        chunks[index].remaining += events
        chunks[index].open = false
        if end > readTo {
            readTo = end
            lastRead = Clock.unixTime()
        }
        advance()
    }

    /// Records `count` acknowledged events of chunk `sequence`.
    func acknowledge(_ sequence: UInt64, count: Int) {
        guard sequence >= firstSequence else { return }
        let index = Int(sequence - firstSequence)
        guard index < chunks.count else { return }
        chunks[index].remaining -= count
        advance()
    }

    /// Moves `settled` (for a file whose identity restarted, e.g. truncated to zero).
    func reset(to offset: Int64) {
        settled = offset
        readTo = offset
        dirty = true
    }

    private func advance() {
        while head < chunks.count, !chunks[head].open, chunks[head].remaining <= 0 {
            if chunks[head].end > settled {
                settled = chunks[head].end
                dirty = true
                lastSettled = Clock.unixTime()
            }
            head += 1
        }
        if head > 4096 && head * 2 > chunks.count {
            chunks.removeFirst(head)
            firstSequence += UInt64(head)
            head = 0
        }
    }

    /// A chunk's token: the progress id in bits 40 to 55, the sequence in bits 0 to 39. The top eight
    /// bits stay zero, free for the caller (the shipper puts its input index there).
    static func token(id: UInt32, sequence: UInt64) -> UInt64 {
        UInt64(id & 0xFFFF) << 40 | (sequence & 0xFF_FFFF_FFFF)
    }

    static func split(_ token: UInt64) -> (id: UInt32, sequence: UInt64) {
        (UInt32(truncatingIfNeeded: (token >> 40) & 0xFFFF), token & 0xFF_FFFF_FFFF)
    }

    static let maxID: UInt32 = 0xFFFF
}
