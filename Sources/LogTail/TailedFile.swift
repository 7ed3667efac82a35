import AtomBase
import Glibc

/// One open file of an input: its descriptor, reader, framing state and progress.
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
    private(set) var fd: Int32
    let device: UInt64
    let inode: UInt64
    var kind: Kind
    var gzip: GzipReader?
    /// Decompresses ahead on its own thread (large archives).
    var prefetch: GzipPrefetcher?
    var state: State = .following
    var progress: Progress?
    /// Logical offset (decompressed for gzip) of the next byte to read.
    var readOffset: Int64 = 0
    let framing: FramingState
    /// Monotonic time of the last read that returned data (or of opening).
    var lastData: UInt64
    var lastSize: Int64
    var lastModified: Int64
    /// The gzip data ended inside a member at this time (archive still being written, or truncated).
    var gzipStalledSince: UInt64?
    /// Seen by the latest discovery.
    var seen = true

    init(path: String, fd: Int32, stat: FileStat, kind: Kind, now: UInt64) {
        self.path = path
        self.fd = fd
        self.device = stat.device
        self.inode = stat.inode
        self.kind = kind
        self.framing = FramingState(offset: 0)
        self.lastData = now
        self.lastSize = stat.size
        self.lastModified = stat.modifiedNanos
    }

    deinit { closeDescriptor() }

    var isOpen: Bool { fd >= 0 }

    func closeDescriptor() {
        prefetch?.cancel()
        prefetch = nil
        gzip = nil
        if fd >= 0 { Sys.close(fd) }
        fd = -1
    }

    var identityKey: String { "\(device):\(inode)" }

    var description: FileDescription {
        FileDescription(id: progress?.id ?? 0, path: path, fingerprint: progress?.fingerprint.hex ?? "",
                        isGzip: kind == .gzip)
    }
}
