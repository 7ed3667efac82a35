import AtomBase
import Foundation
@testable import LogTail
import Testing
import TestSupport

/// Databases of earlier schema versions, written by Python's sqlite3 module (not by the code under
/// test) with the tables those versions had, then opened by the current CheckpointStore.
@Suite("Checkpoint schema migration")
struct CheckpointMigrationTests {
    static let version1 = """
        CREATE TABLE checkpoints (input TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
            fingerprint_length INTEGER NOT NULL, device INTEGER NOT NULL, inode INTEGER NOT NULL,
            path TEXT NOT NULL, offset INTEGER NOT NULL, updated REAL NOT NULL, PRIMARY KEY (input, key));
        INSERT INTO checkpoints VALUES ('app', 'k1', 'fp1', 1024, 2049, 77, '/var/log/app.log', 4096, 1700000000.5);
        INSERT INTO checkpoints VALUES ('app', 'k2', 'fp2', 1024, 2049, 78, '/var/log/app.log.1', 123, 1700000001.0);
        PRAGMA user_version = 1;
        """
    static let version2Tables = """
        CREATE TABLE stream_stats (stream TEXT PRIMARY KEY, delivered INTEGER NOT NULL,
            dead_lettered INTEGER NOT NULL, batches INTEGER NOT NULL, updated REAL NOT NULL);
        INSERT INTO stream_stats VALUES ('web', 500, 3, 7, 1700000002.0);
        """

    /// Runs SQL through Python's sqlite3 on `path` and returns what `query` prints.
    @discardableResult
    func sqlite(_ path: String, script: String = "", query: String = "") throws -> [String] {
        try python("""
            import sqlite3
            db = sqlite3.connect(\(pythonString(path)))
            db.executescript(\(pythonString(script)))
            db.commit()
            \(query)
            """)
    }

    /// The schema version, stream_stats' columns and whether file_stats exists, as Python sees them.
    func shape(_ path: String) throws -> [String] {
        try sqlite(path, query: """
            print(db.execute('PRAGMA user_version').fetchone()[0])
            print(','.join(r[1] for r in db.execute('PRAGMA table_info(stream_stats)')))
            print(db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'file_stats'").fetchone()[0])
            """)
    }

    func pythonString(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
            .replacingOccurrences(of: "\n", with: "\\n") + "'"
    }

    @Test("a version 1 database keeps its offsets and gains the later tables")
    func fromVersion1() throws {
        let scratch = try Scratch()
        let path = scratch.file("checkpoints.db")
        try sqlite(path, script: Self.version1)
        let store = try CheckpointStore(path: path)
        let rows = try store.load(input: "app").sorted { $0.key < $1.key }
        #expect(rows.map(\.key) == ["k1", "k2"])
        #expect(rows.map(\.offset) == [4096, 123])
        #expect(rows.first?.path == "/var/log/app.log")
        #expect(try store.loadStreamStats().isEmpty)
        store.close()
        let after = try shape(path)
        #expect(after == ["3", "stream,delivered,dead_lettered,batches,updated,backlog,retried", "1"])
    }

    @Test("a version 2 database keeps its stream figures, with zero backlog and retries")
    func fromVersion2() throws {
        let scratch = try Scratch()
        let path = scratch.file("checkpoints.db")
        try sqlite(path, script: Self.version1 + Self.version2Tables + "PRAGMA user_version = 2;")
        let store = try CheckpointStore(path: path)
        let stats = try store.loadStreamStats()
        #expect(stats.count == 1)
        #expect(stats.first?.stream == "web")
        #expect(stats.first?.delivered == 500)
        #expect(stats.first?.deadLettered == 3)
        #expect(stats.first?.batches == 7)
        #expect(stats.first?.backlog == 0)
        #expect(stats.first?.retried == 0)
        #expect(try store.load(input: "app").count == 2)
        store.close()
        #expect(try sqlite(path, query: "print(db.execute('PRAGMA user_version').fetchone()[0])") == ["3"])
    }

    @Test("a step that fails leaves the database at its old version, every step undone")
    func failedStepRollsBack() throws {
        let scratch = try Scratch()
        let path = scratch.file("checkpoints.db")
        // A version 2 database that already has one of version 3's columns: the migration's ALTER fails.
        try sqlite(path, script: Self.version1 + Self.version2Tables
                   + "ALTER TABLE stream_stats ADD COLUMN retried INTEGER NOT NULL DEFAULT 0;"
                   + "PRAGMA user_version = 2;")
        #expect(throws: CheckpointError.self) { _ = try CheckpointStore(path: path) }
        let after = try shape(path)
        #expect(after == ["2", "stream,delivered,dead_lettered,batches,updated,retried", "0"])
    }

    @Test("a database from a newer atom-shipper is refused, naming the file and both versions")
    func newerRefused() throws {
        let scratch = try Scratch()
        let path = scratch.file("checkpoints.db")
        try sqlite(path, script: Self.version1 + "PRAGMA user_version = 9;")
        do {
            _ = try CheckpointStore(path: path)
            Issue.record("a version 9 database was opened")
        } catch {
            #expect(error.path == path)
            #expect(error.description.contains("schema version 9 is newer"))
            #expect(error.description.contains("(\(CheckpointStore.schemaVersion))"))
        }
    }
}
