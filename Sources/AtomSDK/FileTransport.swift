import AtomBase
import Glibc

/// Delivers batches to files: each event plus "\n" appended to `<directory>/<stream>.jsonl`.
///
/// Files are opened once (O_APPEND|O_CREAT) and kept; each batch is one write(2) under that
/// file's lock, so concurrent workers never interleave lines. A `/` in a stream name becomes `_`.
/// With a `FileRotation`, each stream's file is rotated by size (`web.jsonl.1`, `.2`, ...).
public final class FileTransport: Transport {
    /// The folder holding one file per stream.
    public let directory: String
    /// How each stream's file is rotated.
    public let rotation: FileRotation
    private let files: FileTable
    private let logger: Logger

    /// Creates `directory` (and its parents) when missing.
    /// - Parameters:
    ///   - rotation: when each stream's file is rotated and old ones deleted (none by default).
    ///   - logger: receives the rotated files deleted to keep `rotation.maxTotalBytes`.
    /// - Throws: `SystemError` when the folder cannot be created.
    public init(directory: String, rotation: FileRotation = .none, logger: Logger = .disabled) throws(SystemError) {
        try Sys.makeDirectories(directory)
        self.directory = directory
        self.rotation = rotation
        self.logger = logger
        self.files = FileTable(rotation: rotation, logger: logger)
    }

    /// Appends the batch's events as lines; `.retry` when the file cannot be opened or written.
    public func send(_ batch: EventBatch) -> TransportResult {
        let path = Path.join(directory, Self.fileName(for: batch.stream))
        do {
            // Events are stored as JSON lines already: one write, no copy.
            let deleted = try files.file(at: path).append(batch.jsonLines)
            for file in deleted {
                logger.info("rotated output file deleted to keep the total size",
                            ["path": file.path, "bytes": String(file.bytes)])
            }
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
    private let rotation: FileRotation
    private let logger: Logger

    init(rotation: FileRotation, logger: Logger) {
        self.rotation = rotation
        self.logger = logger
    }

    func file(at path: String) throws(SystemError) -> AppendFile {
        lock.lock()
        defer { lock.unlock() }
        if let file = open[path] { return file }
        let file = try AppendFile(path: path, mode: 0o644, rotation: rotation, logger: logger, role: "output file")
        open[path] = file
        return file
    }
}
