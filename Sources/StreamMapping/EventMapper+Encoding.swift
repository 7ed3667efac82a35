import AtomBase

extension EventMapper {
    /// What was written last inside the event; its raw value is how many leading bytes of the
    /// next chunk to skip.
    private enum Previous: Int {
        /// A string value: its closing quote is still to come.
        case string = 0
        /// A JSON value.
        case json = 1
        /// Nothing: the object has just opened.
        case none = 2
    }

    /// Appends the JSON object for the line last passed to `route` to `out` (one complete object).
    ///
    /// Parsed fields come first, in the parser's order, the added fields after them. A JSON line
    /// is copied as it is, with the added fields spliced in before its closing brace.
    ///
    /// - Returns: the object's length once escaped as a JSON string (what it takes inside a bulk
    ///   request's `data`), counted while writing rather than by another pass over it.
    @discardableResult
    public func encode(into out: ByteBuffer) -> Int {
        let begin = out.count
        if let object = record.pointee.object {
            encodeObject(object, into: out)
            if !hasAddedFields && !object.hasInvalidUTF8 {
                // The line's own bytes, whose specials the scanner counted.
                return object.range.count + object.specials
            }
            return JSON.escapedLengthOfJSON(out.slice(begin..<out.count))
        }
        var specials = 0

        // A member is one slice of its name's `","name":"` chunk (the quote closing the string
        // before it, the comma, the name, the quote opening a string value), then its value:
        // two calls per field, and every name was escaped once, when the mapper was made.
        out.append(UInt8(ascii: "{"))
        var previous = Previous.none
        let line = record.pointee.line
        let count = record.pointee.entryCount
        let nameSpecials = record.pointee.names.nameSpecials
        record.pointee.names.chunkBytes.withUnsafeBytes { chunks in
            record.pointee.names.chunkRanges.withUnsafeBufferPointer { chunkRanges in
                record.pointee.scratch.withUnsafeBytes { scratch in
                    for index in 0..<count {
                        let entry = record.pointee.entries[index]
                        if entry.field < isAdded.count && isAdded[entry.field] { continue }
                        let chunk = chunkRanges[entry.field]
                        let start = chunk.lowerBound + previous.rawValue
                        let value = slice(entry.inLine ? line : scratch, entry.start, entry.count)
                        // The chunk's structural quotes: closing the previous string value (when
                        // that is what came before), around the name, and opening a string value.
                        let quotes = (previous == .string ? 4 : 3) - (entry.isText ? 0 : 1)
                        specials += quotes + nameSpecials[entry.field]
                        if entry.isText {
                            out.append(slice(chunks, start, chunk.upperBound - start))
                            specials += JSON.appendEscaped(value, to: out, invalid: invalidUTF8)
                            previous = .string
                        } else {
                            out.append(slice(chunks, start, chunk.upperBound - 1 - start))
                            out.append(value)
                            specials += JSON.specialCount(value)
                            previous = .json
                        }
                    }
                }
            }
        }
        let closingStart = out.count
        appendClosing(after: previous, to: out)
        specials += JSON.specialCount(out.slice(closingStart..<out.count))
        return out.count - begin + specials
    }

    /// Writes the end of the event: the quote a string value still needs, the added fields (with
    /// a comma when members precede them), and the closing brace.
    @inline(__always)
    private func appendClosing(after previous: Previous, to out: ByteBuffer) {
        let skip = previous == .none && !hasAddedFields ? 1 : previous.rawValue
        closing.withUnsafeBytes { out.append(slice($0, skip, $0.count - skip)) }
    }

    /// A JSON line: its own bytes, unless added fields must be spliced in or a member they
    /// override left out.
    private func encodeObject(_ object: Record.Object, into out: ByteBuffer) {
        let line = record.pointee.line
        let repair = object.hasInvalidUTF8
        if !hasAddedFields {
            appendJSONText(slice(line, object.range), repair: repair, to: out)
            return
        }
        let members = record.pointee.members
        func overridden(_ member: Record.Member) -> Bool {
            member.field >= 0 && member.field < isAdded.count && isAdded[member.field]
        }
        if !members.contains(where: overridden) {
            // Everything before the closing brace, then the added fields.
            let open = object.range.lowerBound..<(object.range.upperBound - 1)
            appendJSONText(slice(line, open), repair: repair, to: out)
            appendClosing(after: members.isEmpty ? .none : .json, to: out)
            return
        }
        out.append(UInt8(ascii: "{"))
        var first = true
        for member in members where !overridden(member) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            appendJSONText(slice(line, member.range), repair: repair, to: out)
        }
        appendClosing(after: first ? .none : .json, to: out)
    }

    /// Copies valid JSON text; with `repair`, replaces bytes that are not valid UTF-8 (which in
    /// checked JSON can only sit inside strings) as `invalidUTF8` says.
    private func appendJSONText(_ text: UnsafeRawBufferPointer, repair: Bool, to out: ByteBuffer) {
        guard repair else {
            out.append(text)
            return
        }
        UTF8Repair.forEachRun(
            text, copy: { out.append($0) }, replace: { appendReplacement(for: $0, to: out) }
        )
    }

    /// U+FFFD, or `\u00XX` naming the byte, as `JSON.appendEscaped` writes a bad byte.
    private func appendReplacement(for byte: UInt8, to out: ByteBuffer) {
        let hex = Array("0123456789abcdef".utf8)
        let bytes: [UInt8] = switch invalidUTF8 {
        case .replace: [0xEF, 0xBF, 0xBD]
        case .escape: Array(#"\u00"#.utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
        }
        bytes.withUnsafeBytes { out.append($0) }
    }
}

@inline(__always)
private func slice(
    _ bytes: UnsafeRawBufferPointer, _ start: Int, _ count: Int
) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(rebasing: bytes[start..<(start + count)])
}

@inline(__always)
private func slice(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(rebasing: bytes[range])
}
