/// A parsed JSON5 value, keys in file order, numbers kept as written.
public indirect enum ConfigValue: Sendable, Equatable {
    case string(String)
    case number(String)
    case bool(Bool)
    case null
    case array([ConfigValue])
    case object([(key: String, value: ConfigValue)])

    public static func == (a: ConfigValue, b: ConfigValue) -> Bool {
        switch (a, b) {
        case let (.string(x), .string(y)), let (.number(x), .number(y)): return x == y
        case let (.bool(x), .bool(y)): return x == y
        case (.null, .null): return true
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// A word for messages: "a string", "a number", ...
    var kindName: String {
        switch self {
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        case .array: "a list"
        case .object: "an object"
        }
    }
}

/// A syntax error with its line and column (1-based).
public struct JSON5Error: Error, CustomStringConvertible, Sendable {
    public var line: Int
    public var column: Int
    public var message: String
    public var description: String { "line \(line), column \(column): \(message)" }
}

/// Reads JSON5: comments, unquoted keys, single-quoted strings, trailing commas, hex numbers,
/// `Infinity` and `NaN`, and escaped line breaks in strings.
public struct JSON5Parser {
    private let bytes: [UInt8]
    private var i = 0
    private var depth = 0

    public static func parse(_ text: [UInt8]) throws(JSON5Error) -> ConfigValue {
        var parser = JSON5Parser(bytes: text)
        parser.skipSpace()
        if parser.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.i = 3 }
        try parser.skipSpaceAndComments()
        let value = try parser.value()
        try parser.skipSpaceAndComments()
        guard parser.i == parser.bytes.count else { throw parser.error("unexpected text after the end of the value") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func error(_ message: String) -> JSON5Error {
        var line = 1
        var column = 1
        for b in bytes[0..<min(i, bytes.count)] {
            if b == 0x0A { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
        }
        return JSON5Error(line: line, column: column, message: message)
    }

    private var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func skipSpace() {
        while let b = peek, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { i += 1 }
    }

    private mutating func skipSpaceAndComments() throws(JSON5Error) {
        while true {
            skipSpace()
            guard peek == UInt8(ascii: "/"), i + 1 < bytes.count else { return }
            if bytes[i + 1] == UInt8(ascii: "/") {
                while let b = peek, b != 0x0A { i += 1 }
            } else if bytes[i + 1] == UInt8(ascii: "*") {
                let start = i
                i += 2
                while i + 1 < bytes.count && !(bytes[i] == UInt8(ascii: "*") && bytes[i + 1] == UInt8(ascii: "/")) {
                    i += 1
                }
                guard i + 1 < bytes.count else {
                    i = start
                    throw error("a /* comment is never closed")
                }
                i += 2
            } else {
                return
            }
        }
    }

    private mutating func value() throws(JSON5Error) -> ConfigValue {
        guard let b = peek else { throw error("the text ends where a value was expected") }
        switch b {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""), UInt8(ascii: "'"): return .string(try string())
        case UInt8(ascii: "t"): return try word("true", .bool(true))
        case UInt8(ascii: "f"): return try word("false", .bool(false))
        case UInt8(ascii: "n"): return try word("null", .null)
        default:
            if b == UInt8(ascii: "-") || b == UInt8(ascii: "+") || b == UInt8(ascii: ".") || b == UInt8(ascii: "I")
                || b == UInt8(ascii: "N") || (b >= 0x30 && b <= 0x39) {
                return try number()
            }
            throw error("unexpected character '\(Character(Unicode.Scalar(b)))' where a value was expected")
        }
    }

    private mutating func word(_ text: String, _ result: ConfigValue) throws(JSON5Error) -> ConfigValue {
        let w = Array(text.utf8)
        guard bytes.count - i >= w.count, Array(bytes[i..<i + w.count]) == w else {
            throw error("unexpected word; expected \(text)")
        }
        i += w.count
        return result
    }

    private mutating func number() throws(JSON5Error) -> ConfigValue {
        let start = i
        while let b = peek, b == UInt8(ascii: "+") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
                || (b >= 0x30 && b <= 0x39) || (b | 0x20 >= UInt8(ascii: "a") && b | 0x20 <= UInt8(ascii: "z")) {
            i += 1
        }
        var text = String(decoding: bytes[start..<i], as: UTF8.self)
        if text.hasPrefix("+") { text.removeFirst() }
        let lower = text.lowercased()
        if lower.hasPrefix("0x") || lower.hasPrefix("-0x") {
            let negative = lower.hasPrefix("-")
            guard let v = Int64(lower.dropFirst(negative ? 3 : 2), radix: 16) else {
                i = start
                throw error("'\(text)' is not a number")
            }
            return .number(String(negative ? -v : v))
        }
        if ["infinity", "-infinity", "nan", "-nan"].contains(lower) { return .number(text) }
        if text.hasSuffix(".") { text += "0" }
        if text.hasPrefix(".") { text = "0" + text }
        if text.hasPrefix("-.") { text = "-0" + text.dropFirst() }
        guard Double(text) != nil else {
            i = start
            throw error("'\(text)' is not a number")
        }
        return .number(text)
    }

    private mutating func string() throws(JSON5Error) -> String {
        let quote = bytes[i]
        let start = i
        i += 1
        var out: [UInt8] = []
        while true {
            guard let b = peek else {
                i = start
                throw error("a string is never closed")
            }
            i += 1
            if b == quote { break }
            if b == 0x0A {
                i = start
                throw error("a string runs past the end of its line (close it, or end the line with \\)")
            }
            guard b == UInt8(ascii: "\\") else {
                out.append(b)
                continue
            }
            guard let e = peek else { continue }
            i += 1
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "v"): out.append(0x0B)
            case UInt8(ascii: "0"): out.append(0)
            case 0x0A: break
            case 0x0D: if peek == 0x0A { i += 1 }
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00, peek == UInt8(ascii: "\\"), i + 1 < bytes.count,
                   bytes[i + 1] == UInt8(ascii: "u") {
                    i += 2
                    let low = try hex4()
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low &- 0xDC00)
                }
                let character = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(character).utf8))
            case UInt8(ascii: "x"):
                guard i + 2 <= bytes.count, let v = UInt8(String(decoding: bytes[i..<i + 2], as: UTF8.self), radix: 16)
                else { throw error("bad \\x escape") }
                i += 2
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(v))).utf8))
            case UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"):
                out.append(e)
            default:
                // JSON5 reads `\S` as `S`; in a regex that silently changes the pattern, so it is
                // refused here with the fix spelled out.
                i -= 2
                let shown = e < 0x80 ? String(Character(Unicode.Scalar(e))) : "…"
                throw error("'\\\(shown)' is not an escape in a JSON5 string; "
                            + "for a regex backslash write '\\\\\(shown)'")
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func hex4() throws(JSON5Error) -> UInt32 {
        guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16) else {
            throw error("bad \\u escape")
        }
        i += 4
        return v
    }

    private mutating func key() throws(JSON5Error) -> String {
        guard let b = peek else { throw error("the text ends where a key was expected") }
        if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") { return try string() }
        let start = i
        while let c = peek, c == UInt8(ascii: "_") || c == UInt8(ascii: "$") || c >= 0x80
                || (c >= 0x30 && c <= 0x39) || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z")) {
            i += 1
        }
        guard i > start else { throw error("expected a key (a name or a quoted string)") }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    private mutating func object() throws(JSON5Error) -> ConfigValue {
        i += 1
        depth += 1
        defer { depth -= 1 }
        guard depth < 100 else { throw error("nesting is too deep") }
        var members: [(key: String, value: ConfigValue)] = []
        while true {
            try skipSpaceAndComments()
            if peek == UInt8(ascii: "}") { i += 1; return .object(members) }
            let name = try key()
            if members.contains(where: { $0.key == name }) { throw error("the key '\(name)' appears twice") }
            try skipSpaceAndComments()
            guard peek == UInt8(ascii: ":") else { throw error("expected ':' after the key '\(name)'") }
            i += 1
            try skipSpaceAndComments()
            members.append((name, try value()))
            try skipSpaceAndComments()
            if peek == UInt8(ascii: ",") { i += 1; continue }
            if peek == UInt8(ascii: "}") { i += 1; return .object(members) }
            throw error("expected ',' or '}' after the value of '\(name)'")
        }
    }

    private mutating func array() throws(JSON5Error) -> ConfigValue {
        i += 1
        depth += 1
        defer { depth -= 1 }
        guard depth < 100 else { throw error("nesting is too deep") }
        var items: [ConfigValue] = []
        while true {
            try skipSpaceAndComments()
            if peek == UInt8(ascii: "]") { i += 1; return .array(items) }
            items.append(try value())
            try skipSpaceAndComments()
            if peek == UInt8(ascii: ",") { i += 1; continue }
            if peek == UInt8(ascii: "]") { i += 1; return .array(items) }
            throw error("expected ',' or ']' in a list")
        }
    }
}
