import AtomBase
import CSQLite
import Glibc

/// One file's progress: how far its lines are settled (delivered, dead-lettered or dropped on purpose).
public struct Checkpoint: Sendable, Equatable {
    public var input: String
    /// The identity key: the content fingerprint, or `dev:inode` for a file shorter than the
    /// fingerprint size (see `FileIdentity`).
    public var key: String
    /// SHA-256 prefix of the head the key was taken from, and how many bytes that head had.
    public var fingerprint: String
    public var fingerprintLength: Int
    public var device: UInt64
    public var inode: UInt64
    public var path: String
    /// Bytes settled from the start (decompressed bytes for gzip).
    public var offset: Int64
    public var updated: Double

    public init(input: String, key: String, fingerprint: String, fingerprintLength: Int, device: UInt64,
                inode: UInt64, path: String, offset: Int64, updated: Double) {
        self.input = input
        self.key = key
        self.fingerprint = fingerprint
        self.fingerprintLength = fingerprintLength
        self.device = device
        self.inode = inode
        self.path = path
        self.offset = offset
        self.updated = updated
    }
}

/// A checkpoint database problem, naming the file.
public struct CheckpointError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String
    /// SQLite found the file damaged (not a database, or corrupt pages).
    public var damaged = false
    public var description: String { "checkpoint database \(path): \(message)" }

    public init(path: String, message: String, damaged: Bool = false) {
        self.path = path
        self.message = message
        self.damaged = damaged
    }
}

/// What to do when the checkpoint database is found damaged at start-up.
public enum CorruptPolicy: String, Sendable, CaseIterable {
    /// Refuse to start; the file is left where it is.
    case refuse
    /// Set the damaged file aside and read every file from its beginning.
    case beginning
    /// Set the damaged file aside and start every file found at start-up at its end.
    case end
}

/// Checkpoints in an SQLite database (WAL), written in one transaction per commit.
///
/// One process owns a database: `open` takes an exclusive `flock` on `<path>.lock` and fails with a
/// clear message when another process holds it. The database and the lock file are created mode 0600.
///
/// Faults: a commit that fails (a full disk, an I/O error) is rolled back and throws, and nothing
/// of it is remembered as committed, so the caller keeps the rows dirty and tries again. A database
/// found damaged at start-up is refused or set aside according to `CorruptPolicy`. A database
/// deleted or replaced while the store is open is recreated at the next commit from the rows
/// committed so far, which the store keeps in memory.
public final class CheckpointStore: @unchecked Sendable {
    // Safe: every use of the connection, the lock file and `committed` is under `lock`.
    public static let schemaVersion = 3

    public let path: String
    var db: OpaquePointer?
    let lock = ConditionLock()
    var lockFD: Int32 = -1
    let logger: Logger
    /// The database file's identity when it was opened, to notice it deleted or replaced.
    var opened: (device: UInt64, inode: UInt64)?
    /// Every row as last committed (or loaded), by input and key: what a recreated database gets.
    var committed: [String: [String: Checkpoint]] = [:]
    /// The file rows of the last status snapshot this connection wrote, by input and key (nil: none
    /// yet), so that the next snapshot writes only the rows that changed.
    var snapshotFiles: [String: FileStats]?
    /// Where a damaged database was moved at start-up, when it was.
    public internal(set) var setAside: String?

    /// Opens (creating when missing) the database for the one process that owns it.
    /// - Parameters:
    ///   - onCorrupt: what to do when the file is not a database or is corrupt.
    ///   - logger: told when a damaged database is set aside or a deleted one is recreated.
    /// - Throws: `CheckpointError` naming the file: another process owns it, it cannot be opened,
    ///   or it is damaged and `onCorrupt` is `.refuse` (then `damaged` is set).
    public init(path: String, onCorrupt: CorruptPolicy = .refuse, logger: Logger = .disabled)
        throws(CheckpointError) {
        self.path = path
        self.logger = logger
        do {
            try Sys.makeDirectories(Path.directory(of: path))
        } catch {
            throw CheckpointError(path: path, message: "cannot create its folder: \(error)")
        }
        try takeLock()
        do {
            try checkAccess()
            try openConnection()
        } catch where error.damaged && onCorrupt != .refuse {
            closeConnection()
            do {
                try setDamagedAside(reason: error.message, policy: onCorrupt)
                try openConnection()
            } catch {
                closeConnection()
                releaseLock()
                throw error
            }
        } catch {
            closeConnection()
            releaseLock()
            if error.damaged {
                throw CheckpointError(
                    path: path, message: "is damaged (\(error.message)); atom-shipper will not start on it. "
                        + "Move it away, or set checkpoints.onCorrupt to \"beginning\" or \"end\" to set it "
                        + "aside and start over", damaged: true)
            }
            throw error
        }
    }

    /// Opens an existing database for reading only, without its lock, beside a running shipper
    /// (for `atom-shipper status`; WAL lets a reader in while the owner writes).
    public init(readingOnly path: String) throws(CheckpointError) {
        self.path = path
        logger = .disabled
        guard Path.exists(path) else {
            throw CheckpointError(path: path, message: "no such file (has the shipper run with this config?)")
        }
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            db = nil
            throw CheckpointError(path: path, message: message)
        }
        sqlite3_busy_timeout(db, 5000)
        do {
            try checkIntegrity()
        } catch {
            close()
            throw CheckpointError(path: path, message: "is damaged (\(error.message))", damaged: true)
        }
    }

    deinit { close() }

    /// Closes the database and releases the lock.
    public func close() {
        lock.withLock {
            closeConnection()
            releaseLock()
        }
    }

    /// Every checkpoint of one input.
    public func load(input: String) throws(CheckpointError) -> [Checkpoint] {
        try lock.withLock { () throws(CheckpointError) -> [Checkpoint] in
            let sql = "SELECT key, fingerprint, fingerprint_length, device, inode, path, offset, updated "
                + "FROM checkpoints WHERE input = ?"
            let statement = try prepare(sql)
            defer { sqlite3_finalize(statement) }
            bind(statement, 1, input)
            var rows: [Checkpoint] = []
            while true {
                let rc = sqlite3_step(statement)
                if rc == SQLITE_DONE { break }
                guard rc == SQLITE_ROW else { throw failure("reading checkpoints") }
                rows.append(Checkpoint(
                    input: input, key: text(statement, 0), fingerprint: text(statement, 1),
                    fingerprintLength: Int(sqlite3_column_int64(statement, 2)),
                    device: UInt64(bitPattern: sqlite3_column_int64(statement, 3)),
                    inode: UInt64(bitPattern: sqlite3_column_int64(statement, 4)),
                    path: text(statement, 5), offset: sqlite3_column_int64(statement, 6),
                    updated: sqlite3_column_double(statement, 7)))
            }
            return rows
        }
    }

    /// Every checkpoint of every input (for `status`).
    public func loadAll() throws(CheckpointError) -> [Checkpoint] {
        let inputs = try lock.withLock { () throws(CheckpointError) -> [String] in
            let statement = try prepare("SELECT DISTINCT input FROM checkpoints ORDER BY input")
            defer { sqlite3_finalize(statement) }
            var names: [String] = []
            while sqlite3_step(statement) == SQLITE_ROW { names.append(text(statement, 0)) }
            return names
        }
        var all: [Checkpoint] = []
        for input in inputs { all += try load(input: input) }
        return all
    }

    /// Writes `rows` and deletes `removed` (input, key) pairs in one transaction.
    public func commit(_ rows: [Checkpoint], removing removed: [(input: String, key: String)] = [])
        throws(CheckpointError) {
        if rows.isEmpty && removed.isEmpty { return }
        try lock.withLock { () throws(CheckpointError) in
            try recreateIfGone()
            try write(rows, removing: removed)
            for (input, key) in removed { committed[input]?[key] = nil }
            for row in rows { committed[row.input, default: [:]][row.key] = row }
        }
    }

    /// Writes rows and deletions in one transaction (with `lock` held); rolled back on failure.
    func write(_ rows: [Checkpoint], removing removed: [(input: String, key: String)])
        throws(CheckpointError) {
        try execute("BEGIN IMMEDIATE")
        do throws(CheckpointError) {
            let delete = try prepare("DELETE FROM checkpoints WHERE input = ? AND key = ?")
            defer { sqlite3_finalize(delete) }
            for (input, key) in removed {
                sqlite3_reset(delete)
                bind(delete, 1, input)
                bind(delete, 2, key)
                guard sqlite3_step(delete) == SQLITE_DONE else { throw failure("deleting a checkpoint") }
            }
            let upsert = try prepare("""
                INSERT INTO checkpoints (input, key, fingerprint, fingerprint_length, device, inode, path,
                                         offset, updated)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (input, key) DO UPDATE SET fingerprint = excluded.fingerprint,
                    fingerprint_length = excluded.fingerprint_length, device = excluded.device,
                    inode = excluded.inode, path = excluded.path, offset = excluded.offset,
                    updated = excluded.updated
                """)
            defer { sqlite3_finalize(upsert) }
            for row in rows {
                sqlite3_reset(upsert)
                bind(upsert, 1, row.input)
                bind(upsert, 2, row.key)
                bind(upsert, 3, row.fingerprint)
                sqlite3_bind_int64(upsert, 4, Int64(row.fingerprintLength))
                sqlite3_bind_int64(upsert, 5, Int64(bitPattern: row.device))
                sqlite3_bind_int64(upsert, 6, Int64(bitPattern: row.inode))
                bind(upsert, 7, row.path)
                sqlite3_bind_int64(upsert, 8, row.offset)
                sqlite3_bind_double(upsert, 9, row.updated)
                guard sqlite3_step(upsert) == SQLITE_DONE else { throw failure("writing a checkpoint") }
            }
            try execute("COMMIT")
        } catch {
            _ = sqlite3_exec(db, "ROLLBACK", nil, nil, nil)
            throw error
        }
    }

    // MARK: SQLite helpers (called with `lock` held)

    func execute(_ sql: String) throws(CheckpointError) {
        guard let db else { throw CheckpointError(path: path, message: "closed") }
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &error)
        if rc != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(error)
            throw CheckpointError(path: path, message: "\(Self.explain(rc, message)) (in \(sql.prefix(40)))",
                                  damaged: Self.isDamage(rc))
        }
    }

    func queryInt(_ sql: String) throws(CheckpointError) -> Int {
        let statement = try prepare(sql)
        defer { sqlite3_finalize(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW else { throw failure("reading \(sql)") }
        return Int(sqlite3_column_int64(statement, 0))
    }

    func prepare(_ sql: String) throws(CheckpointError) -> OpaquePointer? {
        var statement: OpaquePointer?
        guard let db, sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else {
            throw failure("preparing a statement")
        }
        return statement
    }

    func bind(_ statement: OpaquePointer?, _ index: Int32, _ value: String) {
        var copy = value
        copy.withUTF8 { raw in
            raw.withMemoryRebound(to: CChar.self) { chars in
                _ = atom_sqlite3_bind_text_transient(statement, index, chars.baseAddress, Int32(chars.count))
            }
        }
    }

    func text(_ statement: OpaquePointer?, _ column: Int32) -> String {
        guard let raw = sqlite3_column_text(statement, column) else { return "" }
        return String(cString: raw)
    }

    func failure(_ doing: String) -> CheckpointError {
        guard let db else { return CheckpointError(path: path, message: "\(doing): closed") }
        let rc = sqlite3_errcode(db)
        let message = Self.explain(rc, String(cString: sqlite3_errmsg(db)))
        return CheckpointError(path: path, message: "\(doing): \(message)", damaged: Self.isDamage(rc))
    }

    /// Whether an SQLite result code means the file itself is damaged.
    static func isDamage(_ rc: Int32) -> Bool {
        let primary = rc & 0xFF
        return primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT
    }

    /// SQLite's message, with what it means for checkpoints when the disk is full.
    static func explain(_ rc: Int32, _ message: String) -> String {
        rc & 0xFF == SQLITE_FULL ? "\(message): the disk is full; nothing was committed and the commit is "
            + "retried" : message
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
