/// The `json` format: the line must be one JSON object, which becomes the event as it is.
///
/// A strict byte scanner checks the whole line (objects, arrays, strings with escapes, numbers,
/// `true`/`false`/`null`, whitespace around, nesting at most 64 deep) without building anything.
/// On the way it notes each top-level member's bytes and, for keys the mapping knows (route
/// fields, added fields), the value: a string unescaped, anything else as its JSON text.
final class JSONParser: Parser {
    /// The deepest nesting of objects and arrays accepted, the line's own object included.
    static let maxDepth = 64

    func parse(_ line: UnsafeRawBufferPointer, into record: inout Record) -> Bool {
        guard let base = line.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            return record.reject("line is not a JSON object")
        }
        var scanner = JSONScanner(base: base, count: line.count)
        guard let object = scanner.scanObject(into: &record) else {
            return record.reject(scanner.failure)
        }
        record.object = object
        return true
    }
}
