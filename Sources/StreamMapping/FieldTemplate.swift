import AtomBase

/// A `set` operation's template, split once into literal text and the fields it names.
struct FieldTemplate {
    enum Piece {
        case literal([UInt8])
        case field(FieldSource)
    }

    let pieces: [Piece]

    /// Splits `template`: `{name}` names a field, `{{` and `}}` are single braces.
    ///
    /// - Throws: `MappingError` at `keyPath` for an empty `{}`, a `{` without its `}`, or a lone `}`.
    init(
        _ template: String, names: inout FieldNames, added: [String: [UInt8]], keyPath: String
    ) throws(MappingError) {
        var pieces: [Piece] = []
        var literal: [UInt8] = []
        let bytes = Array(template.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let next = index + 1 < bytes.count ? bytes[index + 1] : 0
            if byte == UInt8(ascii: "{") && next == UInt8(ascii: "{")
                || byte == UInt8(ascii: "}") && next == UInt8(ascii: "}") {
                literal.append(byte)
                index += 2
                continue
            }
            if byte == UInt8(ascii: "}") {
                let message = "a '}' at offset \(index) closes nothing (write '}}' for a brace)"
                throw MappingError(keyPath: keyPath, message: message)
            }
            guard byte == UInt8(ascii: "{") else {
                literal.append(byte)
                index += 1
                continue
            }
            guard let close = bytes[(index + 1)...].firstIndex(of: UInt8(ascii: "}")) else {
                let message = "the '{' at offset \(index) has no closing '}' (write '{{' for a brace)"
                throw MappingError(keyPath: keyPath, message: message)
            }
            let name = String(decoding: bytes[(index + 1)..<close], as: UTF8.self)
            guard !name.isEmpty else {
                throw MappingError(keyPath: keyPath, message: "'{}' at offset \(index) names no field")
            }
            if !literal.isEmpty { pieces.append(.literal(literal)) }
            literal = []
            pieces.append(.field(FieldSource(name, names: &names, added: added)))
            index = close + 1
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        self.pieces = pieces
    }

    /// Writes the text into `out` (emptied first); false when a field it names is not set.
    func render(_ record: UnsafePointer<Record>, into out: ByteBuffer) -> Bool {
        out.removeAll()
        for piece in pieces {
            switch piece {
            case .literal(let text):
                text.withUnsafeBytes { out.append($0) }
            case .field(let source):
                guard source.withText(in: record, { out.append($0) }) != nil else { return false }
            }
        }
        return true
    }
}
