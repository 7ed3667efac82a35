import Glibc

private typealias CStat = stat

/// stat(2) outside `Sys`, whose own `stat` would shadow the C function.
private func cStat(_ path: String, _ st: inout CStat) -> Int32 { stat(path, &st) }

/// A failed system call: which call, on what path, and errno.
public struct SystemError: Error, CustomStringConvertible, Equatable, Sendable {
    public var call: String
    public var path: String
    public var errno: Int32

    public init(_ call: String, path: String = "", errno: Int32 = Glibc.errno) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    public var message: String { String(cString: strerror(errno)) }

    public var description: String {
        path.isEmpty ? "\(call): \(message)" : "\(call) \(path): \(message)"
    }
}

/// File metadata the follower cares about.
public struct FileStat: Equatable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var modifiedNanos: Int64
    public var isRegular: Bool
    public var isDirectory: Bool
    public var links: UInt64
    public var mode: UInt32

    init(_ st: stat) {
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        modifiedNanos = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        isRegular = (st.st_mode & S_IFMT) == S_IFREG
        isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
        links = UInt64(st.st_nlink)
        mode = UInt32(st.st_mode)
    }
}

/// System calls that read errno at once, retry EINTR, and throw `SystemError` naming the path.
public enum Sys {
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws(SystemError) -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw SystemError("open", path: path) }
        }
    }

    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Reads up to `count` bytes; returns 0 at end of file.
    public static func read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int,
                            path: String = "") throws(SystemError) -> Int {
        while true {
            let n = Glibc.read(fd, buffer, count)
            if n >= 0 { return n }
            if errno != EINTR { throw SystemError("read", path: path) }
        }
    }

    public static func pread(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, _ offset: Int64,
                             path: String = "") throws(SystemError) -> Int {
        while true {
            let n = Glibc.pread(fd, buffer, count, off_t(offset))
            if n >= 0 { return n }
            if errno != EINTR { throw SystemError("pread", path: path) }
        }
    }

    /// Writes all of `bytes`, looping over short writes.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String = "") throws(SystemError) {
        guard var pointer = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = Glibc.write(fd, pointer, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("write", path: path)
            }
            pointer += n
            left -= n
        }
    }

    public static func fstat(_ fd: Int32, path: String = "") throws(SystemError) -> FileStat {
        var st = CStat()
        if Glibc.fstat(fd, &st) != 0 { throw SystemError("fstat", path: path) }
        return FileStat(st)
    }

    /// stat(2), following symbolic links.
    public static func stat(path: String) throws(SystemError) -> FileStat {
        var st = CStat()
        if cStat(path, &st) != 0 { throw SystemError("stat", path: path) }
        return FileStat(st)
    }

    public static func fsync(_ fd: Int32, path: String = "") throws(SystemError) {
        if Glibc.fsync(fd) != 0 { throw SystemError("fsync", path: path) }
    }

    public static func rename(_ from: String, _ to: String) throws(SystemError) {
        if Glibc.rename(from, to) != 0 { throw SystemError("rename", path: from) }
    }

    public static func unlink(_ path: String) throws(SystemError) {
        if Glibc.unlink(path) != 0 { throw SystemError("unlink", path: path) }
    }

    /// Creates a directory and its parents; an existing directory is fine.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(SystemError) {
        if path.isEmpty || path == "/" { return }
        var st = CStat()
        if cStat(path, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR { return }
            throw SystemError("mkdir", path: path, errno: ENOTDIR)
        }
        let parent = Path.directory(of: path)
        if parent != path { try makeDirectories(parent, mode: mode) }
        if Glibc.mkdir(path, mode) != 0 && errno != EEXIST { throw SystemError("mkdir", path: path) }
    }

    /// Reads a whole file (for configs and small fixtures).
    public static func readFile(_ path: String) throws(SystemError) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        var result: [UInt8] = []
        let chunkSize = 65536
        let chunk = UnsafeMutableRawPointer.allocate(byteCount: chunkSize, alignment: 1)
        defer { chunk.deallocate() }
        while true {
            let n = try read(fd, chunk, chunkSize, path: path)
            if n == 0 { break }
            result.append(contentsOf: UnsafeRawBufferPointer(start: chunk, count: n))
        }
        return result
    }

    /// Writes a whole file through a temporary name and a rename, so readers never see half of it.
    public static func writeFileAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(SystemError) {
        let temporary = path + ".tmp.\(getpid())"
        let fd = try open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
        let written: SystemError? = bytes.withUnsafeBytes { raw in
            do throws(SystemError) {
                try writeAll(fd, raw, path: temporary)
                return nil
            } catch {
                return error
            }
        }
        close(fd)
        if let written {
            _ = Glibc.unlink(temporary)
            throw written
        }
        try rename(temporary, path)
    }
}

/// Path string helpers (no Foundation).
public enum Path {
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    public static func base(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    public static func join(_ a: String, _ b: String) -> String {
        if b.hasPrefix("/") { return b }
        if a.isEmpty || a == "." { return b }
        return a.hasSuffix("/") ? a + b : a + "/" + b
    }

    /// Makes a path absolute against the working directory (or `base`), without resolving links.
    public static func absolute(_ path: String, base: String? = nil) -> String {
        if path.hasPrefix("/") { return path }
        return join(base ?? currentDirectory(), path)
    }

    public static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        let length = buffer.firstIndex(of: 0) ?? buffer.count
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}
