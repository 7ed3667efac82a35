/// Complete lines of one file, framed from one read, handed to the consumer in one call.
///
/// The bytes live in the tailer's work buffer and are valid only during `consume`.
public struct LineChunk {
    /// The file the lines came from.
    public let file: FileDescription
    /// Acknowledge events made from these lines with this token (`Tailer.acknowledge`). Its top eight
    /// bits are zero: a caller feeding several tailers into one tracker may mark them.
    public let token: UInt64
    /// Line bytes without their terminator (LF or CRLF).
    @usableFromInline let base: UnsafePointer<UInt8>
    @usableFromInline let starts: UnsafeBufferPointer<Int>
    @usableFromInline let ends: UnsafeBufferPointer<Int>
    @usableFromInline let offsets: UnsafeBufferPointer<Int64>
    @usableFromInline let truncatedFlags: UnsafeBufferPointer<Bool>
    /// How many of the lines were cut at `maxLineBytes` (0 in nearly every chunk, so a consumer
    /// needs to look at `isTruncated` only when it is not).
    public let cutLines: Int

    init(file: FileDescription, token: UInt64, framer: LineFramer, cutLines: Int) {
        self.file = file
        self.token = token
        self.cutLines = cutLines
        self.base = UnsafePointer(framer.lineBase)
        self.starts = UnsafeBufferPointer(start: framer.starts.base, count: framer.lineCount)
        self.ends = UnsafeBufferPointer(start: framer.ends.base, count: framer.lineCount)
        self.offsets = UnsafeBufferPointer(start: framer.offsets.base, count: framer.lineCount)
        self.truncatedFlags = UnsafeBufferPointer(start: framer.truncated.base, count: framer.lineCount)
    }

    public var count: Int { starts.count }

    /// The bytes of line `i`, without its terminator.
    @inlinable
    public func line(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + starts[i], count: ends[i] - starts[i])
    }

    /// File offset of the first byte of line `i` (decompressed offset for gzip).
    @inlinable
    public func offset(_ i: Int) -> Int64 { offsets[i] }

    /// True when line `i` was cut at `maxLineBytes`.
    @inlinable
    public func isTruncated(_ i: Int) -> Bool { truncatedFlags[i] }
}

/// What a consumer knows of the file a chunk came from.
public struct FileDescription: Sendable, Equatable {
    /// Names the file among those the tailer has open now: stable while it stays attached (across
    /// renames), reused only after it is released. A consumer keeps per-file state under it.
    public var id: UInt32
    public var path: String
    public var fingerprint: String
    public var isGzip: Bool
}
