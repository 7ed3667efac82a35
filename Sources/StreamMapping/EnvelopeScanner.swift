/// Finds the `log`, `stream` and `time` strings of a Docker json-file line: one pass over a JSON
/// object that checks its structure (strings, nesting, separators) without decoding anything.
struct EnvelopeScanner {
    /// A string value's raw bytes, between its quotes.
    struct StringRange {
        var start: Int
        var count: Int
        /// It holds a backslash escape.
        var escaped: Bool
    }

    struct Members {
        var log: StringRange?
        var stream: StringRange?
        var time: StringRange?
    }

    let p: UnsafePointer<UInt8>
    let n: Int
    private var i = 0
    private(set) var failure = ""

    init(p: UnsafePointer<UInt8>, n: Int) {
        self.p = p
        self.n = n
    }

    /// The members, or nil (with `failure` set) when the line is not one JSON object.
    mutating func scan() -> Members? {
        var members = Members()
        skipSpace()
        guard i < n, p[i] == UInt8(ascii: "{") else { return fail("it does not start with {") }
        i += 1
        skipSpace()
        if i < n, p[i] == UInt8(ascii: "}") {
            i += 1
            return finish(members)
        }
        while true {
            skipSpace()
            guard let key = string() else { return fail("expected a key") }
            skipSpace()
            guard i < n, p[i] == UInt8(ascii: ":") else { return fail("expected ':' after a key") }
            i += 1
            skipSpace()
            if i < n, p[i] == UInt8(ascii: "\"") {
                guard let value = string() else { return fail("a string does not end") }
                switch keyName(key) {
                case 1: members.log = value
                case 2: members.stream = value
                case 3: members.time = value
                default: break
                }
            } else if !skipValue() {
                return fail("a value is not JSON")
            }
            skipSpace()
            guard i < n else { return fail("the line ends inside the object") }
            if p[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard p[i] == UInt8(ascii: "}") else { return fail("expected ',' or '}'") }
            i += 1
            return finish(members)
        }
    }

    private mutating func finish(_ members: Members) -> Members? {
        skipSpace()
        return i == n ? members : fail("bytes after the object")
    }

    private mutating func fail(_ reason: String) -> Members? {
        failure = reason
        return nil
    }

    /// 1 for `log`, 2 for `stream`, 3 for `time`, 0 for another key (escaped keys never match).
    private func keyName(_ key: StringRange) -> Int {
        guard !key.escaped else { return 0 }
        let k = p + key.start
        switch key.count {
        case 3 where k[0] == 0x6C && k[1] == 0x6F && k[2] == 0x67: return 1
        case 6 where k[0] == 0x73 && k[1] == 0x74 && k[2] == 0x72 && k[3] == 0x65 && k[4] == 0x61
            && k[5] == 0x6D: return 2
        case 4 where k[0] == 0x74 && k[1] == 0x69 && k[2] == 0x6D && k[3] == 0x65: return 3
        default: return 0
        }
    }

    private mutating func skipSpace() {
        while i < n, p[i] == 0x20 || p[i] == 0x09 || p[i] == 0x0D || p[i] == 0x0A { i += 1 }
    }

    /// A string starting at `i` (its opening quote); `i` ends past its closing quote.
    private mutating func string() -> StringRange? {
        guard i < n, p[i] == UInt8(ascii: "\"") else { return nil }
        i += 1
        let start = i
        var escaped = false
        while i < n {
            let b = p[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return StringRange(start: start, count: i - 1 - start, escaped: escaped)
            }
            if b == 0x5C {
                escaped = true
                i += 2
                continue
            }
            if b < 0x20 { return nil }
            i += 1
        }
        return nil
    }

    /// Skips a value that is not a string: an object or array (strings inside them skipped whole),
    /// or a number or literal.
    private mutating func skipValue() -> Bool {
        guard i < n else { return false }
        if p[i] == UInt8(ascii: "{") || p[i] == UInt8(ascii: "[") {
            var depth = 0
            while i < n {
                switch p[i] {
                case UInt8(ascii: "\""):
                    guard string() != nil else { return false }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 {
                        i += 1
                        return true
                    }
                default: break
                }
                i += 1
            }
            return false
        }
        let start = i
        while i < n {
            let b = p[i]
            if b == UInt8(ascii: ",") || b == UInt8(ascii: "}") || b == 0x20 || b == 0x09 { break }
            i += 1
        }
        return i > start
    }
}
