import AtomBase

/// When an appended file (a stream's output file, the dead-letter file) is rotated by size.
///
/// Once the next write would take the live file past `maxFileBytes`, it is renamed `FILE.1`;
/// older rotated files move up one number (`FILE.1` to `FILE.2`, ...), so the highest number is
/// the oldest. Then the oldest rotated files are deleted until they and a full live file would
/// hold at most `maxTotalBytes` together. One write is never split, so a file can pass
/// `maxFileBytes` (and the files `maxTotalBytes`) by one batch.
public struct FileRotation: Sendable, Equatable {
    /// Bytes a file may hold before it is rotated; nil never rotates.
    public var maxFileBytes: Int?
    /// Bytes the live and rotated files may hold together; nil keeps every rotated file.
    public var maxTotalBytes: Int?

    /// Rotation at `maxFileBytes` per file, keeping `maxTotalBytes` in all (nil: no bound).
    public init(maxFileBytes: Int? = nil, maxTotalBytes: Int? = nil) {
        self.maxFileBytes = maxFileBytes
        self.maxTotalBytes = maxTotalBytes
    }

    /// No rotation: one file that grows.
    public static let none = FileRotation()

    /// The rotated files of `path` that exist, newest first (`path.1`, `path.2`, ... up to the first
    /// number missing).
    public static func rotatedFiles(of path: String) -> [String] {
        var files: [String] = []
        while case let next = "\(path).\(files.count + 1)", Path.exists(next) { files.append(next) }
        return files
    }
}
