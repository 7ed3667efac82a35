import Foundation
import Glibc

/// A folder under /tmp made with mkdtemp and removed, with everything in it, on deinit.
public final class TempDir: @unchecked Sendable {
    // Safe: `path` is immutable; the folder's contents belong to the test that made it.

    /// The folder's absolute path.
    public let path: String

    /// Creates `/tmp/<prefix>.<six random characters>` with mkdtemp(3).
    public init(prefix: String = "atom-test") throws {
        var template = Array("/tmp/\(prefix).\(String(repeating: "X", count: 6))".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            return mkdtemp(base) != nil
        }
        guard made else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let bytes = template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        path = String(decoding: bytes, as: UTF8.self)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The path of `name` inside the folder.
    public func file(_ name: String) -> String {
        path + "/" + name
    }

    /// The lines of a file inside the folder (without their "\n"); empty when it does not exist.
    public func lines(of name: String) -> [String] {
        TempDir.lines(atPath: file(name))
    }

    /// The lines of the file at `path` (without their "\n"); empty when it does not exist.
    public static func lines(atPath path: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        var lines = String(decoding: data, as: UTF8.self).components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}
