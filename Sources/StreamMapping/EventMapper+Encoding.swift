import AtomBase

extension EventMapper {
    /// What was written last inside the event; its raw value is how many leading bytes of the
    /// next chunk to skip.
    enum Previous: Int {
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
            if !hasAddedFields && !hasSourceFields && !object.hasInvalidUTF8 {
                // The line's own bytes, whose specials the scanner counted.
                return object.range.count + object.specials
            }
            return JSON.escapedLengthOfJSON(out.slice(begin..<out.count))
        }
        let count = record.pointee.entryCount
        let entries = record.pointee.entries.base
        let chunks = record.pointee.chunks.base
        let lineBase = UnsafeRawPointer(record.pointee.line.baseAddress)
        let scratchBase = UnsafeRawPointer(record.pointee.scratch.base)

        // Room for the worst case, reserved once: per member its name chunk and its value
        // escaped (six bytes per byte at most), with 16 spare bytes each for 16-byte steps.
        var room = closingCount + 32
        for index in 0..<count {
            let entry = entries[index]
            room &+= chunks[entry.field].count &+ JSON.escapedRoom(entry.count)
        }
        out.reserve(room)

        // A member is one slice of its name's `","name":"` chunk (the quote closing the string
        // before it, the comma, the name, the quote opening a string value), then its value; every
        // name was escaped once, when the mapper was made.
        var dst = out.base + out.count
        dst[0] = UInt8(ascii: "{")
        dst += 1
        var previous = Previous.none
        var specials = 0
        for index in 0..<count {
            let entry = entries[index]
            let chunk = chunks[entry.field]
            if chunk.isAdded { continue }
            guard let base = entry.inLine ? lineBase : scratchBase else { continue }
            let value = (base + entry.start).assumingMemoryBound(to: UInt8.self)
            let skip = previous.rawValue
            // The chunk's structural quotes: closing the previous string value (when that is
            // what came before), around the name, and opening a string value.
            specials &+= (previous == .string ? 4 : 3) - (entry.isText ? 0 : 1) &+ chunk.specials
            if entry.isText {
                dst = Self.copyChunk(chunk.bytes + skip, chunk.count - skip, to: dst)
                let written = JSON.writeEscaped(value, entry.count, to: dst, invalid: invalidUTF8)
                dst = written.end
                specials &+= written.specials
                previous = .string
            } else {
                dst = Self.copyChunk(chunk.bytes + skip, chunk.count - 1 - skip, to: dst)
                dst.update(from: value, count: entry.count)
                dst += entry.count
                specials &+= JSON.specialCount(UnsafeRawBufferPointer(start: value, count: entry.count))
                previous = .json
            }
        }
        out.count = dst - out.base
        specials &+= appendClosing(after: previous, to: out)
        return out.count - begin + specials
    }

    /// Copies `count` bytes of a name chunk (which has `NameChunk.spare` bytes behind it) to `dst`,
    /// one 16-byte step when it is short; `dst` has room for 16 bytes more.
    @inline(__always)
    private static func copyChunk(
        _ source: UnsafeMutablePointer<UInt8>, _ count: Int, to dst: UnsafeMutablePointer<UInt8>
    ) -> UnsafeMutablePointer<UInt8> {
        if count <= 16 {
            let words = UnsafeRawPointer(source).loadUnaligned(as: (UInt64, UInt64).self)
            UnsafeMutableRawPointer(dst).storeBytes(of: words, as: (UInt64, UInt64).self)
        } else {
            dst.update(from: source, count: count)
        }
        return dst + count
    }

    /// Writes the end of the event: the quote a string value still needs, the added fields (with
    /// a comma when members precede them), and the closing brace. Returns the `"`, `\\` and
    /// control bytes it wrote.
    @inline(__always) @discardableResult
    private func appendClosing(after previous: Previous, to out: ByteBuffer) -> Int {
        if hasSourceFields { return appendSourceFieldsAndClosing(after: previous, to: out) }
        return appendClosingBytes(after: previous, to: out)
    }

    /// `appendClosing` with the source fields first; out of line, so that the encoder's loop is
    /// compiled as it is without them.
    @inline(never)
    private func appendSourceFieldsAndClosing(after written: Previous, to out: ByteBuffer) -> Int {
        let start = out.count
        let previous = appendSourceFields(after: written, to: out)
        let specials = JSON.specialCount(out.slice(start..<out.count))
        return specials + appendClosingBytes(after: previous, to: out)
    }

    @inline(__always)
    private func appendClosingBytes(after previous: Previous, to out: ByteBuffer) -> Int {
        let skip = previous == .none && !hasAddedFields ? 1 : previous.rawValue
        out.append(UnsafeRawBufferPointer(start: closingBytes + skip, count: closingCount - skip))
        return skip == 0 ? closingSpecials.0 : skip == 1 ? closingSpecials.1 : closingSpecials.2
    }

    /// A JSON line: its own bytes, unless added fields must be spliced in or a member they
    /// override left out.
    private func encodeObject(_ object: Record.Object, into out: ByteBuffer) {
        let line = record.pointee.line
        let repair = object.hasInvalidUTF8
        if !hasAddedFields && !hasSourceFields {
            appendJSONText(slice(line, object.range), repair: repair, to: out)
            return
        }
        let members = record.pointee.members
        func overridden(_ member: Record.Member) -> Bool {
            member.field >= 0 && member.field < record.pointee.chunks.count
                && record.pointee.chunks[member.field].isAdded
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
            text, copy: { out.append($0) },
            replace: { Self.appendReplacement(for: $0, policy: invalidUTF8, to: out) }
        )
    }

    /// U+FFFD, or `\u00XX` naming the byte, as `JSON.appendEscaped` writes a bad byte.
    static func appendReplacement(for byte: UInt8, policy: JSON.InvalidUTF8, to out: ByteBuffer) {
        let hex = Array("0123456789abcdef".utf8)
        let bytes: [UInt8] = switch policy {
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
