/// Turns a field's text into a typed JSON value (`int`, `float`, `bool`) or back into a string,
/// with a stated policy for a value that does not convert (such as `-` for a byte count).
///
/// The rules, byte for byte on the field's text (no whitespace is trimmed):
/// - `int`: an optional sign and decimal digits only. Written as JSON without a `+` or leading
///   zeros (`+007` is `7`, `-0` stays `-0`); digits beyond 64 bits are kept as written, since
///   JSON numbers have no size limit. `1.5`, `1e3`, `0x1F` and the empty text do not convert.
/// - `float`: an optional sign, digits with an optional fraction (`1.`, `.5` too), an optional
///   exponent. Written as a JSON number with the digits as written (`.5` is `0.5`, `1.` is `1`,
///   `+2.50` is `2.50`), so nothing is rounded. `NaN`, `inf` and `1,5` do not convert.
/// - `bool`: `true`, `yes`, `on`, `1` and `false`, `no`, `off`, `0`, in any letter case.
/// - `string`: a JSON value set by a parser (a number, an object) becomes its text as a string.
///
/// A conversion costs nothing for a value whose text is already the JSON it converts to (the
/// field is marked as JSON in place); a value written differently is rewritten in the record's
/// scratch bytes.
public struct ValueConversion: Sendable, Equatable {
    /// What a value is converted to.
    public enum Target: String, Sendable, CaseIterable {
        case int, float, bool, string
    }

    /// What happens to a value that does not convert.
    public enum Failure: String, Sendable, CaseIterable {
        /// The field stays a string, as captured.
        case keep
        /// The field becomes JSON `null`.
        case null
        /// The field is left out of the event.
        case drop
    }

    public var target: Target
    public var onFailure: Failure

    /// A conversion to `target`; a value that does not convert is kept as a string unless
    /// `onFailure` says otherwise.
    public init(_ target: Target, onFailure: Failure = .keep) {
        self.target = target
        self.onFailure = onFailure
    }

    /// What converting one text gives.
    enum Outcome: Equatable {
        /// The text is the JSON value as it stands.
        case asIs
        /// The JSON value is the first `count` bytes written to the output buffer.
        case rewritten(count: Int)
        /// The text does not convert.
        case failed
    }

    /// Converts `field` of `record` in place; a field that is not set is left alone.
    ///
    /// - Returns: false when the field is set and its value does not convert (it then follows
    ///   `onFailure`), true otherwise.
    @discardableResult
    public func apply(to field: FieldID, in record: inout Record) -> Bool {
        apply(toIndex: field.index, in: &record)
    }

    @inline(__always) @discardableResult
    func apply(toIndex field: Int, in record: inout Record) -> Bool {
        guard let isText = record.isText(ofIndex: field) else { return true }
        if target == .string {
            if !isText { record.setKind(ofIndex: field, isText: true) }
            return true
        }
        // The longest rewrite is one byte longer than its text (`.5` is `0.5`) or `false`.
        let capacity = (record.count(ofIndex: field) ?? 0) + 6
        let converted = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { out in
            let outcome = record.withText(ofIndex: field) { Self.convert($0, to: target, into: out) }
            switch outcome {
            case .asIs?:
                if isText { record.setKind(ofIndex: field, isText: false) }
                return true
            case .rewritten(let count)?:
                let json = UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: out[0..<count]))
                record.set(FieldID(index: field), json: json)
                return true
            case .failed?, nil:
                return false
            }
        }
        guard !converted else { return true }
        switch onFailure {
        case .keep:
            // A JSON value that is not of the type (an object for `int`) is kept as it is.
            break
        case .null:
            Self.null.withUnsafeBytes { record.set(FieldID(index: field), json: $0) }
        case .drop:
            record.remove(FieldID(index: field))
        }
        return false
    }

    private static let null: [UInt8] = Array("null".utf8)

    /// Converts `text` to `target` (not `.string`), writing a rewritten value to `out`, which
    /// holds at least `text.count + 6` bytes.
    static func convert(
        _ text: UnsafeRawBufferPointer, to target: Target, into out: UnsafeMutableBufferPointer<UInt8>
    ) -> Outcome {
        guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self), !text.isEmpty,
              let destination = out.baseAddress
        else { return .failed }
        let bytes = UnsafeBufferPointer(start: base, count: text.count)
        switch target {
        case .int: return convertInt(bytes, into: destination)
        case .float: return convertFloat(bytes, into: destination)
        case .bool: return convertBool(bytes, into: destination)
        case .string: return .asIs
        }
    }

    /// `[+-]?[0-9]+`, rewritten without a plus sign and leading zeros.
    private static func convertInt(
        _ text: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>
    ) -> Outcome {
        var index = 0
        let sign = text[0]
        if sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { index = 1 }
        let digitsStart = index
        while index < text.count && text[index].isDecimalDigit { index += 1 }
        guard index == text.count, index > digitsStart else { return .failed }
        var first = digitsStart
        while first < text.count - 1 && text[first] == UInt8(ascii: "0") { first += 1 }
        if sign != UInt8(ascii: "+") && first == digitsStart { return .asIs }
        var count = 0
        if sign == UInt8(ascii: "-") {
            out[0] = UInt8(ascii: "-")
            count = 1
        }
        for position in first..<text.count {
            out[count] = text[position]
            count += 1
        }
        return .rewritten(count: count)
    }

    /// `[+-]?(digits(.digits?)?|.digits)([eE][+-]?digits)?`, rewritten as a JSON number.
    private static func convertFloat(
        _ text: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>
    ) -> Outcome {
        var index = 0
        let sign = text[0]
        if sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { index = 1 }
        let integerStart = index
        while index < text.count && text[index].isDecimalDigit { index += 1 }
        let integerEnd = index
        var fractionStart = index
        var fractionEnd = index
        if index < text.count && text[index] == UInt8(ascii: ".") {
            index += 1
            fractionStart = index
            while index < text.count && text[index].isDecimalDigit { index += 1 }
            fractionEnd = index
        }
        guard integerEnd > integerStart || fractionEnd > fractionStart else { return .failed }
        let exponentStart = index
        if index < text.count && (text[index] == UInt8(ascii: "e") || text[index] == UInt8(ascii: "E")) {
            index += 1
            if index < text.count && (text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-")) {
                index += 1
            }
            let digits = index
            while index < text.count && text[index].isDecimalDigit { index += 1 }
            guard index > digits else { return .failed }
        }
        guard index == text.count else { return .failed }

        var first = integerStart
        while first + 1 < integerEnd && text[first] == UInt8(ascii: "0") { first += 1 }
        let hasDot = fractionStart > integerEnd
        let canonical = sign != UInt8(ascii: "+") && first == integerStart && integerEnd > integerStart
            && (!hasDot || fractionEnd > fractionStart)
        if canonical { return .asIs }

        var count = 0
        func put(_ byte: UInt8) {
            out[count] = byte
            count += 1
        }
        if sign == UInt8(ascii: "-") { put(UInt8(ascii: "-")) }
        if integerEnd > integerStart {
            for position in first..<integerEnd { put(text[position]) }
        } else {
            put(UInt8(ascii: "0"))
        }
        if fractionEnd > fractionStart {
            put(UInt8(ascii: "."))
            for position in fractionStart..<fractionEnd { put(text[position]) }
        }
        for position in exponentStart..<text.count { put(text[position]) }
        return .rewritten(count: count)
    }

    private static let trueWords: [[UInt8]] = ["true", "yes", "on", "1"].map { Array($0.utf8) }
    private static let falseWords: [[UInt8]] = ["false", "no", "off", "0"].map { Array($0.utf8) }

    /// One of the boolean words, rewritten as `true` or `false`.
    private static func convertBool(
        _ text: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>
    ) -> Outcome {
        func matches(_ word: [UInt8]) -> Bool {
            guard word.count == text.count else { return false }
            for index in 0..<word.count where text[index].asciiLowercased != word[index] {
                return false
            }
            return true
        }
        let value: Bool
        if trueWords.contains(where: matches) {
            value = true
        } else if falseWords.contains(where: matches) {
            value = false
        } else {
            return .failed
        }
        let word = value ? trueWords[0] : falseWords[0]
        if text.elementsEqual(word) { return .asIs }
        for (index, byte) in word.enumerated() { out[index] = byte }
        return .rewritten(count: word.count)
    }
}

extension UInt8 {
    /// Whether the byte is an ASCII digit.
    @inline(__always)
    fileprivate var isDecimalDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }

    /// The byte with an ASCII capital letter made small.
    fileprivate var asciiLowercased: UInt8 {
        self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z") ? self | 0x20 : self
    }
}
