import Foundation
import Glibc

/// A tmpfs of a few hundred KiB mounted on a fresh folder, so that a test can fill a disk for
/// real (ENOSPC from the kernel, not a stub). Needs the right to mount (root in this project's
/// machines and CI); `available` says whether this machine gives it. Unmounted on deinit.
public final class SmallFilesystem: @unchecked Sendable {
    // Safe: `path` and `folder` are immutable; the filler file belongs to the test that made it.

    /// The mount point.
    public let path: String
    private let folder: TempDir

    /// Whether tmpfs can be mounted here (tried once).
    public static let available: Bool = {
        guard let probe = try? SmallFilesystem(bytes: 64 * 1024) else { return false }
        _ = probe
        return true
    }()

    /// Mounts a tmpfs of `bytes` (rounded up to pages by the kernel) on a new folder.
    public init(bytes: Int) throws {
        folder = try TempDir(prefix: "atom-small-fs")
        path = folder.path
        try Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(bytes),mode=0755", "tmpfs", path])
    }

    deinit {
        try? Self.run("/bin/umount", ["-l", path])
    }

    /// The path of `name` on the filesystem.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes zeros to `filler` until the filesystem is full; returns the bytes written.
    @discardableResult
    public func fill() -> Int {
        let fd = open(file("filler"), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        let block = [UInt8](repeating: 0, count: 4096)
        var total = 0
        while true {
            let n = block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            total += n
        }
        // Byte-sized leftovers after the last whole block.
        while block.withUnsafeBytes({ write(fd, $0.baseAddress, 1) }) == 1 { total += 1 }
        return total
    }

    /// Deletes the filler, giving the space back.
    public func release() {
        unlink(file("filler"))
    }

    private static func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw POSIXError(.EPERM, userInfo: [NSLocalizedDescriptionKey: "\(tool) failed"])
        }
    }
}
