import Foundation
import Testing
import TestSupport

@Suite("atom-shipper status", .serialized)
struct StatusTests {
    @Test("status shows each file's offset and lag and each stream's figures, beside a running shipper")
    func statusBesideRunningShipper() throws {
        let dir = try TempDir()
        let log = dir.file("app.log")
        let writer = AppendingWriter(path: log)
        let lines = (0..<300).map { "status line \($0) \(String(repeating: "s", count: 20))" }
        for line in lines { writer.write(line) }
        let size = (try FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? -1
        let config = dir.file("shipper.json5")
        try """
        {
          output: { directory: "out" },
          checkpoints: { path: "state/cp.sqlite", commitIntervalMs: 100 },
          inputs: [{ name: "app", paths: ["app.log"], stream: "app_stream" }],
        }
        """.write(toFile: config, atomically: true, encoding: .utf8)

        let shipper = try ShipperBinary.start(["run", "--config", config])
        var running = ShipperBinary.Result(status: -1, stdout: "", stderr: "")
        let sawStreams = eventually(timeout: 20) {
            running = (try? ShipperBinary.run(["status", "--config", config])) ?? running
            return running.stdout.contains("app_stream: 300 delivered")
        }
        #expect(sawStreams, "status while running: \(running.stdout) \(running.stderr)")
        #expect(running.status == 0)
        #expect(running.stdout.contains("\(log) offset \(size) size \(size) lag 0"))
        let stopped = shipper.terminate()
        #expect(stopped.status == 0, "stderr: \(stopped.stderr)")

        writer.write("one more line after the stop")
        let after = try ShipperBinary.run(["status", "--config", config])
        #expect(after.status == 0)
        let newSize = (try FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? -1
        #expect(after.stdout.contains("offset \(size) size \(newSize) lag \(newSize - size)"), "\(after.stdout)")
    }

    @Test("status on a damaged database names it and fails, as run does")
    func statusOnDamagedDatabase() throws {
        let dir = try TempDir()
        let config = dir.file("shipper.json5")
        try writeText("""
            { output: { directory: "out" }, checkpoints: { path: "state/cp.sqlite" },
              inputs: [{ name: "x", paths: ["app.log"] }] }
            """, to: config)
        try writeText((0..<200).map { "line \($0)\n" }.joined(), to: dir.file("app.log"))
        #expect(try ShipperBinary.run(["run", "--once", "--config", config]).status == 0)
        #expect(try ShipperBinary.run(["status", "--config", config]).status == 0)

        // Every page after the first overwritten: the header still says SQLite, the tables do not.
        let database = dir.file("state/cp.sqlite")
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: database))
        let size = try handle.seekToEnd()
        #expect(size > 4096)
        try handle.seek(toOffset: 4096)
        try handle.write(contentsOf: Data(repeating: 0xA5, count: Int(size) - 4096))
        try handle.close()
        let damaged = try ShipperBinary.run(["status", "--config", config])
        #expect(damaged.status != 0, "stdout: \(damaged.stdout)")
        #expect(damaged.stderr.contains(database) && damaged.stderr.contains("damaged"), "\(damaged.stderr)")

        try Data("not a database at all".utf8).write(to: URL(fileURLWithPath: database))
        let garbage = try ShipperBinary.run(["status", "--config", config])
        #expect(garbage.status != 0)
        #expect(garbage.stderr.contains(database) && garbage.stderr.contains("damaged"), "\(garbage.stderr)")
    }

    @Test("status before any run names the missing database")
    func statusWithoutDatabase() throws {
        let dir = try TempDir()
        let config = dir.file("shipper.json5")
        try "{ checkpoints: { path: \"state/none.sqlite\" }, inputs: [{ name: \"x\", paths: [\"/tmp/none\"] }] }"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let result = try ShipperBinary.run(["status", "--config", config])
        #expect(result.status != 0)
        #expect(result.stderr.contains("none.sqlite"))
    }
}
