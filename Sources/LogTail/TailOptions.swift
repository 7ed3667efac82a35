/// How one input finds and reads its files.
public struct TailOptions: Sendable {
    /// Where reading starts in a file that no checkpoint knows.
    public enum StartAt: String, Sendable { case beginning, end }
    /// The files' text encoding: lines in Latin-1 (ISO 8859-1) are converted to UTF-8 as read.
    public enum Encoding: String, Sendable { case utf8 = "utf-8", latin1 = "latin-1" }

    /// The input's name: checkpoints are kept per (input, file identity).
    public var input: String
    /// glob(3) patterns (brace expansion on), absolute or relative to the working directory.
    public var paths: [String]
    /// fnmatch(3) patterns; one without a slash is matched against the file name only.
    public var exclude: [String] = []
    public var startAt: StartAt = .beginning
    /// Bytes of a file's head (decompressed for gzip) that make its identity.
    public var fingerprintBytes = 1024
    /// Longer lines are cut to this many bytes and flagged.
    public var maxLineBytes = 1 << 20
    /// Bytes read per system call.
    public var readBufferBytes = 256 << 10
    /// Bytes read from one file before the others get a turn.
    public var readBudgetBytes = 1 << 20
    /// Bytes per second the input reads at most, over all its files (0: no cap).
    public var maxReadBytesPerSecond = 0
    /// Descriptors the input keeps open at most; idle files beyond it are closed and opened
    /// again when they change.
    public var maxOpenFiles = 512
    /// Files not modified for this many seconds when found, and unknown to the checkpoints, are
    /// not read until they change; then only what was added is read (0: read every file).
    public var ignoreOlderThan = 0.0
    public var encoding = Encoding.utf8
    /// Seconds between full rescans of the globs and of every file's size: a safety net behind
    /// inotify, which reports new, moved and written files at once (and says when it lost events,
    /// which starts a rescan at once). Without inotify, or for a folder it cannot watch, files are
    /// polled every `pollInterval` instead.
    public var rescanInterval = 60.0
    /// Seconds between polls when inotify cannot be used.
    public var pollInterval = 1.0
    /// Unread bytes that files whose path no longer leads to them (deleted, or renamed out of
    /// the globs) may hold open in total; beyond it the oldest are released and their unread
    /// bytes given up, with a warning (0: no limit).
    public var rotatedMaxBytes: Int64 = 0
    /// Seconds such a file is kept open at most before its unread bytes are given up (0: no limit).
    public var rotatedMaxAge = 0.0
    /// Seconds a rotated-away file stays open without growing before it is closed.
    public var rotateIdle = 5.0
    /// Seconds an unterminated last line waits for the rest before it is emitted.
    public var partialLineTimeout = 5.0
    /// Seconds a gzip archive that ends early may still be being written before it is reported broken.
    public var gzipSettle = 10.0
    /// Seconds between checkpoint commits (0: after every pass that settled something).
    public var commitInterval = 1.0

    public init(input: String, paths: [String]) {
        self.input = input
        self.paths = paths
    }

    /// Whether any file matches `pattern` now (glob syntax with `{a,b}` and `**`).
    public static func anyFileMatches(_ pattern: String) -> Bool { Discovery.anyFileMatches(pattern) }
}

/// Receives the lines a tailer reads, on the tailer's thread.
public protocol LineConsumer: AnyObject {
    /// Turns the chunk's lines into events and returns how many of them must be acknowledged with
    /// `chunk.token` (through `Tailer.acknowledge`) before the file's checkpoint may pass these lines.
    func consume(_ chunk: LineChunk) -> Int
    /// Every file of the input has been read to its current end.
    func caughtUp()
    /// Whether the consumer can take more lines now. While it cannot, the tailer reads nothing but
    /// keeps finding files (so that one created and deleted meanwhile is opened and held).
    func hasRoom() -> Bool
    /// Waits up to `timeout` seconds for room; true when there is room.
    func waitForRoom(timeout: Double) -> Bool
    /// Offset of the first line of `file` the consumer still holds without an event made from it
    /// (a multiline event or a partial container line still being joined), or nil when it holds
    /// none. Asked after each call that hands the consumer lines or a token; the file's checkpoint
    /// passes no further than this offset until the lines are in an event.
    func heldOffset(of file: FileDescription) -> Int64?
    /// `file` has had no new data for `quietSeconds` and the consumer holds lines of it: it may
    /// emit them now. Returns how many events it made, to be acknowledged with `token`.
    func fileQuiet(_ file: FileDescription, quietSeconds: Double, token: UInt64) -> Int
    /// No more lines of `file` will come (rotated away or deleted, truncated, finished, or the end
    /// of a `--once` run): the consumer emits what it holds. Returns how many events it made, to
    /// be acknowledged with `token`.
    func fileReleased(_ file: FileDescription, token: UInt64) -> Int
}

extension LineConsumer {
    public func hasRoom() -> Bool { true }
    public func waitForRoom(timeout: Double) -> Bool { true }
    public func heldOffset(of file: FileDescription) -> Int64? { nil }
    public func fileQuiet(_ file: FileDescription, quietSeconds: Double, token: UInt64) -> Int { 0 }
    public func fileReleased(_ file: FileDescription, token: UInt64) -> Int { 0 }
}
