import AtomBase
import Glibc
import StreamMapping

extension ConfigLoader {
    static let multilineKeys = ["preset", "start", "continuation", "negate", "maxLines", "maxBytes",
                                "flushTimeoutMs"]
    static let containerKeys = ["format", "streamField", "timeField"]
    static let metadataKeys = ["host", "path", "input", "offset", "ingestTime", "eventId", "hostName"]

    /// `multiline`: a preset's name, or `{ preset | start | continuation, negate, maxLines,
    /// maxBytes, flushTimeoutMs }`.
    static func readMultiline(_ value: ConfigValue?, at path: String, walker w: inout ConfigWalker)
        -> MultilineSpec? {
        guard let value else { return nil }
        let presets = MultilineSpec.presetNames.joined(separator: ", ")
        if case .string = value {
            guard let name = w.string(value, at: path) else { return nil }
            guard let preset = MultilineSpec.preset(name) else {
                w.fail(path, "unknown preset '\(name)'; the presets are \(presets)")
                return nil
            }
            return preset
        }
        guard let m = w.object(value, at: path, allowed: multilineKeys) else { return nil }
        let given = ["preset", "start", "continuation"].filter { m[$0] != nil }
        guard given.count == 1, let key = given.first else {
            let found = given.isEmpty ? "none" : given.joined(separator: " and ")
            w.fail(path, "give exactly one of preset (\(presets)), start or continuation (a regex); found \(found)")
            return nil
        }
        var spec: MultilineSpec
        switch key {
        case "preset":
            guard let name = w.string(m, "preset") else { return nil }
            guard let preset = MultilineSpec.preset(name) else {
                w.fail("\(path).preset", "unknown preset '\(name)'; the presets are \(presets)")
                return nil
            }
            if m["negate"] != nil { w.fail("\(path).negate", "a preset's pattern cannot be negated") }
            spec = preset
        default:
            guard let pattern = w.string(m, key), !pattern.isEmpty else {
                w.fail("\(path).\(key)", "the pattern is empty")
                return nil
            }
            spec = MultilineSpec(mode: key == "start" ? .start : .continuation, pattern: pattern,
                                 negate: w.bool(m, "negate", default: false))
        }
        spec.maxLines = w.int(m, "maxLines", default: spec.maxLines, min: 1, max: 1_000_000)
        spec.maxBytes = w.int(m, "maxBytes", default: spec.maxBytes, min: 1, max: 64 << 20)
        spec.flushTimeout = w.millis(m, "flushTimeoutMs", defaultSeconds: spec.flushTimeout)
        return spec
    }

    /// `container`: `"docker"` or `"cri"`, or `{ format, streamField, timeField }` where a field
    /// name of `false` leaves that field out.
    static func readContainer(_ value: ConfigValue?, at path: String, walker w: inout ConfigWalker)
        -> ContainerSpec? {
        guard let value else { return nil }
        let formats = ContainerSpec.Format.allCases.map(\.rawValue)
        func format(_ text: String?, at path: String) -> ContainerSpec.Format? {
            guard let text else { return nil }
            guard let format = ContainerSpec.Format(rawValue: text) else {
                w.fail(path, "expected one of \(formats.joined(separator: ", ")), found '\(text)'")
                return nil
            }
            return format
        }
        if case .string = value {
            return format(w.string(value, at: path), at: path).map { ContainerSpec(format: $0) }
        }
        guard let m = w.object(value, at: path, allowed: containerKeys) else { return nil }
        guard m["format"] != nil else {
            w.fail("\(path).format", "missing: one of \(formats.joined(separator: ", "))")
            return nil
        }
        guard let chosen = format(w.string(m, "format"), at: "\(path).format") else { return nil }
        var spec = ContainerSpec(format: chosen)
        spec.streamField = fieldName(m, "streamField", default: "stream", whenAbsent: "stream", walker: &w)
        spec.timeField = fieldName(m, "timeField", default: "time", whenAbsent: "time", walker: &w)
        return spec
    }

    /// `metadata`: each key's field name, or `true` for its usual name.
    static func readMetadata(_ value: ConfigValue?, at path: String, input: String,
                             walker w: inout ConfigWalker) -> MetadataSpec {
        var spec = MetadataSpec()
        spec.inputName = input
        guard let m = w.object(value, at: path, allowed: metadataKeys) else { return spec }
        spec.host = fieldName(m, "host", default: "host", walker: &w)
        spec.path = fieldName(m, "path", default: "path", walker: &w)
        spec.input = fieldName(m, "input", default: "input", walker: &w)
        spec.offset = fieldName(m, "offset", default: "offset", walker: &w)
        spec.ingestTime = fieldName(m, "ingestTime", default: "ingest_time", walker: &w)
        spec.eventID = fieldName(m, "eventId", default: "event_id", walker: &w)
        spec.hostName = w.string(m, "hostName") ?? hostName()
        if m["hostName"] != nil && spec.host == nil {
            w.fail("\(path).hostName", "only used with metadata.host, which is not set")
        }
        return spec
    }

    /// Warns about a metadata field named like one the parser sets: the metadata value would take
    /// the parser's place in every event.
    static func warnMetadataClashes(_ spec: MetadataSpec, parserFields: [String]?, at path: String,
                                    walker w: inout ConfigWalker) {
        guard let fields = parserFields else { return }
        let named: [(key: String, field: String?)] = [
            ("host", spec.host), ("path", spec.path), ("input", spec.input), ("offset", spec.offset),
            ("ingestTime", spec.ingestTime), ("eventId", spec.eventID),
        ]
        for (key, field) in named {
            guard let field, fields.contains(field) else { continue }
            w.warn("\(path).metadata.\(key)", "the parser sets a field \"\(field)\" too, and the metadata "
                   + "value replaces it in every event; name the metadata field otherwise, "
                   + "e.g. \(key): \"source_\(key)\"")
        }
    }

    /// A field-name option: a name, `true` for `fallback`, `false` to leave the field out, and
    /// `whenAbsent` when the key is not there.
    private static func fieldName(_ m: Members, _ key: String, default fallback: String,
                                  whenAbsent: String? = nil, walker w: inout ConfigWalker) -> String? {
        guard let value = m[key] else { return whenAbsent }
        let path = "\(m.path).\(key)"
        if case .bool(let on) = value { return on ? fallback : nil }
        guard let name = w.string(value, at: path) else { return nil }
        if name.isEmpty { w.fail(path, "the field name is empty (write false to leave the field out)") }
        return name
    }

    /// This machine's host name (gethostname(2)).
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
