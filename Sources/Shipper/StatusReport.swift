import AtomBase
import LogTail

/// What `atom-shipper status` prints: each file's checkpoint against its current size, and each
/// stream's figures as the shipper last wrote them. It reads the checkpoint database without
/// taking its lock, so it works beside a running shipper.
public enum StatusReport {
    public static func text(config: ShipperConfig) throws(CheckpointError) -> String {
        let store = try CheckpointStore(readingOnly: config.checkpointPath)
        defer { store.close() }
        let rows = try store.loadAll()
        let streams = try store.loadStreamStats()
        var lines = ["checkpoints: \(config.checkpointPath)", "files:"]
        if rows.isEmpty { lines.append("  (none yet)") }
        for row in rows.sorted(by: { ($0.input, $0.path) < ($1.input, $1.path) }) {
            var size = "gone"
            var lag = "-"
            if let st = try? Sys.stat(path: row.path), st.device == row.device, st.inode == row.inode {
                size = String(st.size)
                // A gzip archive's offset counts decompressed bytes: no lag against its size.
                if !row.path.hasSuffix(".gz") { lag = String(max(0, st.size - row.offset)) }
            } else if Path.exists(row.path) {
                size = "another file now"
            }
            lines.append("  input \(row.input): \(row.path) offset \(row.offset) size \(size) lag \(lag) "
                         + "identity \(row.fingerprint)/\(row.fingerprintLength) updated \(Clock.iso8601(row.updated))")
        }
        lines.append("streams:")
        if streams.isEmpty { lines.append("  (none yet)") }
        for s in streams {
            lines.append("  \(s.stream): \(s.delivered) delivered, \(s.deadLettered) dead-lettered, "
                         + "\(plural(s.batches, "batch")), updated \(Clock.iso8601(s.updated))")
        }
        return lines.joined(separator: "\n")
    }
}
