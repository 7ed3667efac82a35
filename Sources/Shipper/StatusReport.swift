import AtomBase
import LogTail

/// What `atom-shipper status` prints: each file's checkpoint against its current size, with the
/// read and delivery times the running shipper last wrote, and each stream's figures. It reads
/// the checkpoint database without taking its lock, so it works beside a running shipper.
public enum StatusReport {
    public static func text(config: ShipperConfig) throws(CheckpointError) -> String {
        let store = try CheckpointStore(readingOnly: config.checkpointPath)
        defer { store.close() }
        let rows = try store.loadAll()
        let streams = try store.loadStreamStats()
        var snapshot: [String: (stats: FileStats, updated: Double)] = [:]
        for entry in try store.loadFileStats() { snapshot[entry.stats.input + "\u{0}" + entry.stats.key] = entry }

        // Every committed file, and the files the shipper holds that have no commit yet.
        var files = rows.map { row in
            FileStats(input: row.input, key: row.key, fingerprint: row.fingerprint,
                      fingerprintLength: row.fingerprintLength, device: row.device, inode: row.inode,
                      path: row.path, settled: row.offset, readTo: row.offset, lastRead: 0, lastDelivery: 0)
        }
        var committed: [String: Checkpoint] = [:]
        for row in rows { committed[row.input + "\u{0}" + row.key] = row }
        files += snapshot.filter { committed[$0.key] == nil }.map(\.value.stats)

        var lines = ["checkpoints: \(config.checkpointPath)", "files:"]
        if files.isEmpty { lines.append("  (none yet)") }
        for file in files.sorted(by: { ($0.input, $0.path) < ($1.input, $1.path) }) {
            var size = "gone"
            var lag = "-"
            if let st = try? Sys.stat(path: file.path), st.device == file.device, st.inode == file.inode {
                size = String(st.size)
                // A gzip archive's offset counts decompressed bytes: no lag against its size.
                if !file.path.hasSuffix(".gz") { lag = String(max(0, st.size - file.settled)) }
            } else if Path.exists(file.path) {
                size = "another file now"
            }
            var line = "  input \(file.input): \(file.path) offset \(file.settled) size \(size) lag \(lag) "
                + "identity \(file.fingerprint)/\(file.fingerprintLength)"
            if let row = committed[file.input + "\u{0}" + file.key] {
                line += " committed \(Clock.iso8601(row.updated))"
            } else {
                line += " committed never"
            }
            if let live = snapshot[file.input + "\u{0}" + file.key]?.stats {
                line += " read to \(live.readTo), last read \(time(live.lastRead)), "
                    + "last delivery \(time(live.lastDelivery))"
            }
            lines.append(line)
        }
        lines.append("streams:")
        if streams.isEmpty { lines.append("  (none yet)") }
        for s in streams {
            lines.append("  \(s.stream): \(s.delivered) delivered, \(s.deadLettered) dead-lettered, "
                         + "\(s.retried) retried, backlog \(s.backlog), "
                         + "\(plural(s.batches, "batch")), updated \(Clock.iso8601(s.updated))")
        }
        return lines.joined(separator: "\n")
    }

    private static func time(_ unix: Double) -> String { unix > 0 ? Clock.iso8601(unix) : "never" }
}
