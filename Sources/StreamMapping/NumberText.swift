import Glibc

/// A number read from a field's text, exactly when it is a whole number that fits 64 bits.
enum NumberText: Equatable {
    case int(Int64)
    case double(Double)

    /// The longest text read as a number with a fraction or exponent (longer ones are not numbers
    /// here: no real log value needs more, and the copy for `strtod` stays on the stack).
    static let maxLength = 64

    /// The number `text` spells in JSON's syntax (a leading `+` allowed), or nil.
    static func parse(_ text: UnsafeRawBufferPointer) -> NumberText? {
        let count = text.count
        guard count > 0, let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            return nil
        }
        var index = 0
        let negative = base[0] == UInt8(ascii: "-")
        if negative || base[0] == UInt8(ascii: "+") { index = 1 }
        let digitsStart = index
        var whole: UInt64 = 0
        var overflow = false
        while index < count, base[index] &- UInt8(ascii: "0") < 10 {
            let (times, o1) = whole.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(UInt64(base[index] &- UInt8(ascii: "0")))
            overflow = overflow || o1 || o2
            whole = sum
            index += 1
        }
        guard index > digitsStart else { return nil }
        if index == count && !overflow {
            if negative, whole <= UInt64(Int64.max) + 1 {
                return .int(whole == UInt64(Int64.max) + 1 ? Int64.min : -Int64(whole))
            }
            if !negative, whole <= UInt64(Int64.max) { return .int(Int64(whole)) }
        }
        guard isRestOfNumber(base, from: index, count: count), count < maxLength else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { copy in
            guard let start = copy.baseAddress else { return nil }
            for offset in 0..<count { start[offset] = CChar(bitPattern: base[offset]) }
            start[count] = 0
            let value = strtod(start, nil)
            return value.isFinite ? .double(value) : nil
        }
    }

    /// Whether `from..<count` is a valid fraction and exponent (either may be absent).
    private static func isRestOfNumber(_ base: UnsafePointer<UInt8>, from: Int, count: Int) -> Bool {
        var index = from
        func digits() -> Bool {
            let start = index
            while index < count, base[index] &- UInt8(ascii: "0") < 10 { index += 1 }
            return index > start
        }
        if index < count, base[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() else { return false }
        }
        if index < count, base[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < count, base[index] == UInt8(ascii: "+") || base[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard digits() else { return false }
        }
        return index == count
    }

    /// Whether this number stands in `comparison` to `threshold` (exact for whole numbers).
    func satisfies(_ comparison: Comparison, _ threshold: Threshold) -> Bool {
        let order: Int
        switch (self, threshold.exact) {
        case (.int(let value), let exact?):
            order = value < exact ? -1 : (value > exact ? 1 : 0)
        case (.int(let value), nil):
            order = Self.order(Double(value), threshold.value)
        case (.double(let value), _):
            order = Self.order(value, threshold.value)
        }
        switch comparison {
        case .lt: return order < 0
        case .lte: return order <= 0
        case .gt: return order > 0
        case .gte: return order >= 0
        }
    }

    private static func order(_ a: Double, _ b: Double) -> Int { a < b ? -1 : (a > b ? 1 : 0) }

    /// A condition's value, with its exact integer when it is one.
    struct Threshold {
        let value: Double
        let exact: Int64?

        init(_ value: Double) {
            self.value = value
            let whole = value.rounded(.towardZero) == value
            exact = whole && abs(value) < 9.2e18 ? Int64(value) : nil
        }
    }
}
