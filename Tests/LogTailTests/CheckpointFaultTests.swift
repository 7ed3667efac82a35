import AtomBase
import Foundation
import Glibc
@testable import LogTail
import Testing
import TestSupport

/// The checkpoint database's faults: a full disk, a damaged or unreadable file, and the file
/// deleted while the store is open.
@Suite("Checkpoint database faults")
struct CheckpointFaultTests {
    func row(_ key: String, offset: Int64) -> Checkpoint {
        Checkpoint(input: "in", key: key, fingerprint: "fp-\(key)", fingerprintLength: 1024, device: 2049,
                   inode: 131_077, path: "/var/log/\(key).log", offset: offset, updated: 1_700_000_000.5)
    }

    /// The offsets another connection reads from the file (what a restart would see).
    func offsetsOnDisk(_ path: String) throws -> [String: Int64] {
        let reader = try CheckpointStore(readingOnly: path)
        defer { reader.close() }
        var result: [String: Int64] = [:]
        for row in try reader.load(input: "in") { result[row.key] = row.offset }
        return result
    }

    @Test("a full disk fails the commit with a clear error, records nothing, and the retry succeeds",
          .enabled(if: SmallFilesystem.available, "mounting a tmpfs is not permitted here"))
    func diskFull() throws {
        let disk = try SmallFilesystem(bytes: 512 * 1024)
        let path = disk.file("state/cp.sqlite")
        let store = try CheckpointStore(path: path)
        defer { store.close() }
        try store.commit([row("a", offset: 100)])

        #expect(disk.fill() > 0)
        // Enough rows that the transaction needs new pages in the WAL.
        let many = (0..<400).map { row("file-\($0)-" + String(repeating: "k", count: 64), offset: 200) }
        var failure: CheckpointError?
        do {
            try store.commit([row("a", offset: 200)] + many)
        } catch {
            failure = error
        }
        let error = try #require(failure, "the commit succeeded on a full disk")
        #expect(error.path == path)
        #expect(error.description.contains(path))
        #expect(error.message.contains("disk is full"), "\(error)")
        #expect(try offsetsOnDisk(path) == ["a": 100])

        disk.release()
        try store.commit([row("a", offset: 200)] + many)
        let after = try offsetsOnDisk(path)
        #expect(after["a"] == 200)
        #expect(after.count == 401)
    }

    @Test("a file that is not a database is refused by default, naming the file, and left as it was")
    func garbageRefused() throws {
        let dir = try TempDir()
        let path = dir.file("cp.sqlite")
        let garbage = Array("this is not an SQLite database, just some text that got here\n".utf8)
            + [UInt8](repeating: 0xA5, count: 8192)
        try Data(garbage).write(to: URL(fileURLWithPath: path))
        do {
            _ = try CheckpointStore(path: path)
            Issue.record("a garbage file was opened as a database")
        } catch {
            #expect(error.damaged)
            #expect(error.description.contains(path))
            #expect(error.message.contains("onCorrupt"))
        }
        #expect(FileManager.default.contents(atPath: path) == Data(garbage))
        // The lock was released: another attempt gets the same answer, not "another process".
        #expect(throws: CheckpointError.self) { try CheckpointStore(path: path) }
        let again = try? CheckpointStore(path: path)
        #expect(again == nil)
    }

    @Test("policy beginning sets a damaged database aside under a new name and starts empty",
          arguments: [CorruptPolicy.beginning, .end])
    func damagedSetAside(policy: CorruptPolicy) throws {
        let dir = try TempDir()
        let path = dir.file("cp.sqlite")
        do {
            let store = try CheckpointStore(path: path)
            try store.commit((0..<300).map { row("k\($0)", offset: Int64($0)) })
            store.close()
        }
        // Damage the pages after the header (a disk fault, a stray write).
        let fd = open(path, O_WRONLY)
        let junk = [UInt8](repeating: 0x5A, count: 4096)
        for page in 1..<3 { _ = junk.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(page * 4096)) } }
        close(fd)
        let damaged = try #require(FileManager.default.contents(atPath: path))

        let logger = Logger(level: .info, fd: -1, captureLines: true)
        let store = try CheckpointStore(path: path, onCorrupt: policy, logger: logger)
        defer { store.close() }
        let aside = try #require(store.setAside)
        #expect(aside.hasPrefix(path + ".corrupt-"))
        #expect(FileManager.default.contents(atPath: aside) == damaged)
        #expect(try store.loadAll().isEmpty)
        try store.commit([row("new", offset: 5)])
        #expect(try offsetsOnDisk(path) == ["new": 5])
        let logged = logger.capturedLines.joined(separator: "\n")
        #expect(logged.contains("checkpoint database damaged"), "\(logged)")
        #expect(logged.contains(aside))
    }

    @Test("a directory where the database should be is a clear error")
    func directoryInstead() throws {
        let dir = try TempDir()
        let path = dir.file("cp.sqlite")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        do {
            _ = try CheckpointStore(path: path, onCorrupt: .beginning)
            Issue.record("a directory was opened as a database")
        } catch {
            #expect(error.description.contains(path))
            #expect(error.message.contains("is a directory"), "\(error)")
        }
    }

    @Test("a database deleted while open is recreated with every committed offset",
          arguments: ["the file", "its folder"])
    func deletedWhileOpen(what: String) throws {
        let dir = try TempDir()
        let path = dir.file("state/cp.sqlite")
        let logger = Logger(level: .info, fd: -1, captureLines: true)
        let store = try CheckpointStore(path: path, logger: logger)
        defer { store.close() }
        try store.commit([row("a", offset: 10), row("b", offset: 20)])

        if what == "the file" {
            for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
        } else {
            try FileManager.default.removeItem(atPath: dir.file("state"))
        }
        #expect(!Path.exists(path))
        try store.commit([row("a", offset: 15)])
        #expect(try offsetsOnDisk(path) == ["a": 15, "b": 20])
        #expect(Path.exists(path + ".lock"))
        #expect(logger.capturedLines.contains { $0.contains("recreated from memory") && $0.contains(path) })

        // The new database is the one in use: later commits land in it.
        try store.commit([row("b", offset: 25)])
        #expect(try offsetsOnDisk(path) == ["a": 15, "b": 25])
        // And the recreated lock still keeps a second owner out.
        #expect(throws: CheckpointError.self) { try CheckpointStore(path: path) }
    }
}
