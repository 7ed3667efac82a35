import AtomBase
import CSQLite
import Glibc

/// Opening, locking, migrating, and the faults: a damaged database set aside, a deleted one
/// recreated.
extension CheckpointStore {
    // MARK: The lock file

    func takeLock() throws(CheckpointError) {
        let lockPath = path + ".lock"
        let fd = Glibc.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let reason = SystemError("open").message
            throw CheckpointError(path: path, message: "cannot open lock file \(lockPath): \(reason)")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var owner = [UInt8](repeating: 0, count: 32)
            let n = Glibc.pread(fd, &owner, 32, 0)
            let pid = n > 0 ? String(decoding: owner[..<n], as: UTF8.self).trimmingSpaces : "unknown"
            Glibc.close(fd)
            throw CheckpointError(path: path, message: "another atom-shipper process (pid \(pid)) is using it; "
                                  + "one process owns a checkpoint database")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { Glibc.pwrite(fd, $0.baseAddress, $0.count, 0) }
        lockFD = fd
    }

    func releaseLock() {
        if lockFD >= 0 {
            flock(lockFD, LOCK_UN)
            Glibc.close(lockFD)
            lockFD = -1
        }
    }

    // MARK: Opening

    /// Names what stops an existing file from being opened, which SQLite only calls "unable to open".
    func checkAccess() throws(CheckpointError) {
        guard let st = try? Sys.stat(path: path) else { return }
        if st.isDirectory {
            throw CheckpointError(path: path, message: "is a directory, not a database file")
        }
        do {
            Sys.close(try Sys.open(path, O_RDWR))
        } catch {
            throw CheckpointError(path: path, message: "cannot be opened for reading and writing: \(error.message)")
        }
    }

    /// Opens the connection, checks the file's integrity, migrates it and loads every row.
    /// Throws with `damaged` set when the file is not a database or is corrupt.
    func openConnection() throws(CheckpointError) {
        // Created 0600 here rather than under a umask, which is process-wide: SQLite gives its WAL
        // and shared-memory files the database file's mode.
        let created = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if created >= 0 { Glibc.close(created) }
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            closeConnection()
            throw CheckpointError(path: path, message: message, damaged: Self.isDamage(rc))
        }
        sqlite3_busy_timeout(db, 5000)
        try execute("PRAGMA journal_mode=WAL")
        try execute("PRAGMA synchronous=NORMAL")
        try checkIntegrity()
        try migrate()
        try loadCommitted()
        if let st = try? Sys.stat(path: path) { opened = (st.device, st.inode) }
    }

    func closeConnection() {
        if let db { sqlite3_close(db) }
        db = nil
        opened = nil
        snapshotFiles = nil
    }

    /// `PRAGMA quick_check`: cheap for a database of a few thousand rows, and it finds damaged
    /// pages before a commit trips over them.
    func checkIntegrity() throws(CheckpointError) {
        let statement = try prepare("PRAGMA quick_check")
        defer { sqlite3_finalize(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW else { throw failure("checking integrity") }
        let verdict = text(statement, 0)
        if verdict != "ok" {
            throw CheckpointError(path: path, message: "integrity check failed: \(verdict)", damaged: true)
        }
    }

    private func migrate() throws(CheckpointError) {
        let version = try queryInt("PRAGMA user_version")
        if version > Self.schemaVersion {
            throw CheckpointError(path: path, message: "schema version \(version) is newer than this atom-shipper "
                                  + "understands (\(Self.schemaVersion)); upgrade atom-shipper")
        }
        guard version < Self.schemaVersion else { return }
        // One transaction for every step: a crash part-way leaves the old version whole, never a
        // half-altered table that the next start would alter again.
        try execute("BEGIN IMMEDIATE")
        do {
            try migrateSteps(from: version)
            try execute("COMMIT")
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    private func migrateSteps(from version: Int) throws(CheckpointError) {
        if version < 1 {
            try execute("""
                CREATE TABLE IF NOT EXISTS checkpoints (
                    input TEXT NOT NULL,
                    key TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    fingerprint_length INTEGER NOT NULL,
                    device INTEGER NOT NULL,
                    inode INTEGER NOT NULL,
                    path TEXT NOT NULL,
                    offset INTEGER NOT NULL,
                    updated REAL NOT NULL,
                    PRIMARY KEY (input, key)
                )
                """)
            try execute("PRAGMA user_version = 1")
        }
        if version < 2 {
            // Version 2: the running shipper's per-stream figures, for `atom-shipper status`.
            try execute("""
                CREATE TABLE IF NOT EXISTS stream_stats (
                    stream TEXT PRIMARY KEY,
                    delivered INTEGER NOT NULL,
                    dead_lettered INTEGER NOT NULL,
                    batches INTEGER NOT NULL,
                    updated REAL NOT NULL
                )
                """)
            try execute("PRAGMA user_version = 2")
        }
        if version < 3 {
            // Version 3: each stream's backlog and retries, and each file's read and delivery times.
            try execute("ALTER TABLE stream_stats ADD COLUMN backlog INTEGER NOT NULL DEFAULT 0")
            try execute("ALTER TABLE stream_stats ADD COLUMN retried INTEGER NOT NULL DEFAULT 0")
            try execute("""
                CREATE TABLE IF NOT EXISTS file_stats (
                    input TEXT NOT NULL,
                    key TEXT NOT NULL,
                    path TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    fingerprint_length INTEGER NOT NULL,
                    device INTEGER NOT NULL,
                    inode INTEGER NOT NULL,
                    settled INTEGER NOT NULL,
                    read_to INTEGER NOT NULL,
                    last_read REAL NOT NULL,
                    last_delivery REAL NOT NULL,
                    updated REAL NOT NULL,
                    PRIMARY KEY (input, key)
                )
                """)
            try execute("PRAGMA user_version = 3")
        }
    }

    /// Fills `committed` with every row the database holds.
    private func loadCommitted() throws(CheckpointError) {
        let statement = try prepare("SELECT input, key, fingerprint, fingerprint_length, device, inode, path, "
                                    + "offset, updated FROM checkpoints")
        defer { sqlite3_finalize(statement) }
        committed = [:]
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw failure("reading checkpoints") }
            let row = Checkpoint(
                input: text(statement, 0), key: text(statement, 1), fingerprint: text(statement, 2),
                fingerprintLength: Int(sqlite3_column_int64(statement, 3)),
                device: UInt64(bitPattern: sqlite3_column_int64(statement, 4)),
                inode: UInt64(bitPattern: sqlite3_column_int64(statement, 5)),
                path: text(statement, 6), offset: sqlite3_column_int64(statement, 7),
                updated: sqlite3_column_double(statement, 8))
            committed[row.input, default: [:]][row.key] = row
        }
    }

    // MARK: Faults

    /// Renames the damaged database (and its WAL files) to `<path>.corrupt-<unix time>` so that a
    /// new one can be made; the old one is kept for whoever wants to look at it.
    func setDamagedAside(reason: String, policy: CorruptPolicy) throws(CheckpointError) {
        let target = "\(path).corrupt-\(Int(Clock.unixTime()))"
        do {
            try Sys.rename(path, target)
        } catch {
            throw CheckpointError(path: path, message: "is damaged (\(reason)) and cannot be set aside: \(error)",
                                  damaged: true)
        }
        for suffix in ["-wal", "-shm"] where Path.exists(path + suffix) {
            _ = try? Sys.rename(path + suffix, target + suffix)
        }
        setAside = target
        logger.error("checkpoint database damaged; set aside, starting over", [
            "path": path, "setAside": target, "reason": reason,
            "startAt": policy == .end ? "end of every file found now" : "beginning of every file",
        ])
    }

    /// Recreates the database, with every committed row, when its file was deleted or replaced
    /// while open (with `lock` held). SQLite would otherwise go on writing to the deleted file.
    func recreateIfGone() throws(CheckpointError) {
        guard db != nil, let opened else { return }
        if let st = try? Sys.stat(path: path), st.device == opened.device, st.inode == opened.inode { return }

        let rows = committed.values.flatMap(\.values)
        closeConnection()
        // The WAL files by the same names belong to the database that is gone.
        for suffix in ["-wal", "-shm"] { _ = Glibc.unlink(path + suffix) }
        do {
            try Sys.makeDirectories(Path.directory(of: path))
        } catch {
            throw CheckpointError(path: path, message: "was deleted, and its folder cannot be made again: \(error)")
        }
        if !Path.exists(path + ".lock") {
            releaseLock()
            try takeLock()
        }
        try openConnection()
        try write(rows, removing: [])
        for row in rows { committed[row.input, default: [:]][row.key] = row }
        logger.warning("checkpoint database was deleted or replaced while running; recreated from memory",
                       ["path": path, "checkpoints": String(rows.count)])
    }
}
