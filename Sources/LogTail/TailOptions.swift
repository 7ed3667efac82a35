/// How one input finds and reads its files.
public struct TailOptions: Sendable {
    /// Where reading starts in a file that no checkpoint knows.
    public enum StartAt: String, Sendable { case beginning, end }

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
    public var readBudgetBytes = 4 << 20
    /// Seconds between full rescans of the globs (inotify wakes the tailer sooner).
    public var rescanInterval = 1.0
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
}

extension LineConsumer {
    public func hasRoom() -> Bool { true }
    public func waitForRoom(timeout: Double) -> Bool { true }
}
