import AtomBase
import CSQLite

/// The running shipper's snapshot for `atom-shipper status`: per stream and per file, replaced
/// every few seconds in one transaction beside the checkpoints.
extension CheckpointStore {
    /// One stream's figures as the running shipper last wrote them.
    public struct StreamStats: Sendable, Equatable {
        public var stream: String
        public var delivered: Int
        public var deadLettered: Int
        public var batches: Int
        /// Events handed to the tracker and not settled yet.
        public var backlog: Int
        /// Tries that failed and were retried.
        public var retried: Int
        public var updated: Double

        public init(stream: String, delivered: Int, deadLettered: Int, batches: Int, backlog: Int = 0,
                    retried: Int = 0, updated: Double) {
            self.stream = stream
            self.delivered = delivered
            self.deadLettered = deadLettered
            self.batches = batches
            self.backlog = backlog
            self.retried = retried
            self.updated = updated
        }
    }

    /// Replaces the snapshot: every stream's figures, and (when given) every file's, in one
    /// transaction. A file missing from `files` drops out of the snapshot.
    public func writeSnapshot(streams: [StreamStats], files: [FileStats]?, time: Double) throws(CheckpointError) {
        try lock.withLock { () throws(CheckpointError) in
            try recreateIfGone()
            try execute("BEGIN IMMEDIATE")
            do throws(CheckpointError) {
                let upsert = try prepare("""
                    INSERT INTO stream_stats (stream, delivered, dead_lettered, batches, backlog, retried, updated)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (stream) DO UPDATE SET delivered = excluded.delivered,
                        dead_lettered = excluded.dead_lettered, batches = excluded.batches,
                        backlog = excluded.backlog, retried = excluded.retried, updated = excluded.updated
                    """)
                defer { sqlite3_finalize(upsert) }
                for row in streams {
                    sqlite3_reset(upsert)
                    bind(upsert, 1, row.stream)
                    let numbers = [row.delivered, row.deadLettered, row.batches, row.backlog, row.retried]
                    for (offset, value) in numbers.enumerated() {
                        sqlite3_bind_int64(upsert, Int32(offset + 2), Int64(value))
                    }
                    sqlite3_bind_double(upsert, 7, row.updated)
                    guard sqlite3_step(upsert) == SQLITE_DONE else { throw failure("writing stream figures") }
                }
                let written = try files.map { files throws(CheckpointError) in try writeFileStats(files, time: time) }
                try execute("COMMIT")
                if let written { snapshotFiles = written }
            } catch {
                _ = sqlite3_exec(db, "ROLLBACK", nil, nil, nil)
                throw error
            }
        }
    }

    /// Brings `file_stats` to `files`: rows that changed since the last snapshot are written (with
    /// `time`), rows of files no longer held are deleted; the first snapshot of a connection
    /// replaces the table. Returns the rows by input and key. Lock held, in a transaction.
    private func writeFileStats(_ files: [FileStats], time: Double) throws(CheckpointError) -> [String: FileStats] {
        var rows: [String: FileStats] = [:]
        rows.reserveCapacity(files.count)
        for file in files { rows[file.input + "\u{0}" + file.key] = file }
        let before = snapshotFiles ?? [:]
        if snapshotFiles == nil {
            try execute("DELETE FROM file_stats")
        } else {
            let delete = try prepare("DELETE FROM file_stats WHERE input = ? AND key = ?")
            defer { sqlite3_finalize(delete) }
            for (id, gone) in before where rows[id] == nil {
                sqlite3_reset(delete)
                bind(delete, 1, gone.input)
                bind(delete, 2, gone.key)
                guard sqlite3_step(delete) == SQLITE_DONE else { throw failure("writing file figures") }
            }
        }
        let insert = try prepare("""
            INSERT OR REPLACE INTO file_stats (input, key, path, fingerprint, fingerprint_length, device, inode,
                                               settled, read_to, last_read, last_delivery, updated)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        defer { sqlite3_finalize(insert) }
        for (id, file) in rows where before[id] != file {
            sqlite3_reset(insert)
            bind(insert, 1, file.input)
            bind(insert, 2, file.key)
            bind(insert, 3, file.path)
            bind(insert, 4, file.fingerprint)
            sqlite3_bind_int64(insert, 5, Int64(file.fingerprintLength))
            sqlite3_bind_int64(insert, 6, Int64(bitPattern: file.device))
            sqlite3_bind_int64(insert, 7, Int64(bitPattern: file.inode))
            sqlite3_bind_int64(insert, 8, file.settled)
            sqlite3_bind_int64(insert, 9, file.readTo)
            sqlite3_bind_double(insert, 10, file.lastRead)
            sqlite3_bind_double(insert, 11, file.lastDelivery)
            sqlite3_bind_double(insert, 12, time)
            guard sqlite3_step(insert) == SQLITE_DONE else { throw failure("writing file figures") }
        }
        return rows
    }

    /// The per-stream snapshot, by stream name (empty for a database written before version 2).
    public func loadStreamStats() throws(CheckpointError) -> [StreamStats] {
        try lock.withLock { () throws(CheckpointError) -> [StreamStats] in
            let version = try queryInt("PRAGMA user_version")
            guard version >= 2 else { return [] }
            let extra = version >= 3 ? "backlog, retried" : "0, 0"
            let statement = try prepare(
                "SELECT stream, delivered, dead_lettered, batches, \(extra), updated FROM stream_stats ORDER BY stream")
            defer { sqlite3_finalize(statement) }
            var rows: [StreamStats] = []
            while sqlite3_step(statement) == SQLITE_ROW {
                func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(statement, column)) }
                rows.append(StreamStats(stream: text(statement, 0), delivered: int(1), deadLettered: int(2),
                                        batches: int(3), backlog: int(4), retried: int(5),
                                        updated: sqlite3_column_double(statement, 6)))
            }
            return rows
        }
    }

    /// The per-file snapshot with the time it was written (empty before version 3).
    public func loadFileStats() throws(CheckpointError) -> [(stats: FileStats, updated: Double)] {
        try lock.withLock { () throws(CheckpointError) -> [(stats: FileStats, updated: Double)] in
            guard try queryInt("PRAGMA user_version") >= 3 else { return [] }
            let statement = try prepare("""
                SELECT input, key, path, fingerprint, fingerprint_length, device, inode, settled, read_to,
                       last_read, last_delivery, updated FROM file_stats
                """)
            defer { sqlite3_finalize(statement) }
            var rows: [(stats: FileStats, updated: Double)] = []
            while sqlite3_step(statement) == SQLITE_ROW {
                let stats = FileStats(
                    input: text(statement, 0), key: text(statement, 1), fingerprint: text(statement, 3),
                    fingerprintLength: Int(sqlite3_column_int64(statement, 4)), device: UInt64(bitPattern:
                        sqlite3_column_int64(statement, 5)),
                    inode: UInt64(bitPattern: sqlite3_column_int64(statement, 6)), path: text(statement, 2),
                    settled: sqlite3_column_int64(statement, 7), readTo: sqlite3_column_int64(statement, 8),
                    lastRead: sqlite3_column_double(statement, 9), lastDelivery: sqlite3_column_double(statement, 10))
                rows.append((stats, sqlite3_column_double(statement, 11)))
            }
            return rows
        }
    }
}
