import AtomBase
import Foundation
@testable import LogTail
import Testing

/// The status snapshot's file rows: each snapshot leaves exactly the files it was given, writing
/// only the rows that changed (an idle shipper holding thousands of files rewrites nothing).
@Suite("Status snapshot file rows")
struct SnapshotStatsTests {
    func stats(_ key: String, settled: Int64, input: String = "in") -> FileStats {
        FileStats(input: input, key: key, fingerprint: "fp-\(key)", fingerprintLength: 1024, device: 2049,
                  inode: 77, path: "/var/log/\(key).log", settled: settled, readTo: settled, lastRead: 1.5,
                  lastDelivery: 2.5)
    }

    func load(_ store: CheckpointStore) throws -> [String: (stats: FileStats, updated: Double)] {
        var rows: [String: (stats: FileStats, updated: Double)] = [:]
        for entry in try store.loadFileStats() { rows[entry.stats.input + "/" + entry.stats.key] = entry }
        return rows
    }

    @Test("rows follow the snapshots: changed rows rewritten, unchanged ones untouched, gone ones deleted")
    func incremental() throws {
        let scratch = try Scratch()
        let path = scratch.file("cp.db")
        let store = try CheckpointStore(path: path)
        try store.writeSnapshot(streams: [], files: [stats("a", settled: 10), stats("b", settled: 20)], time: 100)
        var rows = try load(store)
        #expect(rows.keys.sorted() == ["in/a", "in/b"])
        #expect(rows["in/a"]?.updated == 100 && rows["in/b"]?.updated == 100)

        try store.writeSnapshot(streams: [], files: [stats("a", settled: 15), stats("b", settled: 20),
                                                     stats("c", settled: 5, input: "other")], time: 103)
        rows = try load(store)
        #expect(rows.keys.sorted() == ["in/a", "in/b", "other/c"])
        #expect(rows["in/a"]?.stats.settled == 15 && rows["in/a"]?.updated == 103)
        #expect(rows["in/b"]?.updated == 100, "an unchanged row is not written again")
        #expect(rows["other/c"]?.updated == 103)

        try store.writeSnapshot(streams: [], files: [stats("c", settled: 5, input: "other")], time: 106)
        rows = try load(store)
        #expect(rows.keys.sorted() == ["other/c"])
        #expect(rows["other/c"]?.updated == 103)
        store.close()

        // A new connection (the next run) starts from a clean table: rows of the last run go.
        let next = try CheckpointStore(path: path)
        try next.writeSnapshot(streams: [], files: [stats("d", settled: 1)], time: 200)
        #expect(try load(next).keys.sorted() == ["in/d"])
        next.close()
    }
}
