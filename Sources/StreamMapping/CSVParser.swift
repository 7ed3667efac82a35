/// The `csv` format: one record per line, split on a one-byte separator, each value a string
/// field named by its column (RFC 4180 quoting).
///
/// Options: `columns` (required: the names, comma-separated, spaces around each trimmed) and
/// `separator` (one byte, default `","`; `"\t"` reads TSV).
///
/// - A value that starts with `"` is quoted: it ends at the next `"` not doubled, `""` inside
///   stands for one `"`, and the line must end or a separator follow the closing quote. An
///   unquoted value is taken as written, quotes inside it included. Quoted values cannot span
///   lines (the shipper splits lines first).
/// - Empty values are empty strings. A line with more or fewer values than `columns` fails.
/// - A parser cannot see where a file starts, so a header line is parsed like any other: its
///   event has each field equal to its own name. With `skipHeader: true` a line that is exactly
///   the column names joined by the separator (all bare, or all in double quotes) is dropped
///   wherever it appears (each rotated file starts with one).
final class CSVParser: FieldDeclaring {
    private let names: [String]
    private let separator: LiteralBytes
    private let quote = LiteralBytes("\"")
    /// Where a value with doubled quotes is unescaped (behind a pointer: no exclusivity checks).
    private let value: UnsafeMutablePointer<ValueBuffer>
    /// Field index per column, resolved from `names` on the first line (-1 until then).
    private let fields: UnsafeMutableBufferPointer<Int>
    /// With `skipHeader`: the header line's two spellings (bare names, quoted names).
    private let headers: [[UInt8]]

    /// Makes the parser from the mapping's options (see the type's description).
    ///
    /// - Throws: `MappingError` at `columns` when it is missing, has an empty or repeated name;
    ///   at `separator` unless it is one byte other than `"`, CR or LF; at `header` (not
    ///   supported: a parser cannot see where a file starts); at `skipHeader` unless a boolean;
    ///   at any other unknown option.
    init(options: [String: FieldValue]) throws(MappingError) {
        if options["header"] != nil {
            let message = "not supported: a parser cannot see where a file starts; "
                + "name the columns, and set skipHeader: true to drop the header lines"
            throw MappingError(keyPath: "header", message: message)
        }
        let reader = try ParserOptionReader(options, allowed: ["columns", "separator", "skipHeader"])
        guard let list = try reader.string("columns") else {
            let message = "missing: a csv parser needs the column names, "
                + #"e.g. "time,level,message""#
            throw MappingError(keyPath: "columns", message: message)
        }
        var names: [String] = []
        for part in list.split(separator: ",", omittingEmptySubsequences: false) {
            let name = String(part.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
            guard !name.isEmpty else {
                let message = "column \(names.count + 1) has no name"
                throw MappingError(keyPath: "columns", message: message)
            }
            guard !names.contains(name) else {
                throw MappingError(keyPath: "columns", message: "column \"\(name)\" is named twice")
            }
            names.append(name)
        }
        let separator = try reader.nonEmptyString("separator", default: ",")
        let bytes = Array(separator.utf8)
        guard bytes.count == 1, let byte = bytes.first,
              byte != UInt8(ascii: "\""), byte != 0x0A, byte != 0x0D else {
            let message = "expected one byte other than a double quote or a line break, "
                + #"such as ",""#
            throw MappingError(keyPath: "separator", message: message)
        }
        self.names = names
        if try reader.bool("skipHeader", default: false) {
            let bare = names.map { Array($0.utf8) }
            let quoted = bare.map { [UInt8(ascii: "\"")] + $0 + [UInt8(ascii: "\"")] }
            headers = [bare, quoted].map { cells in Array(cells.joined(separator: [byte])) }
        } else {
            headers = []
        }
        self.separator = LiteralBytes(String(decoding: [byte], as: UTF8.self))
        fields = .allocate(capacity: names.count)
        fields.initialize(repeating: -1)
        value = .allocate(capacity: 1)
        value.initialize(to: ValueBuffer())
    }

    var declaredFields: [String] { names }

    deinit {
        fields.deallocate()
        separator.deallocate()
        quote.deallocate()
        value.pointee.deallocate()
        value.deinitialize(count: 1)
        value.deallocate()
    }

    func parse(_ line: UnsafeRawBufferPointer, into record: inout Record) -> Bool {
        for header in headers where header.count == line.count && header.elementsEqual(line) {
            return record.drop()
        }
        if fields[0] < 0 {
            for (index, name) in names.enumerated() { fields[index] = record.field(name).index }
        }
        let end = line.count
        // An empty line may have no address; it is one empty value, and no byte is read.
        guard let base = line.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            return finish(columns: 1, record: &record) && setEmpty(&record)
        }

        var column = 0
        var position = 0
        while true {
            guard column < fields.count else {
                return record.reject("more than \(fields.count) values")
            }
            let field = fields[column]
            column += 1
            if position < end && base[position] == UInt8(ascii: "\"") {
                guard let closed = quotedValue(base, position, end, field, &record) else {
                    return false
                }
                position = closed
                if position == end { break }
                guard base[position] == separator.first else {
                    return record.reject("text after the closing quote at offset \(position)")
                }
            } else {
                let valueEnd = separator.find(in: base, from: position, to: end) ?? end
                record.setLineText(field, position, valueEnd - position)
                position = valueEnd
                if position == end { break }
            }
            position += 1
        }
        return finish(columns: column, record: &record)
    }

    /// Fails a line whose number of values is not the number of columns.
    @inline(__always)
    private func finish(columns: Int, record: inout Record) -> Bool {
        guard columns == fields.count else {
            return record.reject("expected \(fields.count) values, found \(columns)")
        }
        return true
    }

    /// Sets the only column to an empty string (an empty line with one column).
    private func setEmpty(_ record: inout Record) -> Bool {
        record.setLineText(fields[0], 0, 0)
        return true
    }

    /// Sets `field` to the quoted value whose opening quote is at `open`; returns the offset
    /// after the closing quote, or nil (with the record rejected) when the quote is not closed.
    @inline(__always)
    private func quotedValue(
        _ base: UnsafePointer<UInt8>, _ open: Int, _ end: Int, _ field: Int, _ record: inout Record
    ) -> Int? {
        var index = open + 1
        var doubled = false
        while true {
            guard let hit = quote.find(in: base, from: index, to: end) else {
                _ = record.reject("unclosed quote at offset \(open)")
                return nil
            }
            index = hit
            guard index + 1 < end && base[index + 1] == UInt8(ascii: "\"") else { break }
            doubled = true
            index += 2
        }
        if !doubled {
            record.setLineText(field, open + 1, index - open - 1)
            return index + 1
        }
        // Every quote before the closing one starts a doubled pair: keep one of the two.
        value.pointee.removeAll()
        var from = open + 1
        while let pair = quote.find(in: base, from: from, to: index) {
            value.pointee.append(base + from, pair + 1 - from)
            from = pair + 2
        }
        value.pointee.append(base + from, index - from)
        record.set(FieldID(index: field), text: value.pointee.bytes)
        return index + 1
    }
}
