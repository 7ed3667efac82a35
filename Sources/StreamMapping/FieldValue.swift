import AtomBase

/// A constant value in a mapping: an added field, or an option passed to a custom parser.
public enum FieldValue: Sendable, Equatable {
    /// Text, written as a JSON string.
    case string(String)
    /// A whole number, written in decimal.
    case int(Int64)
    /// A number with a fraction; must be finite (JSON has no NaN or infinity).
    case double(Double)
    /// `true` or `false`.
    case bool(Bool)
    /// JSON `null`.
    case null

    /// The value as JSON text (`"text"`, `42`, `1.5`, `true`, `null`), or nil for a double that
    /// JSON cannot express (NaN or an infinity).
    var jsonText: [UInt8]? {
        switch self {
        case .string(let text):
            return Array(JSON.quoted(text).utf8)
        case .double(let number) where !number.isFinite:
            return nil
        default:
            return routingText
        }
    }

    /// The text a routing condition compares: a string's own characters, a number or boolean
    /// as JSON writes it, and `null` for null (the same rule as for fields of a JSON line).
    var routingText: [UInt8] {
        switch self {
        case .string(let text): Array(text.utf8)
        case .int(let number): Array(String(number).utf8)
        case .double(let number): Array(String(number).utf8)
        case .bool(let flag): Array((flag ? "true" : "false").utf8)
        case .null: Array("null".utf8)
        }
    }
}
