/// The `raw` format: the whole line as one string field.
final class RawParser: Parser {
    private let field: Int

    init(field: Int) { self.field = field }

    @inline(__always)
    func parse(_ line: UnsafeRawBufferPointer, into record: inout Record) -> Bool {
        record.setLineText(field, 0, line.count)
        return true
    }
}
