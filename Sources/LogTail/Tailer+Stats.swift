import AtomBase

/// What one followed file looks like now, for `status` and metrics.
public struct FileStats: Sendable, Equatable {
    public var input: String
    /// The checkpoint key and the fingerprint it came from.
    public var key: String
    public var fingerprint: String
    public var fingerprintLength: Int
    public var device: UInt64
    public var inode: UInt64
    public var path: String
    /// Bytes settled (delivered, dead-lettered or dropped) and bytes read.
    public var settled: Int64
    public var readTo: Int64
    /// Unix times of the last read that found lines and the last delivery that moved `settled`
    /// (0: not yet in this run).
    public var lastRead: Double
    public var lastDelivery: Double

    public init(input: String, key: String, fingerprint: String, fingerprintLength: Int, device: UInt64,
                inode: UInt64, path: String, settled: Int64, readTo: Int64, lastRead: Double,
                lastDelivery: Double) {
        self.input = input
        self.key = key
        self.fingerprint = fingerprint
        self.fingerprintLength = fingerprintLength
        self.device = device
        self.inode = inode
        self.path = path
        self.settled = settled
        self.readTo = readTo
        self.lastRead = lastRead
        self.lastDelivery = lastDelivery
    }
}

extension Tailer {
    /// Every file the tailer holds now (open, or closed with events still in flight), any thread.
    public func fileStats() -> [FileStats] {
        progressLock.withLock {
            progresses.values.map { p in
                FileStats(input: options.input, key: p.key, fingerprint: p.fingerprint.hex,
                          fingerprintLength: p.fingerprint.length, device: p.device, inode: p.inode,
                          path: p.path, settled: p.settled, readTo: p.readTo, lastRead: p.lastRead,
                          lastDelivery: p.lastSettled)
            }
        }
    }

    /// Checkpoint commits that wrote something.
    public var commits: Int { counters.commits.load(ordering: .relaxed) }
}
