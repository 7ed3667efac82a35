import Foundation
import Testing
import TestSupport

@Suite("Rotated dead-letter and output files with the real binary", .serialized)
struct DeadLetterRotationTests {
    /// 100 JSON lines of about 80 bytes: batches of 40 make dead-letter records of about 3 KB.
    private func writeOrders(_ dir: TempDir) throws -> [String] {
        let lines = (0..<100).map { #"{"order":\#($0),"note":"a rotated dead letter, replayed once"}"# }
        try writeText(lines.joined(separator: "\n") + "\n", to: dir.file("orders.log"))
        return lines
    }

    private func config(endpoint: String) -> String {
        """
        {
          atom: { endpoint: "\(endpoint)" },
          checkpoints: { path: "state/cp.sqlite" },
          deadLetter: { path: "state/dead.jsonl", maxFileBytes: 1024, maxTotalBytes: 1000000 },
          tracker: { batchSize: 40, workers: 1 },
          inputs: [{ name: "orders", paths: ["orders.log"], parser: { type: "json" }, stream: "orders" }],
        }
        """
    }

    @Test("replay without file arguments sends the dead-letter file and its rotated files once")
    func replayRotated() throws {
        let dir = try TempDir()
        let lines = try writeOrders(dir)
        let configPath = dir.file("shipper.json5")

        // Every batch is rejected: three records of about 3 KB, one file each (1 KiB per file).
        let rejecting = try AtomReceiver()
        rejecting.plan(Array(repeating: .status(400), count: 10), stream: "orders")
        try writeText(config(endpoint: rejecting.endpoint), to: configPath)
        let first = try ShipperBinary.run(["run", "--once", "--config", configPath])
        rejecting.stop()
        #expect(first.status == 1)
        let live = dir.file("state/dead.jsonl")
        let files = [live + ".2", live + ".1", live]
        #expect(try files.map { try fileLines($0).count } == [1, 1, 1])
        #expect(!FileManager.default.fileExists(atPath: live + ".3"))

        // Replay: the endpoint takes all but the first request, which is rejected once more.
        let accepting = try AtomReceiver()
        accepting.plan([.status(400)], stream: "orders")
        try writeText(config(endpoint: accepting.endpoint), to: configPath)
        let replay = try ShipperBinary.run(["replay", "--config", configPath])
        #expect(replay.status == 1, "a batch was dead-lettered again")
        #expect(replay.stdout.contains("replayed 100 events from 3 files: 60 delivered, 40 dead-lettered again"),
                "stdout: \(replay.stdout) stderr: \(replay.stderr)")
        // All three were settled and set aside; the rejected batch alone is in a new dead-letter file.
        #expect(files.dropLast().allSatisfy { !FileManager.default.fileExists(atPath: $0) })
        let renamed = replay.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("replayed and renamed:") }
        #expect(renamed.count == 3)
        for (file, line) in zip(files, renamed) { #expect(line.hasPrefix("replayed and renamed: \(file).replayed-")) }
        let again = try fileLines(live)
        #expect(again.count == 1)
        let rejected = (decode(again[0])["events"] as? [[String: Any]])?.compactMap { $0["order"] as? Int } ?? []
        #expect(rejected.count == 40)

        // Once more: only the batch rejected again is sent, and every order has arrived exactly once.
        let last = try ShipperBinary.run(["replay", "--config", configPath])
        #expect(last.status == 0, "stdout: \(last.stdout) stderr: \(last.stderr)")
        let delivered = accepting.events(stream: "orders")
        #expect(delivered.count == 100)
        #expect(Set(delivered) == Set(lines))
        #expect(Set(rejected) == Set(delivered.suffix(40).compactMap { decode($0)["order"] as? Int }))

        let nothing = try ShipperBinary.run(["replay", "--config", configPath])
        #expect(nothing.status == 0)
        #expect(nothing.stdout.contains("no dead-letter files to replay"))
        #expect(accepting.allEvents.count == 100)
    }

    @Test("with no endpoint, each stream's output file is rotated by size and keeps every line")
    func outputRotation() throws {
        let dir = try TempDir()
        let lines = try writeOrders(dir)
        let configPath = dir.file("shipper.json5")
        try writeText("""
            {
              output: { directory: "out", maxFileBytes: 2048 },
              checkpoints: { path: "state/cp.sqlite" },
              tracker: { batchSize: 10, workers: 1 },
              inputs: [{ name: "orders", paths: ["orders.log"], parser: { type: "json" }, stream: "orders" }],
            }
            """, to: configPath)

        let result = try ShipperBinary.run(["run", "--once", "--config", configPath])

        #expect(result.status == 0, "stderr: \(result.stderr)")
        let base = dir.file("out/orders.jsonl")
        var files = [base]
        while FileManager.default.fileExists(atPath: "\(base).\(files.count)") {
            files.insert("\(base).\(files.count)", at: 0)
        }
        // Batches of 10 lines are 580 or 590 bytes: three fit in 2,048 bytes, the fourth starts a file.
        let sizes = try files.map { (try FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) ?? 0 }
        #expect(sizes == [1760, 1770, 1770, 590])
        // One worker: batches are written in file order, so the files hold the lines in order.
        #expect(try files.flatMap { try fileLines($0) } == lines)
    }

    @Test("rotation keys are checked and named by key path")
    func rotationKeysChecked() throws {
        let dir = try TempDir()
        let configPath = dir.file("bad.json5")
        try writeText("""
            {
              output: { maxFileBytes: 10 },
              deadLetter: { maxTotalBytes: 5000 },
              inputs: [{ name: "a", paths: ["a.log"] }],
            }
            """, to: configPath)
        let result = try ShipperBinary.run(["check", "--config", configPath])
        #expect(result.status == 1)
        #expect(result.stderr.contains("output.maxFileBytes: must be at least 1024, found 10"), "\(result.stderr)")
        #expect(result.stderr.contains("deadLetter.maxTotalBytes: needs maxFileBytes"))

        try writeText("""
            { deadLetter: { maxFileBytes: 4096, maxTotalBytes: 2048 }, inputs: [{ name: "a", paths: ["a.log"] }] }
            """, to: configPath)
        let second = try ShipperBinary.run(["check", "--config", configPath])
        #expect(second.status == 1)
        #expect(second.stderr.contains("deadLetter.maxTotalBytes: must be at least maxFileBytes (4096), found 2048"))
    }
}
