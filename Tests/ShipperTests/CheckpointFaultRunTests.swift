import Foundation
import Glibc
import Testing
import TestSupport

/// The checkpoint database's faults with the real binary: the disk under it fills up, it is
/// damaged, it is deleted while the shipper runs, or a second shipper wants it.
@Suite("Checkpoint database faults, end to end", .serialized)
struct CheckpointFaultRunTests {
    static func config(in dir: TempDir, checkpoints: String, extra: String = "") throws -> String {
        let path = dir.file("shipper.json5")
        try writeText("""
        {
          output: { directory: "out" },
          checkpoints: { path: "\(checkpoints)", commitIntervalMs: 100 \(extra) },
          deadLetter: { path: "dead.jsonl" },
          tracker: { flushIntervalMs: 100 },
          inputs: [{ name: "app", paths: ["app.log"], stream: "app" }],
        }
        """, to: path)
        return path
    }

    static func write(_ range: Range<Int>, to writer: AppendingWriter) -> [String] {
        range.map { n in
            let line = "fault line \(n) " + String(repeating: "f", count: n % 40)
            writer.write(line)
            return line
        }
    }

    static func delivered(_ dir: TempDir) -> [String] {
        dir.lines(of: "out/app.jsonl").map { decode($0)["message"] as? String ?? "" }
    }

    @Test("the checkpoint disk fills up: errors name the file, delivery goes on, the commit lands later",
          .enabled(if: SmallFilesystem.available, "mounting a tmpfs is not permitted here"))
    func diskFullWhileRunning() throws {
        let dir = try TempDir()
        let disk = try SmallFilesystem(bytes: 512 * 1024)
        let database = disk.file("cp.sqlite")
        let config = try Self.config(in: dir, checkpoints: database)
        let writer = AppendingWriter(path: dir.file("app.log"))
        var written = Self.write(0..<200, to: writer)

        let shipper = try ShipperBinary.start(["run", "--config", config])
        #expect(eventually { Self.delivered(dir).count == 200 }, "\(shipper.stderr)")
        disk.fill()
        // Lines keep coming while no commit can be made.
        for round in 0..<20 {
            written += Self.write(200 + round * 50..<250 + round * 50, to: writer)
            usleep(100_000)
        }
        #expect(eventually { shipper.stderr.contains("disk is full") }, "\(shipper.stderr)")
        #expect(eventually { Self.delivered(dir).count == written.count })
        let failure = shipper.stderr.split(separator: "\n").first { $0.contains("disk is full") } ?? ""
        #expect(failure.contains(database), "\(failure)")
        #expect(failure.contains("input=app"), "\(failure)")

        disk.release()
        let size = try FileManager.default.attributesOfItem(atPath: dir.file("app.log"))[.size] as? Int ?? -1
        let committed = eventually {
            let status = try? ShipperBinary.run(["status", "--config", config])
            return status?.stdout.contains("offset \(size) size \(size) lag 0") ?? false
        }
        #expect(committed, "the retried commit never landed")
        let result = shipper.terminate()
        #expect(result.status == 0, "\(result.stderr)")

        let again = try ShipperBinary.run(["run", "--config", config, "--once"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(multiset(Self.delivered(dir)) == multiset(written), "a restart shipped lines again")
    }

    @Test("a damaged database: refused by default, naming the file; with onCorrupt it is set aside")
    func damagedDatabasePolicies() throws {
        let dir = try TempDir()
        let database = dir.file("state/cp.sqlite")
        try FileManager.default.createDirectory(atPath: dir.file("state"), withIntermediateDirectories: true)
        let garbage = Data(("not a database\n" + String(repeating: "#", count: 5000)).utf8)
        try garbage.write(to: URL(fileURLWithPath: database))
        let writer = AppendingWriter(path: dir.file("app.log"))
        let written = Self.write(0..<100, to: writer)

        let refused = try ShipperBinary.run(["run", "--config", try Self.config(in: dir, checkpoints: database),
                                             "--once"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains(database), "\(refused.stderr)")
        #expect(refused.stderr.contains("damaged") && refused.stderr.contains("onCorrupt"), "\(refused.stderr)")
        #expect(FileManager.default.contents(atPath: database) == garbage)
        #expect(Self.delivered(dir).isEmpty)

        // end: the damaged file goes aside, and what app.log holds now is skipped.
        let atEnd = try Self.config(in: dir, checkpoints: database, extra: ", onCorrupt: 'end'")
        let skipped = try ShipperBinary.run(["run", "--config", atEnd, "--once"])
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(skipped.stderr.contains("checkpoint database damaged; set aside"), "\(skipped.stderr)")
        let aside = try FileManager.default.contentsOfDirectory(atPath: dir.file("state"))
            .filter { $0.hasPrefix("cp.sqlite.corrupt-") && !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm") }
        #expect(aside.count == 1)
        #expect(aside.first.flatMap { FileManager.default.contents(atPath: dir.file("state/\($0)")) } == garbage)
        #expect(Self.delivered(dir).isEmpty)
        let later = Self.write(100..<150, to: writer)
        _ = try ShipperBinary.run(["run", "--config", atEnd, "--once"])
        #expect(multiset(Self.delivered(dir)) == multiset(later))

        // beginning: a damaged file again, and everything is read from the start.
        try garbage.write(to: URL(fileURLWithPath: database))
        try? FileManager.default.removeItem(atPath: dir.file("out"))
        let fromStart = try Self.config(in: dir, checkpoints: database, extra: ", onCorrupt: 'beginning'")
        let all = try ShipperBinary.run(["run", "--config", fromStart, "--once"])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(multiset(Self.delivered(dir)) == multiset(written + later))
    }

    @Test("the state folder deleted while running is recreated, and a restart repeats nothing")
    func deletedWhileRunning() throws {
        let dir = try TempDir()
        let config = try Self.config(in: dir, checkpoints: "state/cp.sqlite")
        let writer = AppendingWriter(path: dir.file("app.log"))
        var written = Self.write(0..<100, to: writer)
        let shipper = try ShipperBinary.start(["run", "--config", config])
        #expect(eventually { Self.delivered(dir).count == 100 })
        usleep(300_000)  // a commit or two after the delivery
        try FileManager.default.removeItem(atPath: dir.file("state"))
        written += Self.write(100..<200, to: writer)
        #expect(eventually { shipper.stderr.contains("recreated from memory") }, "\(shipper.stderr)")
        #expect(eventually { Self.delivered(dir).count == 200 })
        let result = shipper.terminate()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.file("state/cp.sqlite")))

        let again = try ShipperBinary.run(["run", "--config", config, "--once"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(multiset(Self.delivered(dir)) == multiset(written))
    }

    @Test("a second shipper on the same database is refused, naming the first one's pid")
    func secondInstanceRefused() throws {
        let dir = try TempDir()
        let config = try Self.config(in: dir, checkpoints: "state/cp.sqlite")
        _ = Self.write(0..<10, to: AppendingWriter(path: dir.file("app.log")))
        let first = try ShipperBinary.start(["run", "--config", config])
        #expect(eventually { Self.delivered(dir).count == 10 })
        let second = try ShipperBinary.run(["run", "--config", config], timeout: 30)
        #expect(second.status == 1)
        #expect(second.stderr.contains("another atom-shipper process (pid \(first.process.processIdentifier))"),
                "\(second.stderr)")
        #expect(second.stderr.contains(dir.file("state/cp.sqlite")))
        let result = first.terminate()
        #expect(result.status == 0)
        #expect(Self.delivered(dir).count == 10)
    }
}
