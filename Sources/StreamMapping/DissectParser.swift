/// The `dissect` format: the line is cut at the literal text between `%{name}` placeholders, in
/// pattern order, without a regex.
///
/// Options: `pattern` (required), `appendSeparator` (default `" "`).
///
/// Each placeholder takes the text up to the first occurrence of the literal that follows it:
/// - `%{name}` sets field `name` (a string, possibly empty);
/// - `%{}` and `%{?name}` skip the text;
/// - `%{+name}` appends the text to field `name`, after `appendSeparator` (empty parts are left
///   out of the join); without an earlier `%{name}` it starts the field;
/// - a `->` suffix (`%{name->}`) also skips repeats of the literal after the value (padding).
///
/// Text before the first placeholder must start the line. The last placeholder takes the rest of
/// the line, or, when the pattern ends with a literal, everything before that literal, which
/// must end the line. Fields appear in the order their names first appear in the pattern. A
/// line that does not fit fails with the literal it lacks.
final class DissectParser: FieldDeclaring {
    /// One placeholder and the literal after it.
    private struct Step {
        /// Index into `outputNames`, or -1 for a skipped value.
        var output: Int
        /// Whether the value is one part of several (`%{+name}`), and the first of them.
        var joined: Bool
        var firstPart: Bool
        /// The literal that ends the value (empty for the last step).
        var delimiter: LiteralBytes
        /// Whether repeats of `delimiter` after the value are skipped too.
        var rightPad: Bool
    }

    private let prefix: LiteralBytes
    private let steps: UnsafeMutableBufferPointer<Step>
    /// Whether the pattern ends with a literal, which must then end the line.
    private let hasSuffix: Bool
    /// Whether some field is joined from several parts (`%{+name}`).
    private let hasJoins: Bool
    private let outputNames: [String]
    /// Per output, the steps that feed it, when there are several (`%{+name}`); else empty.
    private let appendSteps: [[Int]]
    private let appendSeparator: LiteralBytes
    /// Where a joined value is built (behind a pointer: no exclusivity checks).
    private let value: UnsafeMutablePointer<ValueBuffer>
    /// Field index per output, resolved from `outputNames` on the first line (-1 until then).
    private let fields: UnsafeMutableBufferPointer<Int>
    /// The value of each joined step in the current line: start at 2i, end at 2i + 1.
    private let bounds: UnsafeMutablePointer<Int>
    /// Per step, a name for failure messages.
    private let stepNames: [String]

    /// Makes the parser from the mapping's options (see the type's description).
    ///
    /// - Throws: `MappingError` at `pattern` for a pattern without fields, with an unclosed
    ///   `%{`, two placeholders with no literal between them, or a reference key (`%{*a}`,
    ///   `%{&a}`); at any unknown option or option of the wrong kind.
    convenience init(options: [String: FieldValue]) throws(MappingError) {
        let reader = try ParserOptionReader(options, allowed: ["pattern", "appendSeparator"])
        guard let pattern = try reader.string("pattern") else {
            let message = "missing: a dissect parser needs a pattern"
            throw MappingError(keyPath: "pattern", message: message)
        }
        let separator = try reader.string("appendSeparator") ?? " "
        try self.init(pattern: pattern, appendSeparator: separator)
    }

    /// Compiles `pattern`; see `init(options:)`.
    init(pattern: String, appendSeparator: String) throws(MappingError) {
        let parsed = try DissectPattern(pattern)
        var names: [String] = []
        var parts: [[Int]] = []
        var outputs: [Int] = []
        for (index, key) in parsed.keys.enumerated() {
            guard let name = key.name else {
                outputs.append(-1)
                continue
            }
            if let existing = names.firstIndex(of: name) {
                guard key.appends else {
                    let message = "field \"\(name)\" is set twice; use %{+\(name)} to append"
                    throw MappingError(keyPath: "pattern", message: message)
                }
                parts[existing].append(index)
                outputs.append(existing)
            } else {
                names.append(name)
                parts.append([index])
                outputs.append(names.count - 1)
            }
        }
        guard !names.isEmpty else {
            let message = "the pattern names no field; events would be empty"
            throw MappingError(keyPath: "pattern", message: message)
        }

        prefix = LiteralBytes(parsed.prefix)
        steps = .allocate(capacity: parsed.keys.count)
        for (index, key) in parsed.keys.enumerated() {
            let output = outputs[index]
            let feeds = output >= 0 ? parts[output] : []
            let step = Step(
                output: output,
                joined: feeds.count > 1,
                firstPart: feeds.first == index,
                delimiter: LiteralBytes(key.literal),
                rightPad: key.rightPad
            )
            steps.initializeElement(at: index, to: step)
        }
        hasSuffix = !(parsed.keys.last?.literal.isEmpty ?? true)
        hasJoins = parts.contains { $0.count > 1 }
        outputNames = names
        appendSteps = parts.map { $0.count > 1 ? $0 : [] }
        self.appendSeparator = LiteralBytes(appendSeparator)
        value = .allocate(capacity: 1)
        value.initialize(to: ValueBuffer())
        fields = .allocate(capacity: names.count)
        fields.initialize(repeating: -1)
        bounds = .allocate(capacity: 2 * parsed.keys.count)
        bounds.initialize(repeating: 0, count: 2 * parsed.keys.count)
        stepNames = parsed.keys.map { key in key.name.map { "\"\($0)\"" } ?? "(skipped)" }
    }

    var declaredFields: [String] { outputNames }

    deinit {
        prefix.deallocate()
        for step in steps { step.delimiter.deallocate() }
        steps.deallocate()
        fields.deallocate()
        bounds.deallocate()
        appendSeparator.deallocate()
        value.pointee.deallocate()
        value.deinitialize(count: 1)
        value.deallocate()
    }

    func parse(_ line: UnsafeRawBufferPointer, into record: inout Record) -> Bool {
        if fields[0] < 0 {
            for (index, name) in outputNames.enumerated() {
                fields[index] = record.field(name).index
            }
        }
        let end = line.count
        // An empty line may have no address; any valid pointer serves, as no byte is read.
        let address = line.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let base = address ?? UnsafePointer(prefix.base)
        guard prefix.occurs(in: base, at: 0, end: end) else {
            return record.reject("line does not start with \"\(prefix.text)\"")
        }

        // A plain field is set as soon as it is found (on a failure the mapper clears the
        // record); a joined one once all its parts are known, at its first part's place.
        var position = prefix.count
        let last = steps.count - 1
        for index in 0...last {
            let step = steps[index]
            var valueEnd = end
            if index < last {
                guard let found = step.delimiter.find(in: base, from: position, to: end) else {
                    let what = "\"\(step.delimiter.text)\" after field \(stepNames[index])"
                    return record.reject("no \(what) at offset \(position)")
                }
                valueEnd = found
            } else if hasSuffix {
                valueEnd = end - step.delimiter.count
                guard valueEnd >= position,
                      step.delimiter.occurs(in: base, at: valueEnd, end: end) else {
                    return record.reject("line does not end with \"\(step.delimiter.text)\"")
                }
            }
            if step.output >= 0 {
                if !step.joined {
                    record.setLineText(fields[step.output], position, valueEnd - position)
                } else {
                    bounds[2 * index] = position
                    bounds[2 * index + 1] = valueEnd
                    if step.firstPart { record.setLineText(fields[step.output], 0, 0) }
                }
            }
            position = valueEnd + step.delimiter.count
            if step.rightPad && index < last {
                while step.delimiter.occurs(in: base, at: position, end: end) {
                    position += step.delimiter.count
                }
            }
        }
        if hasJoins {
            for index in 0...last where steps[index].firstPart && steps[index].joined {
                join(steps[index].output, base, into: &record)
            }
        }
        return true
    }

    /// Sets the field of `output` to its non-empty parts joined by `appendSeparator`.
    private func join(_ output: Int, _ base: UnsafePointer<UInt8>, into record: inout Record) {
        value.pointee.removeAll()
        var first = true
        for index in appendSteps[output] {
            let from = bounds[2 * index]
            let to = bounds[2 * index + 1]
            guard to > from else { continue }
            if !first { value.pointee.append(appendSeparator.base, appendSeparator.count) }
            first = false
            value.pointee.append(base + from, to - from)
        }
        record.set(FieldID(index: fields[output]), text: value.pointee.bytes)
    }
}

/// A dissect pattern cut into its leading literal and its placeholders.
struct DissectPattern {
    /// One `%{...}` and the literal after it.
    struct Key {
        /// The field, or nil for a skipped value (`%{}`, `%{?name}`).
        var name: String?
        var appends: Bool
        var rightPad: Bool
        var literal: String
    }

    var prefix: String
    var keys: [Key]

    /// Parses `pattern`.
    ///
    /// - Throws: `MappingError` at `pattern` (see `DissectParser.init(options:)`).
    init(_ pattern: String) throws(MappingError) {
        let bytes = Array(pattern.utf8)
        var keys: [Key] = []
        var literalStart = 0
        var prefix = ""
        var index = 0

        func literal(upTo end: Int) -> String {
            String(decoding: bytes[literalStart..<end], as: UTF8.self)
        }

        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "%"), index + 1 < bytes.count,
                  bytes[index + 1] == UInt8(ascii: "{") else {
                index += 1
                continue
            }
            guard let close = bytes[(index + 2)...].firstIndex(of: UInt8(ascii: "}")) else {
                let message = "\"%{\" at offset \(index) is not closed"
                throw MappingError(keyPath: "pattern", message: message)
            }
            if keys.isEmpty {
                prefix = literal(upTo: index)
            } else {
                let text = literal(upTo: index)
                guard !text.isEmpty else {
                    let message = "two fields with nothing between them at offset \(index); "
                        + "dissect needs a literal to cut at"
                    throw MappingError(keyPath: "pattern", message: message)
                }
                keys[keys.count - 1].literal = text
            }
            keys.append(try Self.key(String(decoding: bytes[(index + 2)..<close], as: UTF8.self)))
            index = close + 1
            literalStart = index
        }
        guard !keys.isEmpty else {
            throw MappingError(keyPath: "pattern", message: "the pattern has no %{field}")
        }
        keys[keys.count - 1].literal = literal(upTo: bytes.count)
        self.prefix = prefix
        self.keys = keys
    }

    /// Reads the inside of one `%{...}`.
    private static func key(_ inside: String) throws(MappingError) -> Key {
        var text = Substring(inside)
        let rightPad = text.hasSuffix("->")
        if rightPad { text = text.dropLast(2) }
        if text.isEmpty { return Key(name: nil, appends: false, rightPad: rightPad, literal: "") }
        switch text.first {
        case "?":
            return Key(name: nil, appends: false, rightPad: rightPad, literal: "")
        case "+":
            guard text.count > 1 else {
                throw MappingError(keyPath: "pattern", message: "%{+} names no field to append to")
            }
            let name = String(text.dropFirst())
            return Key(name: name, appends: true, rightPad: rightPad, literal: "")
        case "*", "&":
            let message = "reference keys such as %{\(inside)} are not supported"
            throw MappingError(keyPath: "pattern", message: message)
        default:
            return Key(name: String(text), appends: false, rightPad: rightPad, literal: "")
        }
    }
}
