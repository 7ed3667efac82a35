import AtomBase
import LogTail
import StreamMapping

extension ConfigLoader {
    /// Keys every parser takes besides its own: field types and what a value that does not convert
    /// becomes.
    static let typeKeys = ["types", "onTypeError"]

    /// The `parser` object of an input.
    static func readParser(_ value: ConfigValue?, at path: String, walker w: inout ConfigWalker,
                           resolve: (String) -> String = { $0 }) -> ParserSpec? {
        guard let value else { return .raw(field: "message") }
        guard case .object(let members) = value else {
            w.fail(path, "expected an object such as { type: \"regex\", pattern: \"...\" }, found \(value.kindName)")
            return nil
        }
        let m = Members(path: path, members: members)
        guard let type = w.string(m, "type") else {
            w.fail("\(path).type", "missing: one of raw, json, regex, grok, or a registered parser's name")
            return nil
        }
        switch type {
        case "raw":
            _ = w.object(value, at: path, allowed: ["type", "field"] + typeKeys)
            return .raw(field: w.string(m, "field") ?? "message")
        case "json":
            _ = w.object(value, at: path, allowed: ["type", "nonObject"] + typeKeys)
            let policies = JSONNonObject.allCases.map(\.rawValue)
            let policy = w.choice(m, "nonObject", policies, default: "error")
            return .json(nonObject: JSONNonObject(rawValue: policy) ?? .error)
        case "regex":
            _ = w.object(value, at: path, allowed: ["type", "pattern"] + typeKeys)
            guard let pattern = w.string(m, "pattern"), !pattern.isEmpty else {
                w.fail("\(path).pattern", "missing: a regex parser needs a pattern with named groups")
                return nil
            }
            return .regex(pattern: pattern)
        case "grok":
            _ = w.object(value, at: path, allowed: ["type", "pattern", "patterns", "patternsFiles"] + typeKeys)
            return readGrok(m, at: path, walker: &w, resolve: resolve)
        default:
            var options: [String: FieldValue] = [:]
            for (key, item) in members where key != "type" && !typeKeys.contains(key) {
                if let field = fieldValue(item, at: "\(path).\(key)", walker: &w) { options[key] = field }
            }
            return .custom(name: type, options: options)
        }
    }

    /// The parser's `types` (`{ bytes: "int" }`) and `onTypeError` (`keep`, `null` or `drop`),
    /// set on `mapping`.
    static func readFieldTypes(_ value: ConfigValue?, at path: String, walker w: inout ConfigWalker,
                               into mapping: inout MappingSpec) {
        guard case .object(let members)? = value else { return }
        let m = Members(path: path, members: members)
        let failures = ValueConversion.Failure.allCases.map(\.rawValue)
        let policy = w.choice(m, "onTypeError", failures, default: "keep")
        mapping.onTypeError = ValueConversion.Failure(rawValue: policy) ?? .keep
        guard let types = m["types"] else { return }
        guard case .object(let fields) = types else {
            w.fail("\(path).types", "expected an object of field names and types, such as "
                   + "{ bytes: \"int\" }, found \(types.kindName)")
            return
        }
        let targets = ValueConversion.Target.allCases.map(\.rawValue)
        let t = Members(path: "\(path).types", members: fields)
        for (name, _) in fields {
            let text = w.choice(t, name, targets, default: "")
            if let target = ValueConversion.Target(rawValue: text) { mapping.fieldTypes.append((name, target)) }
        }
    }

    /// A grok parser's `pattern` (one or a list), `patterns` (`{ NAME: "regex" }`) and
    /// `patternsFiles` (files of `NAME regex` lines; `#` starts a comment line).
    static func readGrok(_ m: Members, at path: String, walker w: inout ConfigWalker,
                         resolve: (String) -> String) -> ParserSpec? {
        let patterns = w.strings(m, "pattern")
        if patterns.isEmpty || patterns.contains(where: \.isEmpty) {
            w.fail("\(path).pattern", "missing: a grok parser needs a pattern such as \"%{COMBINEDAPACHELOG}\"")
            return nil
        }
        var definitions: [GrokDefinition] = []
        for (index, file) in w.strings(m, "patternsFiles").enumerated() {
            let keyPath = "parser.patternsFiles[\(index)]"
            let bytes: [UInt8]
            do {
                bytes = try Sys.readFile(resolve(file))
            } catch {
                w.fail("\(path).patternsFiles[\(index)]", "cannot read '\(resolve(file))': \(error.message)")
                continue
            }
            for (number, line) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
                var text = Substring(String(decoding: line, as: UTF8.self))
                if text.hasSuffix("\r") { text = text.dropLast() }
                let trimmed = text.drop { $0 == " " || $0 == "\t" }
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                let name = trimmed.prefix { $0 != " " && $0 != "\t" }
                let regex = trimmed.dropFirst(name.count).drop { $0 == " " || $0 == "\t" }
                guard !regex.isEmpty else {
                    w.fail("\(path).patternsFiles[\(index)]",
                           "line \(number + 1): expected a name, a space and a regex")
                    continue
                }
                definitions.append(GrokDefinition(name: String(name), regex: String(regex), keyPath: keyPath,
                                                  line: number + 1))
            }
        }
        switch m["patterns"] {
        case nil: break
        case .object(let members)?:
            for (name, item) in members {
                let keyPath = "\(path).patterns.\(name)"
                guard let regex = w.string(item, at: keyPath) else { continue }
                definitions.append(GrokDefinition(name: name, regex: regex, keyPath: "parser.patterns.\(name)"))
            }
        case let other?:
            w.fail("\(path).patterns", "expected an object of pattern names and regexes, found \(other.kindName)")
        }
        return .grok(GrokSpec(patterns: patterns, definitions: definitions))
    }
}
