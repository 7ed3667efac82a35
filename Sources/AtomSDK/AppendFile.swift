import AtomBase
import Glibc

/// A file opened for appending, owned by this object (closed in deinit), one writer at a time,
/// rotated by size when its `FileRotation` says so. When its path no longer leads to it (deleted
/// or moved away by someone else), the next append opens the path anew, with a warning: writing
/// on into a file nobody can find would lose what is written without a word.
final class AppendFile: @unchecked Sendable {
    // Safe: `fd`, `size` and `identity` are only touched under `lock`; the rest is immutable.
    let path: String
    let rotation: FileRotation
    private let mode: mode_t
    private let lock = ConditionLock()
    private let logger: Logger
    /// What the file is, for the warning ("output file", "dead-letter file").
    private let role: String
    private var fd: Int32
    private var size: Int
    private var identity: (device: UInt64, inode: UInt64)?

    init(path: String, mode: mode_t, rotation: FileRotation = .none, logger: Logger = .disabled,
         role: String = "file") throws(SystemError) {
        self.path = path
        self.mode = mode
        self.rotation = rotation
        self.logger = logger
        self.role = role
        fd = try Sys.open(path, O_WRONLY | O_APPEND | O_CREAT, mode: mode)
        let st = try? Sys.fstat(fd, path: path)
        identity = st.map { ($0.device, $0.inode) }
        size = rotation.maxFileBytes == nil ? 0 : Int(st?.size ?? 0)
    }

    /// Opens the path again when it no longer leads to the open file. Lock held.
    private func reopenIfMovedLocked() throws(SystemError) {
        if let st = try? Sys.stat(path: path), let identity, st.device == identity.device,
           st.inode == identity.inode { return }
        let fresh = try Sys.open(path, O_WRONLY | O_APPEND | O_CREAT, mode: mode)
        Sys.close(fd)
        fd = fresh
        let st = try? Sys.fstat(fd, path: path)
        identity = st.map { ($0.device, $0.inode) }
        size = Int(st?.size ?? 0)
        logger.warning("\(role) was deleted or moved away while open; writing to a new one at its path",
                       ["path": path])
    }

    deinit { Sys.close(fd) }

    /// Appends `bytes` in one write(2) (looping only on a short write), rotating the file first
    /// when they would take it past `maxFileBytes`.
    /// - Returns: the rotated files deleted to keep `maxTotalBytes`, with their sizes.
    @discardableResult
    func append(_ bytes: UnsafeRawBufferPointer) throws(SystemError) -> [(path: String, bytes: Int)] {
        lock.lock()
        defer { lock.unlock() }
        var deleted: [(path: String, bytes: Int)] = []
        try reopenIfMovedLocked()
        if let limit = rotation.maxFileBytes, size > 0 && size + bytes.count > limit {
            deleted = try rotateLocked()
        }
        try Sys.writeAll(fd, bytes, path: path)
        size += bytes.count
        return deleted
    }

    /// Renames the live file `path.1` (older ones up one number), opens a new one, and deletes the
    /// oldest rotated files beyond `maxTotalBytes`.
    private func rotateLocked() throws(SystemError) -> [(path: String, bytes: Int)] {
        let rotated = FileRotation.rotatedFiles(of: path)
        for number in stride(from: rotated.count, through: 1, by: -1) {
            try Sys.rename("\(path).\(number)", "\(path).\(number + 1)")
        }
        try Sys.rename(path, "\(path).1")
        let fresh = try Sys.open(path, O_WRONLY | O_APPEND | O_CREAT, mode: mode)
        Sys.close(fd)
        fd = fresh
        size = 0
        identity = (try? Sys.fstat(fd, path: path)).map { ($0.device, $0.inode) }

        // Room is kept for the new live file to fill up to `maxFileBytes`.
        guard let bound = rotation.maxTotalBytes, let fileBound = rotation.maxFileBytes else { return [] }
        var files = FileRotation.rotatedFiles(of: path).map { file in
            (path: file, bytes: Int((try? Sys.stat(path: file).size) ?? 0))
        }
        var total = files.reduce(0) { $0 + $1.bytes }
        var deleted: [(path: String, bytes: Int)] = []
        while total + fileBound > bound, let oldest = files.popLast() {
            try Sys.unlink(oldest.path)
            total -= oldest.bytes
            deleted.append(oldest)
        }
        return deleted
    }
}
