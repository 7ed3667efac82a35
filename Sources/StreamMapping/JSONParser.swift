/// The `json` format: the line must be one JSON object, which becomes the event as it is.
///
/// A strict byte scanner checks the whole line (objects, arrays, strings with escapes, numbers,
/// `true`/`false`/`null`, whitespace around, nesting at most 64 deep) without building anything.
/// On the way it notes each top-level member's bytes and, for keys the mapping knows (route
/// fields, added fields), the value: a string unescaped, anything else as its JSON text.
///
/// A line whose first byte after whitespace is not `{` (an array, a scalar, plain text, an empty
/// line) follows the `nonObject` policy; one that starts with `{` and is not valid JSON fails.
final class JSONParser: Parser {
    /// The deepest nesting of objects and arrays accepted, the line's own object included.
    static let maxDepth = 64

    /// What one line gave.
    enum Outcome {
        /// The record holds the event (the object, or the line as `message`).
        case parsed
        /// The line is rejected; `record.failure` says why.
        case failed
        /// The line is to be dropped.
        case drop
    }

    private let nonObject: JSONNonObject
    /// The field a non-object line goes to under the `raw` policy.
    private let messageField: Int

    init(nonObject: JSONNonObject = .error, messageField: Int) {
        self.nonObject = nonObject
        self.messageField = messageField
    }

    func parse(_ line: UnsafeRawBufferPointer, into record: inout Record) -> Bool {
        scan(line, into: &record) == .parsed
    }

    /// Parses one line, applying the `nonObject` policy.
    @inline(__always)
    func scan(_ line: UnsafeRawBufferPointer, into record: inout Record) -> Outcome {
        guard let base = line.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            return notAnObject(line, into: &record)
        }
        var scanner = JSONScanner(base: base, count: line.count)
        guard let object = scanner.scanObject(into: &record) else {
            if !Self.startsLikeObject(base, line.count) { return notAnObject(line, into: &record) }
            _ = record.reject(scanner.failure)
            return .failed
        }
        record.object = object
        return .parsed
    }

    private func notAnObject(_ line: UnsafeRawBufferPointer, into record: inout Record) -> Outcome {
        switch nonObject {
        case .error:
            _ = record.reject("line is not a JSON object")
            return .failed
        case .raw:
            record.reset(line: line)
            record.setLineText(messageField, 0, line.count)
            return .parsed
        case .drop:
            return .drop
        }
    }

    /// Whether the first byte after JSON whitespace is `{`.
    private static func startsLikeObject(_ base: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        var index = 0
        while index < count {
            switch base[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            case UInt8(ascii: "{"): return true
            default: return false
            }
        }
        return false
    }
}
