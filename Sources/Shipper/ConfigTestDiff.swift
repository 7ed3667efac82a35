import AtomBase

/// Compares the events a test's lines made with the events it expects, and words each
/// difference: a stream that differs, fields missing, not expected or with another value (by key
/// path), events missing or not expected.
///
/// Events are JSON values: object members in any order, strings by their characters (their
/// UTF-8 bytes, so no Unicode normalisation), numbers by their text as written (`200` and
/// `200.0` differ). Expected and actual events are lined up by a longest common subsequence of
/// the equal ones, so one missing or extra event does not make all the later ones differ.
enum ConfigTestDiff {
    /// What the mapping made of one event.
    struct Actual {
        /// nil when the event was dropped.
        var stream: String?
        /// `.null` when dropped.
        var event: ConfigValue
        /// The event's JSON as it would be shipped.
        var json: String
        /// The text it was made from, on one line, cut (as `preview --summary` shows it).
        var text: String
    }

    /// Pairs beyond this many are lined up by position only (a test of thousands of lines).
    static let alignmentLimit = 250_000

    /// The differences, one message per line, nested ones indented by two spaces; empty when the
    /// test passes. Top-level fields named in `varying` are left out of the comparison unless
    /// the expected event names them, and then only their presence is checked.
    static func differences(expected: [ConfigTest.Expectation], actual: [Actual], varying: Set<String>) -> [String] {
        let pairs = align(expected.count, actual.count) { i, j in
            fieldDifferences(expected[i], actual[j], varying: varying).isEmpty
        }
        var out: [String] = []
        for pair in pairs {
            switch pair {
            case (let i?, let j?):
                let found = fieldDifferences(expected[i], actual[j], varying: varying)
                guard !found.isEmpty else { continue }
                out.append("expect[\(i)] vs event \(j + 1) (from: \(actual[j].text)):")
                out += found.map { "  " + $0 }
            case (let i?, nil):
                out.append("expect[\(i)]: missing, expected \(shown(expected[i]))")
            case (nil, let j?):
                out.append("event \(j + 1) (from: \(actual[j].text)): not expected, got \(shown(actual[j]))")
            case (nil, nil):
                break
            }
        }
        return out
    }

    /// How an expected event reads in a message: its stream and JSON, or `(dropped)`.
    static func shown(_ expectation: ConfigTest.Expectation) -> String {
        expectation.stream.map { "\($0) \(expectation.event.jsonText)" } ?? "(dropped)"
    }

    static func shown(_ actual: Actual) -> String {
        actual.stream.map { "\($0) \(actual.json)" } ?? "(dropped)"
    }

    /// What differs between an expected event and an actual one (empty when they are equal).
    static func fieldDifferences(_ expected: ConfigTest.Expectation, _ actual: Actual,
                                 varying: Set<String>) -> [String] {
        guard let wanted = expected.stream, let got = actual.stream else {
            if expected.stream == nil && actual.stream == nil { return [] }
            return ["stream: expected \(expected.stream ?? "(dropped)"), got \(shown(actual))"]
        }
        var out: [String] = []
        if !same(wanted, got) { out.append("stream: expected \(wanted), got \(got)") }
        guard case .object(let want) = expected.event, case .object(let have) = actual.event else {
            compare(expected.event, actual.event, at: "", into: &out)
            return out
        }
        // The top level by hand: the varying metadata fields are only looked for.
        for (key, value) in want {
            let path = step("", key)
            guard let other = member(key, of: have) else {
                out.append("\(path): missing (expected \(value.jsonText))")
                continue
            }
            if !varying.contains(key) { compare(value, other, at: path, into: &out) }
        }
        for (key, value) in have where member(key, of: want) == nil && !varying.contains(key) {
            out.append("\(step("", key)): not expected (got \(value.jsonText))")
        }
        return out
    }

    /// Appends what differs between two values below `path`.
    static func compare(_ expected: ConfigValue, _ actual: ConfigValue, at path: String, into out: inout [String]) {
        switch (expected, actual) {
        case (.object(let want), .object(let have)):
            for (key, value) in want {
                if let other = member(key, of: have) {
                    compare(value, other, at: step(path, key), into: &out)
                } else {
                    out.append("\(step(path, key)): missing (expected \(value.jsonText))")
                }
            }
            for (key, value) in have where member(key, of: want) == nil {
                out.append("\(step(path, key)): not expected (got \(value.jsonText))")
            }
        case (.array(let want), .array(let have)):
            for index in 0..<max(want.count, have.count) {
                let itemPath = "\(path.isEmpty ? "event" : path)[\(index)]"
                if index >= have.count {
                    out.append("\(itemPath): missing (expected \(want[index].jsonText))")
                } else if index >= want.count {
                    out.append("\(itemPath): not expected (got \(have[index].jsonText))")
                } else {
                    compare(want[index], have[index], at: itemPath, into: &out)
                }
            }
        default:
            if !equal(expected, actual) {
                out.append("\(path.isEmpty ? "event" : path): expected \(expected.jsonText), got \(actual.jsonText)")
            }
        }
    }

    /// Whether two values are the same JSON value (object members in any order).
    static func equal(_ a: ConfigValue, _ b: ConfigValue) -> Bool {
        switch (a, b) {
        case let (.string(x), .string(y)), let (.number(x), .number(y)): return same(x, y)
        case let (.bool(x), .bool(y)): return x == y
        case (.null, .null): return true
        case let (.array(x), .array(y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case let (.object(x), .object(y)):
            return x.count == y.count
                && x.allSatisfy { key, value in member(key, of: y).map { equal(value, $0) } ?? false }
        default: return false
        }
    }

    /// Text compared byte for byte: Swift's `==` would take composed and decomposed accents as equal.
    static func same(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

    static func member(_ key: String, of members: [(key: String, value: ConfigValue)]) -> ConfigValue? {
        members.first { same($0.key, key) }?.value
    }

    /// `path.key`, or `path["key"]` for a key that is not a plain name (a dot or space in it).
    static func step(_ path: String, _ key: String) -> String {
        let plain = !key.isEmpty && key.unicodeScalars.allSatisfy { c in
            c.properties.isAlphabetic || ("0"..."9").contains(c) || "_-@$".unicodeScalars.contains(c)
        }
        if plain { return path.isEmpty ? key : "\(path).\(key)" }
        return "\(path)[\(ConfigValue.string(key).jsonText)]"
    }

    /// Lines up `n` expected and `m` actual events: the pairs of a longest common subsequence of
    /// equal ones, and between two such pairs the others paired by position, the leftovers alone.
    static func align(_ n: Int, _ m: Int, equal: (Int, Int) -> Bool) -> [(Int?, Int?)] {
        var matched: [(Int, Int)] = []
        if n * m <= alignmentLimit {
            // lengths[i][j]: the longest common subsequence of expected[i...] and actual[j...].
            var same = [[Bool]](repeating: [Bool](repeating: false, count: m), count: n)
            var lengths = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m - 1, through: 0, by: -1) {
                    same[i][j] = equal(i, j)
                    lengths[i][j] = same[i][j] ? lengths[i + 1][j + 1] + 1 : max(lengths[i + 1][j], lengths[i][j + 1])
                }
            }
            var (i, j) = (0, 0)
            while i < n && j < m {
                if same[i][j] {
                    matched.append((i, j))
                    i += 1
                    j += 1
                } else if lengths[i + 1][j] >= lengths[i][j + 1] {
                    i += 1
                } else {
                    j += 1
                }
            }
        }
        var pairs: [(Int?, Int?)] = []
        var (i, j) = (0, 0)
        for (mi, mj) in matched + [(n, m)] {
            // The gap before this match: paired by position, then what is left of either side.
            while i < mi && j < mj {
                pairs.append((i, j))
                i += 1
                j += 1
            }
            while i < mi {
                pairs.append((i, nil))
                i += 1
            }
            while j < mj {
                pairs.append((nil, j))
                j += 1
            }
            if mi < n && mj < m { pairs.append((mi, mj)) }
            (i, j) = (mi + 1, mj + 1)
        }
        return pairs
    }
}
