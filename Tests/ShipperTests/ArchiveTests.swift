import Foundation
import Testing
import TestSupport

@Suite("Gzip archives", .serialized)
struct ArchiveTests {
    func writeArchive(_ dir: TempDir, _ name: String, lines: [String]) throws {
        try writeText(lines.joined(separator: "\n") + "\n", to: dir.file("archive/\(name)"))
        try tool("/bin/gzip", ["-9", dir.file("archive/\(name)")])
    }

    @Test("""
        a .gz archive ships exactly its decompressed lines; truncated and corrupt ones are reported by path \
        while others ship
        """)
    func archiveAndBrokenArchives() throws {
        let dir = try TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("archive"), withIntermediateDirectories: true)
        let archived = (0..<5000).map { "archived event \($0) user=\($0 * 7 % 1000) path=/item/\($0)" }
        try writeArchive(dir, "old.log", lines: archived)

        // Cut in half: what decompresses is a true prefix of the text.
        let cut = (0..<5000).map { "cut event \($0) \(UUID().uuidString)" }
        try writeArchive(dir, "cut.log", lines: cut)
        let cutPath = URL(fileURLWithPath: dir.file("archive/cut.log.gz"))
        let whole = try Data(contentsOf: cutPath)
        try whole.prefix(whole.count / 2).write(to: cutPath)

        // Damaged in the middle of its compressed bytes.
        let damaged = (0..<5000).map { "damaged event \($0) \(UUID().uuidString)" }
        try writeArchive(dir, "damaged.log", lines: damaged)
        let damagedPath = URL(fileURLWithPath: dir.file("archive/damaged.log.gz"))
        var bytes = try Data(contentsOf: damagedPath)
        for i in (bytes.count / 2)..<(bytes.count / 2 + 64) { bytes[i] ^= 0x5A }
        try bytes.write(to: damagedPath)
        // Both broken archives are old enough not to be "still being written".
        let old = Date().addingTimeInterval(-3600)
        for path in [cutPath.path, damagedPath.path] {
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: path)
        }

        let config = dir.file("shipper.json5")
        try """
        {
          output: { directory: "out" },
          checkpoints: { path: "state/cp.sqlite" },
          deadLetter: { path: "state/dead.jsonl" },
          inputs: [{ name: "backfill", paths: ["archive/*.gz"], gzipSettleMs: 1000, stream: "archive" }],
        }
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let result = try ShipperBinary.run(["run", "--once", "--config", config])
        #expect(result.status != 0, "broken archives make the run fail")
        #expect(result.stderr.contains(cutPath.path) && result.stderr.contains("ends early"))
        #expect(result.stderr.contains(damagedPath.path))
        #expect(result.stdout.contains("cut.log.gz") && result.stdout.contains("damaged.log.gz"))

        let events = try fileLines(dir.file("out/archive.jsonl")).map { decode($0)["message"] as? String ?? "" }
        // Batches from two workers land in any order; within the set, each line once.
        #expect(multiset(events.filter { $0.hasPrefix("archived ") }) == multiset(archived))
        let fromCut = events.filter { $0.hasPrefix("cut ") }
        #expect(!fromCut.isEmpty)
        #expect(Set(fromCut).count == fromCut.count)
        // Only whole lines of the prefix, and at most one fragment: the start of the line the cut
        // went through (it may sit anywhere in the output, since batches land in any order).
        let wholeLines = Set(cut)
        let fragments = fromCut.filter { !wholeLines.contains($0) }
        #expect(fragments.count <= 1)
        #expect(fragments.allSatisfy { fragment in cut.contains { $0.hasPrefix(fragment) } })
        #expect(fromCut.count <= cut.count)
    }

    @Test("a multi-member archive (two gzip outputs concatenated) reads as one stream")
    func multiMember() throws {
        let dir = try TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("archive"), withIntermediateDirectories: true)
        let first = (0..<300).map { "first member \($0)" }
        let second = (0..<300).map { "second member \($0)" }
        try writeArchive(dir, "a.log", lines: first)
        try writeArchive(dir, "b.log", lines: second)
        var joined = try Data(contentsOf: URL(fileURLWithPath: dir.file("archive/a.log.gz")))
        joined.append(try Data(contentsOf: URL(fileURLWithPath: dir.file("archive/b.log.gz"))))
        try FileManager.default.removeItem(atPath: dir.file("archive/a.log.gz"))
        try FileManager.default.removeItem(atPath: dir.file("archive/b.log.gz"))
        try joined.write(to: URL(fileURLWithPath: dir.file("archive/both.log.gz")))
        let config = dir.file("shipper.json5")
        try """
        { output: { directory: "out" }, checkpoints: { path: "state/cp.sqlite" },
          inputs: [{ name: "m", paths: ["archive/*.gz"], stream: "m" }] }
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let result = try ShipperBinary.run(["run", "--once", "--config", config])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let events = try fileLines(dir.file("out/m.jsonl")).map { decode($0)["message"] as? String ?? "" }
        #expect(multiset(events) == multiset(first + second))
    }
}
