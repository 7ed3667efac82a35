/// Sorts lines for multiline grouping: whether each begins an event or continues the one before.
///
/// Every line of the file is sorted, so before PCRE2 is called the line's first byte and length
/// are checked against what a match can start with and take (when PCRE2 knows it): a timestamped
/// log line tried against a stack-trace continuation pattern is ruled out without a match.
final class MultilineRule {
    private let pattern: PCRE2Pattern
    /// Whether a match means the line begins an event.
    private let matchStarts: Bool
    private let blankContinues: Bool
    private let indentedContinues: Bool
    /// Bit `b` of the 256-bit table: a match can start with byte `b` (all set without a table).
    private let firstBytes: UnsafeMutablePointer<UInt8>
    private let minLength: Int

    init(_ spec: MultilineSpec) throws(MappingError) {
        pattern = try PCRE2Pattern(spec.pattern, keyPath: "multiline.pattern")
        // A match begins an event in start mode; negate turns that around, and so does
        // continuation mode.
        matchStarts = (spec.mode == .start) != spec.negate
        blankContinues = spec.blankLinesContinue
        indentedContinues = spec.indentedLinesContinue
        firstBytes = .allocate(capacity: 32)
        if let known = pattern.firstBytes() {
            firstBytes.initialize(from: known.table, count: 32)
            minLength = known.minLength
        } else {
            firstBytes.initialize(repeating: 0xFF, count: 32)
            minLength = 0
        }
    }

    deinit { firstBytes.deallocate() }

    /// Whether `line` begins an event.
    @inline(__always)
    func startsEvent(_ line: UnsafeRawBufferPointer) -> Bool {
        guard let first = line.first else {
            return blankContinues ? false : pattern.matchesAsWritten(line) == matchStarts
        }
        if first == 0x20 || first == 0x09 {
            if Self.holdsMore(line) {
                if indentedContinues { return false }
            } else if blankContinues {
                return false
            }
        }
        let possible = line.count >= minLength && firstBytes[Int(first >> 3)] & (1 << (first & 7)) != 0
        return (possible && pattern.matchesAsWritten(line)) == matchStarts
    }

    /// Whether something other than spaces and tabs follows the line's indentation.
    @inline(__always)
    private static func holdsMore(_ line: UnsafeRawBufferPointer) -> Bool {
        for byte in line where byte != 0x20 && byte != 0x09 { return true }
        return false
    }
}
