/// Where a routing condition or a field operation finds a field's text.
enum FieldSource {
    /// A field the parser (or an operation) sets, by index in the mapper's name table.
    case parsed(Int)
    /// A field of `addFields`: the same text on every event.
    case constant([UInt8])

    /// Resolves `field` against the added fields (by name, their text), or registers it.
    init(_ field: String, names: inout FieldNames, added: [String: [UInt8]]) {
        if let text = added[field] {
            self = .constant(text)
        } else {
            self = .parsed(names.intern(field))
        }
    }

    /// Calls `body` with the field's text in `record`, or returns nil when the field is not set.
    @inline(__always)
    func withText<R>(
        in record: UnsafePointer<Record>, _ body: (UnsafeRawBufferPointer) -> R
    ) -> R? {
        switch self {
        case .parsed(let index): Record.withText(in: record, ofIndex: index, body)
        case .constant(let text): text.withUnsafeBytes(body)
        }
    }
}
