import AtomBase
import Glibc

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
    /// A digest of everything `fileStats()` would report: when it has not changed, neither have
    /// the figures (barring a 64-bit hash collision), so a snapshot can skip building them.
    public func fileStatsDigest() -> (digest: Int, count: Int) {
        progressLock.withLock {
            var hasher = Hasher()
            for (id, p) in progresses {
                hasher.combine(id)
                hasher.combine(p.key)
                hasher.combine(p.path)
                hasher.combine(p.settled)
                hasher.combine(p.readTo)
                hasher.combine(p.lastRead)
                hasher.combine(p.lastSettled)
            }
            return (hasher.finalize(), progresses.count)
        }
    }

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

extension Tailer {
    /// Bytes the input's files hold beyond their checkpoints now: what a `--once` run will read
    /// (decompressed sizes for gzip, from each archive's trailer, so an estimate for archives over
    /// 4 GiB or with several members). Call before `run`.
    public func unreadBytes() -> Int64 {
        // A checkpoint of a file at least `fingerprintBytes` long names its content: the file may
        // have been renamed or compressed since (another inode), and its old inode may belong to
        // a new file now. Shorter files are known by device and inode.
        var byContent: [String: Int64] = [:]
        var byInode: [FileKey: Int64] = [:]
        for row in rows.values {
            if row.fingerprintLength >= options.fingerprintBytes {
                byContent[row.fingerprint] = max(byContent[row.fingerprint] ?? 0, row.offset)
            } else {
                byInode[FileKey(device: row.device, inode: row.inode)] = row.offset
            }
        }
        var total: Int64 = 0
        for found in discovery.scan(warn: { _, _ in }).files {
            var done: Int64?
            if !byContent.isEmpty, let hex = Self.fullFingerprint(found.path, options.fingerprintBytes) {
                done = byContent[hex]
            }
            done = done ?? byInode[FileKey(device: found.stat.device, inode: found.stat.inode)]
            let size = Self.gzipSize(found.path) ?? found.stat.size
            total += max(0, size - (done ?? 0))
        }
        return total
    }

    /// The fingerprint of the file's first `length` bytes (decompressed for gzip), or nil when it
    /// is shorter or cannot be read.
    static func fullFingerprint(_ path: String, _ length: Int) -> String? {
        guard let fd = try? Sys.open(path, O_RDONLY) else { return nil }
        defer { Sys.close(fd) }
        let head = HeadReader.read(fd: fd, path: path, gzip: HeadReader.isGzip(fd: fd, path: path), limit: length)
        guard head.bytes.count >= length else { return nil }
        return head.bytes.withUnsafeBytes { Fingerprint.of($0).hex }
    }

    /// The decompressed size a gzip file's trailer records (ISIZE, modulo 4 GiB), or nil.
    static func gzipSize(_ path: String) -> Int64? {
        guard let fd = try? Sys.open(path, O_RDONLY) else { return nil }
        defer { Sys.close(fd) }
        var magic = [UInt8](repeating: 0, count: 2)
        guard (try? Sys.pread(fd, &magic, 2, 0)) == 2, magic == [0x1F, 0x8B],
              let size = try? Sys.fstat(fd).size, size >= 18 else { return nil }
        var trailer = [UInt8](repeating: 0, count: 4)
        guard (try? Sys.pread(fd, &trailer, 4, size - 4)) == 4 else { return nil }
        return Int64(trailer[0]) | Int64(trailer[1]) << 8 | Int64(trailer[2]) << 16 | Int64(trailer[3]) << 24
    }
}
