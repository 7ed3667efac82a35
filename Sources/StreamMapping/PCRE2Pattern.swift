import CPCRE2

/// One compiled PCRE2 pattern with the match data and JIT stack it matches with.
///
/// Compiled in UTF mode with `PCRE2_MATCH_INVALID_UTF`, so a subject that is not valid UTF-8 is
/// safe to match. In that mode an invalid byte matches nothing, not even `.`; so when such a
/// subject does not match, it is matched again as a copy with each invalid byte replaced by
/// U+FFFD, as it would be written out. Not thread-safe: the match data and copy are reused.
final class PCRE2Pattern {
    let code: OpaquePointer
    let matchData: OpaquePointer
    /// Start and end offset of each group after a match; PCRE2 keeps it at one address.
    private let ovector: UnsafeMutablePointer<Int>
    let context: OpaquePointer?
    private let jitStack: OpaquePointer?
    /// A readable byte to hand PCRE2 for an empty subject, whose buffer may have no address.
    let emptySubject: UnsafeMutablePointer<UInt8>
    /// The repaired copy of the last subject, when the last match ran on one.
    private var repaired: [UInt8] = []

    /// Compiles `pattern` (`pcre2_compile_8`, then `pcre2_jit_compile_8` where JIT is available).
    ///
    /// - Parameter duplicateNames: whether several groups may share a name (`PCRE2_DUPNAMES`).
    /// - Throws: `MappingError` at `keyPath` with PCRE2's message and the offset it names.
    init(_ pattern: String, keyPath: String, duplicateNames: Bool = false) throws(MappingError) {
        let options = duplicateNames ? PCRE2_DUPNAMES : 0
        let compiled = try Self.compile(pattern, keyPath: keyPath, options: options)
        guard let data = pcre2_match_data_create_from_pattern_8(compiled, nil) else {
            pcre2_code_free_8(compiled)
            throw MappingError(keyPath: keyPath, message: "no memory for the regex's match data")
        }
        guard let offsets = pcre2_get_ovector_pointer_8(data) else {
            pcre2_match_data_free_8(data)
            pcre2_code_free_8(compiled)
            throw MappingError(keyPath: keyPath, message: "PCRE2 gave no match offsets")
        }
        code = compiled
        matchData = data
        ovector = offsets

        // Without JIT (an unsupported CPU) pcre2_match falls back to the interpreter.
        let jitReady = pcre2_jit_compile_8(compiled, PCRE2_JIT_COMPLETE) == 0
        let stack = jitReady ? pcre2_jit_stack_create_8(32 * 1024, 1024 * 1024, nil) : nil
        let matchContext = pcre2_match_context_create_8(nil)
        if let stack, let matchContext {
            pcre2_jit_stack_assign_8(matchContext, nil, UnsafeMutableRawPointer(stack))
        }
        jitStack = stack
        context = matchContext
        emptySubject = .allocate(capacity: 1)
        emptySubject.initialize(to: 0)
    }

    /// Checks that `pattern` compiles, without keeping it or compiling it for the JIT.
    ///
    /// - Throws: `MappingError` at `keyPath` with PCRE2's message and the offset it names.
    static func check(_ pattern: String, keyPath: String, duplicateNames: Bool = false) throws(MappingError) {
        let compiled = try compile(pattern, keyPath: keyPath, options: duplicateNames ? PCRE2_DUPNAMES : 0)
        pcre2_code_free_8(compiled)
    }

    /// `pcre2_compile_8` in UTF mode with invalid UTF-8 allowed in subjects, plus `options`.
    private static func compile(
        _ pattern: String, keyPath: String, options: UInt32
    ) throws(MappingError) -> OpaquePointer {
        var errorCode: Int32 = 0
        var errorOffset = 0
        var text = pattern
        let compiled = text.withUTF8 { utf8 in
            pcre2_compile_8(
                utf8.baseAddress, utf8.count, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | options,
                &errorCode, &errorOffset, nil
            )
        }
        guard let compiled else {
            let reason = PCRE2Pattern.message(for: errorCode)
            let message = "regex does not compile at offset \(errorOffset): \(reason)"
            throw MappingError(keyPath: keyPath, message: message)
        }
        return compiled
    }

    deinit {
        pcre2_match_data_free_8(matchData)
        if let context { pcre2_match_context_free_8(context) }
        if let jitStack { pcre2_jit_stack_free_8(jitStack) }
        pcre2_code_free_8(code)
        emptySubject.deallocate()
    }

    /// Searches `subject` (`pcre2_match_8`), again on a repaired copy when it has invalid UTF-8
    /// and no match.
    ///
    /// - Returns: PCRE2's code (> 0 on a match, `PCRE2_ERROR_NOMATCH` when there is none, another
    ///   negative code on an error), and whether the match ran on the repaired copy, to which the
    ///   group offsets then refer (see `setGroups(_:onCopy:into:)`).
    @inline(__always)
    func match(_ subject: UnsafeRawBufferPointer) -> (code: Int32, onCopy: Bool) {
        let code = run(subject)
        guard code == PCRE2_ERROR_NOMATCH, !UTF8Repair.isValid(subject) else {
            return (code, false)
        }
        UTF8Repair.replacingInvalid(subject, into: &repaired)
        return (repaired.withUnsafeBytes { run($0) }, true)
    }

    @inline(__always)
    private func run(_ subject: UnsafeRawBufferPointer) -> Int32 {
        let base = subject.baseAddress?.assumingMemoryBound(to: UInt8.self)
            ?? UnsafePointer(emptySubject)
        return pcre2_match_8(code, base, subject.count, 0, 0, matchData, context)
    }

    /// Whether the pattern matches somewhere in `subject`; an error (such as a match limit)
    /// counts as no match.
    @inline(__always)
    func matches(_ subject: UnsafeRawBufferPointer) -> Bool { match(subject).code > 0 }

    /// Whether the pattern matches somewhere in `subject` as it is: an invalid UTF-8 byte matches
    /// nothing and no repaired copy is tried. For sorting every line of a file (multiline), where
    /// checking each line that does not match for invalid bytes would cost more than the match.
    @inline(__always)
    func matchesAsWritten(_ subject: UnsafeRawBufferPointer) -> Bool { run(subject) > 0 }

    /// Start and end offsets of group `number` in the last match, or nil when it did not take part.
    @inline(__always)
    func group(_ number: Int) -> Range<Int>? {
        let start = ovector[2 * number]
        let end = ovector[2 * number + 1]
        guard start != atom_pcre2_unset(), end != atom_pcre2_unset(), start <= end else {
            return nil
        }
        return start..<end
    }

    /// Sets each group of `groups` that took part in the last match as a text field (group
    /// number and field index), from the line or, when the match ran on the repaired copy,
    /// from that copy.
    @inline(__always)
    func setGroups(_ groups: [(number: Int, field: Int)], onCopy: Bool, into record: inout Record) {
        guard onCopy else {
            for group in groups {
                guard let range = self.group(group.number) else { continue }
                record.setLineText(group.field, range.lowerBound, range.count)
            }
            return
        }
        repaired.withUnsafeBytes { copy in
            for group in groups {
                guard let range = self.group(group.number) else { continue }
                record.set(FieldID(index: group.field), text: UnsafeRawBufferPointer(rebasing: copy[range]))
            }
        }
    }

    /// The named groups, in group-number order (`PCRE2_INFO_NAMETABLE`). A name used by several
    /// groups (`(?J)`) appears once per group.
    func namedGroups() -> [(number: Int, name: String)] {
        var count: UInt32 = 0
        var entrySize: UInt32 = 0
        var table: UnsafePointer<UInt8>?
        guard pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMECOUNT), &count) == 0,
              pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMEENTRYSIZE), &entrySize) == 0,
              pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMETABLE), &table) == 0,
              let table, count > 0
        else { return [] }
        var groups: [(number: Int, name: String)] = []
        for index in 0..<Int(count) {
            let entry = table + index * Int(entrySize)
            let number = Int(entry[0]) << 8 | Int(entry[1])
            var length = 0
            while 2 + length < Int(entrySize) && entry[2 + length] != 0 { length += 1 }
            let bytes = UnsafeBufferPointer(start: entry + 2, count: length)
            let name = String(decoding: bytes, as: UTF8.self)
            groups.append((number, name))
        }
        return groups.sorted { $0.number < $1.number }
    }

    /// For an anchored pattern that cannot match an empty subject: the bytes a match can start
    /// with, as a 256-bit table (`PCRE2_INFO_FIRSTBITMAP`), and the fewest bytes a match takes
    /// (`PCRE2_INFO_MINLENGTH` counts characters, never more than bytes); nil when PCRE2 knows
    /// no such set. A caller can rule out most subjects by their first byte without matching.
    func firstBytes() -> (table: [UInt8], minLength: Int)? {
        var options: UInt32 = 0
        var matchesEmpty: UInt32 = 1
        var minLength: UInt32 = 0
        var bitmap: UnsafePointer<UInt8>?
        guard pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_ALLOPTIONS), &options) == 0,
              pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_MATCHEMPTY), &matchesEmpty) == 0,
              pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_MINLENGTH), &minLength) == 0,
              pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_FIRSTBITMAP), &bitmap) == 0,
              options & PCRE2_ANCHORED != 0, matchesEmpty == 0, let bitmap
        else { return nil }
        return (Array(UnsafeBufferPointer(start: bitmap, count: 32)), Int(minLength))
    }

    /// PCRE2's text for an error code (`pcre2_get_error_message_8`).
    static func message(for code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let length = buffer.withUnsafeMutableBufferPointer {
            pcre2_get_error_message_8(code, $0.baseAddress, $0.count)
        }
        guard length > 0 else { return "PCRE2 error \(code)" }
        return String(decoding: buffer[0..<Int(length)], as: UTF8.self)
    }
}
