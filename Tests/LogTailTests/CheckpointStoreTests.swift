import AtomBase
import Foundation
import Glibc
@testable import LogTail
import Testing

@Suite("CheckpointStore")
struct CheckpointStoreTests {
    func row(_ input: String, _ key: String, offset: Int64) -> Checkpoint {
        Checkpoint(input: input, key: key, fingerprint: "fp-\(key)", fingerprintLength: 1024, device: 2049,
                   inode: 131_077, path: "/var/log/\(key).log", offset: offset, updated: 1_700_000_000.25)
    }

    @Test("a second open of the same database in one process fails, naming the other owner")
    func secondOpenFails() throws {
        let scratch = try Scratch()
        let path = scratch.file("state/checkpoints.db")
        let first = try CheckpointStore(path: path)
        do {
            _ = try CheckpointStore(path: path)
            Issue.record("the second open succeeded")
        } catch {
            #expect(error.description.contains("another atom-shipper process"))
            #expect(error.description.contains("pid \(getpid())"))
            #expect(error.path == path)
        }
        first.close()
        let again = try CheckpointStore(path: path)
        again.close()
    }

    @Test("the database, its WAL files and the lock file are mode 0600")
    func fileModes() throws {
        let scratch = try Scratch()
        let path = scratch.file("state/checkpoints.db")
        let store = try CheckpointStore(path: path)
        defer { store.close() }
        try store.commit([row("in", "a", offset: 1)])
        var checked = 0
        for suffix in ["", "-wal", "-shm", ".lock"] where Path.exists(path + suffix) {
            let mode = try Sys.stat(path: path + suffix).mode & 0o777
            #expect(mode == 0o600, "\(path + suffix) has mode \(String(mode, radix: 8))")
            checked += 1
        }
        #expect(checked >= 3)  // at least the database, its WAL and the lock file
    }

    @Test("rows round-trip, including 64-bit device and inode numbers, per input")
    func roundTrip() throws {
        let scratch = try Scratch()
        let path = scratch.file("checkpoints.db")
        var big = row("in", "big", offset: Int64.max - 1)
        big.device = UInt64.max
        big.inode = UInt64(Int64.max) + 12345
        big.path = "/var/log/ünïcode dir/app.log"
        let rows = [row("in", "a", offset: 0), row("in", "b", offset: 4096), big]
        do {
            let store = try CheckpointStore(path: path)
            try store.commit(rows + [row("other", "a", offset: 7)])
            store.close()
        }
        let store = try CheckpointStore(path: path)
        defer { store.close() }
        let loaded = try store.load(input: "in").sorted { $0.key < $1.key }
        #expect(loaded == rows.sorted { $0.key < $1.key })
        #expect(try store.load(input: "other") == [row("other", "a", offset: 7)])
        #expect(try store.load(input: "missing") == [])
        #expect(try store.loadAll().count == 4)
    }

    @Test("commit updates rows in place and removes the ones named, in one call")
    func commitWithRemoving() throws {
        let scratch = try Scratch()
        let store = try CheckpointStore(path: scratch.file("checkpoints.db"))
        defer { store.close() }
        try store.commit([row("in", "a", offset: 1), row("in", "b", offset: 2), row("other", "a", offset: 3)])
        try store.commit([row("in", "a", offset: 100), row("in", "c", offset: 5)],
                         removing: [(input: "in", key: "b"), (input: "in", key: "never there")])
        let loaded = try store.load(input: "in").sorted { $0.key < $1.key }
        #expect(loaded == [row("in", "a", offset: 100), row("in", "c", offset: 5)])
        #expect(try store.load(input: "other") == [row("other", "a", offset: 3)])

        try store.commit([], removing: [(input: "other", key: "a")])
        #expect(try store.load(input: "other") == [])
    }

    @Test("a closed store reports errors instead of crashing")
    func closedStore() throws {
        let scratch = try Scratch()
        let store = try CheckpointStore(path: scratch.file("checkpoints.db"))
        store.close()
        #expect(throws: CheckpointError.self) { try store.load(input: "in") }
        #expect(throws: CheckpointError.self) { try store.commit([row("in", "a", offset: 1)]) }
    }
}
