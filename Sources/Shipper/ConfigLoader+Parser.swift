import AtomBase
import LogTail
import StreamMapping

extension ConfigLoader {
    /// The `parser` object of an input.
    static func readParser(_ value: ConfigValue?, at path: String,
                           walker w: inout ConfigWalker) -> ParserSpec? {
        guard let value else { return .raw(field: "message") }
        guard case .object(let members) = value else {
            w.fail(path, "expected an object such as { type: \"regex\", pattern: \"...\" }, found \(value.kindName)")
            return nil
        }
        let m = Members(path: path, members: members)
        guard let type = w.string(m, "type") else {
            w.fail("\(path).type", "missing: one of raw, json, regex, or a registered parser's name")
            return nil
        }
        switch type {
        case "raw":
            _ = w.object(value, at: path, allowed: ["type", "field"])
            return .raw(field: w.string(m, "field") ?? "message")
        case "json":
            _ = w.object(value, at: path, allowed: ["type"])
            return .json
        case "regex":
            _ = w.object(value, at: path, allowed: ["type", "pattern"])
            guard let pattern = w.string(m, "pattern"), !pattern.isEmpty else {
                w.fail("\(path).pattern", "missing: a regex parser needs a pattern with named groups")
                return nil
            }
            return .regex(pattern: pattern)
        default:
            var options: [String: FieldValue] = [:]
            for (key, item) in members where key != "type" {
                if let field = fieldValue(item, at: "\(path).\(key)", walker: &w) { options[key] = field }
            }
            return .custom(name: type, options: options)
        }
    }
}
