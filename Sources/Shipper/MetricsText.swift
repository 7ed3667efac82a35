/// The Prometheus text exposition format (version 0.0.4) of a snapshot, for node_exporter's
/// textfile collector.
enum MetricsText {
    static func render(_ s: Shipper.Snapshot) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples { out += "\(name)\(sample.labels) \(sample.value)\n" }
        }
        func byInput(_ value: (Shipper.Snapshot.Input) -> Int) -> [(labels: String, value: String)] {
            s.inputs.map { (labels(["input": $0.name]), String(value($0))) }
        }
        func byStream(_ value: ((name: String, counts: StreamLedger.Counts, retried: Int)) -> Int)
            -> [(labels: String, value: String)] {
            s.streams.map { (labels(["stream": $0.name]), String(value($0))) }
        }

        family("atom_shipper_files_open", "gauge", "Files held open (or with events in flight), per input.",
               byInput(\.filesOpen))
        family("atom_shipper_files_opened_total", "counter", "Files opened, per input.", byInput(\.filesOpened))
        family("atom_shipper_lines_read_total", "counter", "Lines read, per input.", byInput(\.lines))
        family("atom_shipper_bytes_read_total", "counter", "Bytes read, per input.", byInput(\.bytes))
        family("atom_shipper_lines_dropped_total", "counter", "Lines dropped by a route, per input.",
               byInput(\.dropped))
        family("atom_shipper_parse_failures_total", "counter", "Lines the parser rejected, per input.",
               byInput(\.parseFailures))
        family("atom_shipper_lag_bytes", "gauge", "Bytes in the files not yet delivered, per input.",
               byInput { Int($0.lag) })
        family("atom_shipper_rotated_bytes_given_up_total", "counter",
               "Bytes of rotated files released unread (rotatedMaxBytes, rotatedMaxAgeMs), per input.",
               byInput(\.bytesGivenUp))
        family("atom_shipper_checkpoint_commits_total", "counter", "Checkpoint commits that wrote offsets, per input.",
               byInput(\.commits))
        family("atom_shipper_events_total", "counter", "Events handed to the tracker, per stream.",
               byStream(\.counts.submitted))
        family("atom_shipper_events_delivered_total", "counter", "Events the endpoint accepted, per stream.",
               byStream(\.counts.delivered))
        family("atom_shipper_events_dead_lettered_total", "counter",
               "Events written to the dead-letter file, per stream.",
               byStream(\.counts.deadLettered))
        family("atom_shipper_batches_total", "counter", "Batches settled, per stream.", byStream(\.counts.batches))
        family("atom_shipper_batches_rejected_total", "counter", "Batches the endpoint rejected, per stream.",
               byStream(\.counts.rejectedBatches))
        family("atom_shipper_retries_total", "counter", "Failed tries that were retried, per stream.",
               byStream(\.retried))
        family("atom_shipper_backlog_events", "gauge", "Events accepted and not yet settled, per stream.",
               byStream(\.counts.backlog))
        family("atom_shipper_tracker_backlog_events", "gauge", "Events accepted and not yet settled, in all.",
               [("", String(s.backlogEvents))])
        family("atom_shipper_tracker_backlog_bytes", "gauge", "Bytes of events accepted and not yet settled.",
               [("", String(s.backlogBytes))])
        family("atom_shipper_open_fds", "gauge", "Open file descriptors.", [("", String(s.openDescriptors))])
        family("atom_shipper_resident_memory_bytes", "gauge", "Resident memory.", [("", String(s.residentBytes))])
        family("atom_shipper_snapshot_time_seconds", "gauge", "When these figures were taken (Unix time).",
               [("", String(s.time))])
        return out
    }

    /// `{key="value",...}` with the format's escapes (backslash, double quote, line feed).
    static func labels(_ pairs: KeyValuePairs<String, String>) -> String {
        let inner = pairs.map { key, value in
            var escaped = ""
            for c in value {
                switch c {
                case "\\": escaped += "\\\\"
                case "\"": escaped += "\\\""
                case "\n": escaped += "\\n"
                default: escaped.append(c)
                }
            }
            return "\(key)=\"\(escaped)\""
        }
        return "{" + inner.joined(separator: ",") + "}"
    }
}
