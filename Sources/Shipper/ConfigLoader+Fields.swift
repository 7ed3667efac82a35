import AtomBase
import StreamMapping

extension ConfigLoader {
    /// The operations an item of `fields` may name, one per item.
    static let operationNames = ["add", "set", "rename", "copy", "remove", "convert", "lowercase", "keepLine",
                                 "mask", "hash", "timestamp"]
    static let timestampKeys = ["field", "format", "formats", "zone", "target", "keepOriginal", "precision",
                                "output", "errorField", "referenceDate"]

    /// An input's `fields`: a list of operations, each an object with one key naming it, such as
    /// `{ rename: { from: "msg", to: "message" } }`.
    static func readOperations(_ value: ConfigValue?, at path: String,
                               walker w: inout ConfigWalker) -> [FieldOperation] {
        guard let value else { return [] }
        guard case .array(let items) = value else {
            w.fail(path, "expected a list of field operations such as [{ rename: { from: \"a\", to: \"b\" } }], "
                   + "found \(value.kindName)")
            return []
        }
        var operations: [FieldOperation] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            guard let m = w.object(item, at: itemPath, allowed: operationNames) else { continue }
            guard m.keys.count == 1, let name = m.keys.first, operationNames.contains(name), let body = m[name]
            else {
                if m.keys.count != 1 {
                    w.fail(itemPath, "one operation per item (\(operationNames.joined(separator: ", "))), found "
                           + "\(m.keys.count)")
                }
                continue
            }
            if let operation = readOperation(name, body, at: "\(itemPath).\(name)", walker: &w) {
                operations.append(operation)
            }
        }
        return operations
    }

    private static func readOperation(_ name: String, _ body: ConfigValue, at path: String,
                                      walker w: inout ConfigWalker) -> FieldOperation? {
        switch name {
        case "remove", "lowercase":
            var fields: [String] = []
            if case .array(let items) = body {
                fields = items.enumerated().compactMap { w.string($1, at: "\(path)[\($0)]") }
            } else if let field = w.string(body, at: path) {
                fields = [field]
            }
            if fields.isEmpty { w.fail(path, "name at least one field") }
            return name == "remove" ? .remove(fields: fields) : .lowercase(fields: fields)
        case "keepLine":
            guard let field = w.string(body, at: path), !field.isEmpty else {
                w.fail(path, "name the field that keeps the line")
                return nil
            }
            return .keepLine(field: field)
        default:
            break
        }
        let allowed: [String] = switch name {
        case "add": ["field", "value"]
        case "set": ["field", "template"]
        case "rename", "copy": ["from", "to"]
        case "convert": ["field", "to", "onTypeError"]
        case "mask": ["field", "keepPrefix", "keepSuffix", "with", "pattern", "replacement"]
        case "timestamp": timestampKeys
        default: ["field", "key", "length"]
        }
        guard let m = w.object(body, at: path, allowed: allowed) else { return nil }
        func required(_ key: String) -> String? {
            guard let text = w.string(m, key), !text.isEmpty else {
                w.fail("\(path).\(key)", "missing: name the field")
                return nil
            }
            return text
        }
        switch name {
        case "add":
            guard let field = required("field") else { return nil }
            guard let item = m["value"] else {
                w.fail("\(path).value", "missing: the value to set (a string, number, boolean or null)")
                return nil
            }
            return fieldValue(item, at: "\(path).value", walker: &w).map { .add(field: field, value: $0) }
        case "set":
            guard let field = required("field") else { return nil }
            guard let template = w.string(m, "template") else {
                w.fail("\(path).template", "missing: a template such as \"{host}-{app}\"")
                return nil
            }
            return .set(field: field, template: template)
        case "rename", "copy":
            guard let from = required("from"), let to = required("to") else { return nil }
            return name == "rename" ? .rename(from: from, to: to) : .copy(from: from, to: to)
        case "convert":
            guard let field = required("field") else { return nil }
            let targets = ValueConversion.Target.allCases.map(\.rawValue)
            guard m["to"] != nil, let target = ValueConversion.Target(rawValue: w.choice(m, "to", targets, default: ""))
            else {
                if m["to"] == nil { w.fail("\(path).to", "missing: one of \(targets.joined(separator: ", "))") }
                return nil
            }
            let failures = ValueConversion.Failure.allCases.map(\.rawValue)
            let policy = ValueConversion.Failure(rawValue: w.choice(m, "onTypeError", failures, default: "keep"))
            return .convert(field: field, ValueConversion(target, onFailure: policy ?? .keep))
        case "mask":
            guard let field = required("field") else { return nil }
            return readMask(m, at: path, walker: &w).map { .mask(field: field, $0) }
        case "timestamp":
            guard let field = required("field") else { return nil }
            return readTimestamp(field, m, at: path, walker: &w).map { .timestamp($0) }
        default:
            guard let field = required("field") else { return nil }
            let key = w.string(m, "key")
            if key?.isEmpty == true {
                w.fail("\(path).key", "the key is empty (leave it out to hash with plain SHA-256)")
            }
            let length = w.int(m, "length", default: 64, min: 1, max: 64)
            return .hash(field: field, HashRule(key: key, length: length))
        }
    }

    /// A timestamp's formats (`format`, or a list in `formats`) and options.
    private static func readTimestamp(_ field: String, _ m: Members, at path: String,
                                      walker w: inout ConfigWalker) -> TimestampRule? {
        if m["format"] != nil && m["formats"] != nil {
            w.fail(path, "give format (one) or formats (a list), not both")
            return nil
        }
        let formats = w.strings(m, m["format"] != nil ? "format" : "formats")
        guard !formats.isEmpty else {
            w.fail("\(path).formats", "missing: a format such as \"%d/%b/%Y:%H:%M:%S %z\" or \"iso8601\"")
            return nil
        }
        var rule = TimestampRule(field: field, formats: formats)
        rule.zone = w.string(m, "zone") ?? "UTC"
        rule.target = w.string(m, "target") ?? "timestamp"
        rule.keepOriginal = w.bool(m, "keepOriginal", default: true)
        rule.precision = w.int(m, "precision", default: 3)
        let outputs = TimestampRule.Output.allCases.map(\.rawValue)
        rule.output = TimestampRule.Output(rawValue: w.choice(m, "output", outputs, default: "rfc3339")) ?? .rfc3339
        if case .bool(false)? = m["errorField"] {
            rule.errorField = nil
        } else if let errorField = w.string(m, "errorField") {
            rule.errorField = errorField
        }
        rule.referenceDate = w.string(m, "referenceDate")
        return rule
    }

    /// A mask keeps characters (`keepPrefix`, `keepSuffix`, `with`) or replaces a pattern
    /// (`pattern`, `replacement`).
    private static func readMask(_ m: Members, at path: String, walker w: inout ConfigWalker) -> MaskRule? {
        let keeps = ["keepPrefix", "keepSuffix", "with"].filter { m[$0] != nil }
        if let pattern = w.string(m, "pattern") {
            guard keeps.isEmpty else {
                w.fail(path, "a mask either replaces a pattern or keeps a prefix and suffix, not both")
                return nil
            }
            return .replace(pattern: pattern, replacement: w.string(m, "replacement") ?? "")
        }
        if m["replacement"] != nil {
            w.fail("\(path).pattern", "missing: a replacement needs the pattern it replaces")
            return nil
        }
        guard !keeps.isEmpty else {
            w.fail(path, "give keepPrefix and/or keepSuffix (characters kept), or a pattern and its replacement")
            return nil
        }
        let with = w.string(m, "with") ?? "*"
        return .keep(prefix: w.int(m, "keepPrefix", default: 0, min: 0),
                     suffix: w.int(m, "keepSuffix", default: 0, min: 0), with: with)
    }
}
