import AtomBase
import Glibc

/// One file of an input: its descriptor (when open), reader, framing state and progress.
///
/// A file stays known while it is closed to keep within `maxOpenFiles` ("parked"): its path,
/// offset, framing state and progress are kept, and it is opened again by path, and checked to
/// be the same inode, when it changes.
final class TailedFile {
    enum Kind { case undecided, plain, gzip }
    enum State: Equatable {
        case following
        /// Its path no longer leads to it (renamed away or deleted): read to the end, then closed.
        case rotated(since: UInt64)
        /// Read completely (a finished archive) or given up (broken archive, read error); kept so
        /// that discovery does not open it again.
        case done
    }

    var path: String
    private(set) var fd: Int32 = -1
    let device: UInt64
    let inode: UInt64
    var kind: Kind = .undecided
    var gzip: GzipReader?
    /// Decompresses ahead on its own thread (large archives).
    var prefetch: GzipPrefetcher?
    var state: State = .following
    var progress: Progress?
    /// Logical offset (decompressed for gzip) of the next byte to read.
    var readOffset: Int64 = 0
    let framing: FramingState
    /// Monotonic time of the last read that returned data (or of discovery).
    var lastData: UInt64
    /// Monotonic time the file was first found.
    let trackedAt: UInt64
    /// Identification was put off this many times (a short file that may be a copy).
    var identifyAttempts = 0
    /// The last bytes read, up to `markBytes`: if the bytes before the offset change, the file was
    /// rewritten even when its size and head say nothing.
    var tailMark: [UInt8] = []
    static let markBytes = 128
    /// Monotonic time the file was last read or opened (which idle file to close first).
    var lastUsed: UInt64
    var lastSize: Int64
    var lastModified: Int64
    /// The inotify watch on the file's inode, or -1 (then it is polled while open).
    var watch: Int32 = -1
    /// In the tailer's queue of files to read.
    var queued = false
    /// Where to start when no checkpoint knows the file (`startAt: end`, or a file ignored as
    /// older than `ignoreOlderThan` that changed later): its size when it was found.
    var startOffset: Int64?
    /// Found by the first discovery (a copy of a short file is then matched without waiting).
    var foundAtStart = false
    /// Older than `ignoreOlderThan` when found: not read until it changes.
    var ignored = false
    var everOpened = false
    /// The consumer holds lines of this file that are in no event yet (multiline grouping): it
    /// is offered them when the file is quiet or released.
    var consumerHolds = false
    /// Written to since it was closed to keep within `maxOpenFiles`, not yet read.
    var changedWhileParked = false

    init(path: String, stat: FileStat, now: UInt64) {
        self.path = path
        self.device = stat.device
        self.inode = stat.inode
        self.framing = FramingState(offset: 0)
        self.lastData = now
        self.trackedAt = now
        self.lastUsed = now
        self.lastSize = stat.size
        self.lastModified = stat.modifiedNanos
    }

    deinit { closeDescriptor() }

    var isOpen: Bool { fd >= 0 }

    /// Takes ownership of an open descriptor of this file.
    func adopt(_ descriptor: Int32) {
        closeDescriptor()
        fd = descriptor
    }

    /// Closes the descriptor (stopping an archive's decompressor first).
    func closeDescriptor() {
        prefetch?.cancel()
        prefetch = nil
        gzip = nil
        if fd >= 0 { Sys.close(fd) }
        fd = -1
    }

    /// A line waits for its end, or a cut line is being skipped.
    var hasPendingTail: Bool { !framing.carry.isEmpty || framing.skipping || consumerHolds }

    var isRotated: Bool {
        if case .rotated = state { return true }
        return false
    }

    var identityKey: String { "\(device):\(inode)" }

    var description: FileDescription {
        FileDescription(id: progress?.id ?? 0, path: path, fingerprint: progress?.fingerprint.hex ?? "",
                        isGzip: kind == .gzip)
    }
}
