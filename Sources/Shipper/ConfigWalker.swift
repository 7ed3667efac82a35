import AtomBase

/// Reads typed values out of a parsed config, expanding `${VAR}` and `${VAR:-default}` in strings,
/// and collects every problem with its key path instead of stopping at the first.
struct ConfigWalker {
    var problems: [ConfigProblem] = []
    var warnings: [ConfigProblem] = []
    let environment: [String: String]

    mutating func fail(_ path: String, _ message: String) { problems.append(ConfigProblem(path, message)) }
    mutating func warn(_ path: String, _ message: String) { warnings.append(ConfigProblem(path, message)) }

    /// The members of an object; unknown keys are problems.
    mutating func object(_ value: ConfigValue?, at path: String, allowed: [String]) -> Members? {
        guard let value else { return nil }
        guard case .object(let members) = value else {
            fail(path, "expected an object, found \(value.kindName)")
            return nil
        }
        for (key, _) in members where !allowed.contains(key) {
            let hint = closest(key, in: allowed).map { " (did you mean '\($0)'?)" } ?? ""
            fail(join(path, key), "unknown key\(hint)")
        }
        return Members(path: path, members: members)
    }

    mutating func string(_ m: Members?, _ key: String, default fallback: String? = nil) -> String? {
        guard let value = m?[key] else { return fallback }
        return string(value, at: join(m?.path ?? "", key))
    }

    mutating func string(_ value: ConfigValue, at path: String) -> String? {
        switch value {
        case .string(let text): return expand(text, at: path)
        case .number(let text): return text
        case .bool(let b): return String(b)
        default:
            fail(path, "expected a string, found \(value.kindName)")
            return nil
        }
    }

    mutating func number(_ m: Members?, _ key: String, default fallback: Double, min: Double? = nil,
                         max: Double? = nil) -> Double {
        guard let value = m?[key] else { return fallback }
        let path = join(m?.path ?? "", key)
        var text: String?
        switch value {
        case .number(let t): text = t
        case .string(let t): text = expand(t, at: path)
        default: break
        }
        guard let text, let number = Double(text.trimmingSpaces), number.isFinite else {
            let shown = text.map { " '\($0)'" } ?? ""
            fail(path, "expected a number, found \(value.kindName)\(shown)")
            return fallback
        }
        if let min, number < min { fail(path, "must be at least \(format(min)), found \(format(number))") }
        if let max, number > max { fail(path, "must be at most \(format(max)), found \(format(number))") }
        return number
    }

    mutating func int(_ m: Members?, _ key: String, default fallback: Int, min: Int? = nil, max: Int? = nil) -> Int {
        let value = number(m, key, default: Double(fallback), min: min.map(Double.init), max: max.map(Double.init))
        guard value == value.rounded(), abs(value) < 9e18 else {
            fail(join(m?.path ?? "", key), "expected a whole number, found \(format(value))")
            return fallback
        }
        return Int(value)
    }

    /// Milliseconds in the config, seconds in the code.
    mutating func millis(_ m: Members?, _ key: String, defaultSeconds: Double, min: Double = 0) -> Double {
        number(m, key, default: defaultSeconds * 1000, min: min) / 1000
    }

    /// A duration in seconds: a number of seconds, or a string such as `90s`, `30m`, `12h`, `7d`
    /// (0 when absent).
    mutating func duration(_ m: Members?, _ key: String) -> Double {
        guard let value = m?[key] else { return 0 }
        let path = join(m?.path ?? "", key)
        guard let text = string(value, at: path)?.trimmingSpaces else { return 0 }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var digits = Substring(text)
        var scale = 1.0
        if let last = digits.last, let unit = units[last] {
            scale = unit
            digits = digits.dropLast()
        }
        guard let number = Double(String(digits).trimmingSpaces), number.isFinite, number >= 0 else {
            fail(path, "expected a duration such as 90s, 30m, 12h or 7d (or a number of seconds), found '\(text)'")
            return 0
        }
        return number * scale
    }

    mutating func bool(_ m: Members?, _ key: String, default fallback: Bool) -> Bool {
        guard let value = m?[key] else { return fallback }
        let path = join(m?.path ?? "", key)
        switch value {
        case .bool(let b): return b
        case .string(let t):
            switch expand(t, at: path)?.lowercased() {
            case "true", "yes", "1": return true
            case "false", "no", "0": return false
            default: break
            }
        default: break
        }
        fail(path, "expected true or false, found \(value.kindName)")
        return fallback
    }

    /// A list of strings; a single string is taken as a list of one.
    mutating func strings(_ m: Members?, _ key: String) -> [String] {
        guard let value = m?[key] else { return [] }
        let path = join(m?.path ?? "", key)
        switch value {
        case .string: return string(value, at: path).map { [$0] } ?? []
        case .array(let items):
            return items.enumerated().compactMap { index, item in string(item, at: "\(path)[\(index)]") }
        default:
            fail(path, "expected a list of strings, found \(value.kindName)")
            return []
        }
    }

    mutating func choice(_ m: Members?, _ key: String, _ options: [String], default fallback: String) -> String {
        guard let text = string(m, key) else { return fallback }
        guard options.contains(text) else {
            fail(join(m?.path ?? "", key), "expected one of \(options.joined(separator: ", ")), found '\(text)'")
            return fallback
        }
        return text
    }

    /// Expands `${VAR}` and `${VAR:-default}`; `$${` stands for a literal `${`.
    mutating func expand(_ text: String, at path: String) -> String? {
        let chars = Array(text)
        guard chars.count > 1 else { return text }
        var out = ""
        var i = 0
        while i < chars.count {
            if chars[i] == "$", i + 2 < chars.count, chars[i + 1] == "$", chars[i + 2] == "{" {
                out += "${"
                i += 3
                continue
            }
            guard chars[i] == "$", i + 1 < chars.count, chars[i + 1] == "{" else {
                out.append(chars[i])
                i += 1
                continue
            }
            guard let close = chars[(i + 2)...].firstIndex(of: "}") else {
                fail(path, "'${' without a closing '}'")
                return nil
            }
            let body = String(chars[(i + 2)..<close])
            i = close + 1
            let parts = body.split(separator: ":-", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 {
                let value = environment[String(parts[0])] ?? ""
                out += value.isEmpty ? String(parts[1]) : value
            } else if let value = environment[body] {
                out += value
            } else {
                fail(path, "environment variable \(body) is not set (write ${\(body):-} for an empty default)")
                return nil
            }
        }
        return out
    }

    func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func format(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v) }

    private func closest(_ key: String, in allowed: [String]) -> String? {
        let lower = key.lowercased()
        return allowed.first { $0.lowercased() == lower }
            ?? allowed.min { distance(lower, $0.lowercased()) < distance(lower, $1.lowercased()) }
                .flatMap { distance(lower, $0.lowercased()) <= 2 ? $0 : nil }
    }

    private func distance(_ a: String, _ b: String) -> Int {
        EditDistance.levenshtein(Array(a), Array(b))
    }
}

/// An object's members with its key path.
struct Members {
    let path: String
    let members: [(key: String, value: ConfigValue)]

    subscript(key: String) -> ConfigValue? { members.first { $0.key == key }?.value }
    var keys: [String] { members.map(\.key) }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
