import AtomBase
import LogTail
import StreamMapping

extension ConfigLoader {
    /// `addFields`: names and constant values.
    static func readFields(_ value: ConfigValue?, at path: String, walker w: inout ConfigWalker)
        -> [(String, FieldValue)] {
        guard let value else { return [] }
        guard case .object(let members) = value else {
            w.fail(path, "expected an object of field names and values, found \(value.kindName)")
            return []
        }
        return members.compactMap { key, item in
            fieldValue(item, at: "\(path).\(key)", walker: &w).map { (key, $0) }
        }
    }

    static func fieldValue(_ value: ConfigValue, at path: String, walker w: inout ConfigWalker) -> FieldValue? {
        switch value {
        case .string: return w.string(value, at: path).map(FieldValue.string)
        case .number(let text):
            if let i = Int64(text) { return .int(i) }
            return Double(text).map(FieldValue.double)
        case .bool(let b): return .bool(b)
        case .null: return .null
        default:
            w.fail(path, "expected a string, number, boolean or null, found \(value.kindName)")
            return nil
        }
    }

    static func readRoute(_ value: ConfigValue, at path: String, walker w: inout ConfigWalker,
                          defaultKey: String?) -> Route? {
        guard let m = w.object(value, at: path, allowed: ["when", "stream", "authKey", "drop"]) else { return nil }
        let condition = m["when"].flatMap { readCondition($0, at: "\(path).when", walker: &w) }
        let drop = w.bool(m, "drop", default: false)
        let stream = w.string(m, "stream")
        if drop && stream != nil { w.fail(path, "a route either drops or names a stream, not both") }
        if !drop && (stream ?? "").isEmpty { w.fail("\(path).stream", "missing: name the stream (or set drop: true)") }
        let authKey = w.string(m, "authKey").flatMap { $0.isEmpty ? nil : $0 } ?? defaultKey
        return Route(when: condition, stream: drop ? nil : stream, authKey: authKey, drop: drop)
    }

    /// The tests a condition on one field can make; the comparisons may be combined (a range).
    static let fieldTests = ["equals", "notEquals", "matches", "exists", "lt", "lte", "gt", "gte"]

    static func readCondition(_ value: ConfigValue, at path: String,
                              walker w: inout ConfigWalker) -> Condition? {
        guard let m = w.object(value, at: path, allowed: ["field", "all", "any", "not"] + fieldTests)
        else { return nil }
        func list(_ key: String) -> [Condition]? {
            guard let item = m[key] else { return nil }
            guard case .array(let items) = item else {
                w.fail("\(path).\(key)", "expected a list of conditions, found \(item.kindName)")
                return []
            }
            return items.enumerated().compactMap { readCondition($1, at: "\(path).\(key)[\($0)]", walker: &w) }
        }
        if let all = list("all") { return .all(all) }
        if let any = list("any") { return .any(any) }
        if let inner = m["not"] { return readCondition(inner, at: "\(path).not", walker: &w).map { .not($0) } }
        guard let field = w.string(m, "field") else {
            w.fail(path, "a condition needs a field (with equals, notEquals, matches, exists, lt, lte, gt or gte), "
                   + "or all, any or not")
            return nil
        }
        let comparisons = Comparison.allCases.filter { m[$0.rawValue] != nil }
        let given = fieldTests.filter { m[$0] != nil && Comparison(rawValue: $0) == nil }
            + (comparisons.isEmpty ? [] : ["a comparison"])
        guard given.count == 1 else {
            if given.isEmpty {
                w.fail(path, "the condition on '\(field)' needs equals, notEquals, matches, exists, lt, lte, gt or gte")
            } else {
                w.fail(path, "the condition on '\(field)' has \(given.joined(separator: " and ")); "
                       + "give one (or use all / any)")
            }
            return nil
        }
        if let equals = w.string(m, "equals") { return .equals(field: field, value: equals) }
        if let other = w.string(m, "notEquals") { return .notEquals(field: field, value: other) }
        if let pattern = w.string(m, "matches") { return .matches(field: field, pattern: pattern) }
        if m["exists"] != nil {
            return w.bool(m, "exists", default: true) ? .exists(field: field) : .not(.exists(field: field))
        }
        let parts = comparisons.map { Condition.compare(field: field, $0, w.number(m, $0.rawValue, default: 0)) }
        return parts.count == 1 ? parts[0] : .all(parts)
    }
}
