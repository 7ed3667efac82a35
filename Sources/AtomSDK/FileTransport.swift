import AtomBase
import Glibc

/// Delivers batches to files: each event plus "\n" appended to `<directory>/<stream>.jsonl`.
///
/// Files are opened once (O_APPEND|O_CREAT) and kept; each batch is one write(2) under that
/// file's lock, so concurrent workers never interleave lines. A `/` in a stream name becomes `_`.
public final class FileTransport: Transport {
    /// The folder holding one file per stream.
    public let directory: String
    private let files: FileTable

    /// Creates `directory` (and its parents) when missing.
    /// - Throws: `SystemError` when the folder cannot be created.
    public init(directory: String) throws(SystemError) {
        try Sys.makeDirectories(directory)
        self.directory = directory
        self.files = FileTable()
    }

    /// Appends the batch's events as lines; `.retry` when the file cannot be opened or written.
    public func send(_ batch: EventBatch) -> TransportResult {
        let path = Path.join(directory, Self.fileName(for: batch.stream))
        do {
            // Events are stored as JSON lines already: one write, no copy.
            try files.file(at: path).append(batch.jsonLines)
            return .delivered
        } catch {
            return .retry(status: nil, reason: error.description, retryAfter: nil)
        }
    }

    /// `<stream>.jsonl`, with `/` and NUL replaced and a leading dot escaped, so a stream name
    /// cannot leave the folder.
    static func fileName(for stream: String) -> String {
        var name = String(stream.map { $0 == "/" || $0 == "\0" ? "_" : $0 })
        if name.isEmpty || name.hasPrefix(".") { name = "_" + name }
        return name + ".jsonl"
    }
}

/// Open files by path, each opened once and kept.
private final class FileTable: @unchecked Sendable {
    // Safe: `open` is only touched under `lock`; each AppendFile has its own lock.
    private let lock = ConditionLock()
    private var open: [String: AppendFile] = [:]

    func file(at path: String) throws(SystemError) -> AppendFile {
        lock.lock()
        defer { lock.unlock() }
        if let file = open[path] { return file }
        let file = try AppendFile(path: path, mode: 0o644)
        open[path] = file
        return file
    }
}

/// A file opened for appending, owned by this object (closed in deinit), one writer at a time.
final class AppendFile: @unchecked Sendable {
    // Safe: the descriptor is immutable; writes are serialised by `lock`.
    let path: String
    private let fd: Int32
    private let lock = ConditionLock()

    init(path: String, mode: mode_t) throws(SystemError) {
        self.path = path
        fd = try Sys.open(path, O_WRONLY | O_APPEND | O_CREAT, mode: mode)
    }

    deinit { Sys.close(fd) }

    /// Appends `bytes` in one write(2) (looping only on a short write).
    func append(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        lock.lock()
        defer { lock.unlock() }
        try Sys.writeAll(fd, bytes, path: path)
    }
}
