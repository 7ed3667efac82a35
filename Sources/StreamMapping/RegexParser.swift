import CPCRE2

/// The `regex` format: a PCRE2 pattern whose named groups become string fields, in group order.
final class RegexParser: FieldDeclaring {
    private let pattern: PCRE2Pattern
    /// Group number and field index of each named group, in group order.
    private let groups: [(number: Int, field: Int)]
    let declaredFields: [String]

    /// Compiles `source` and registers its group names in `names`.
    ///
    /// - Throws: `MappingError` at `parser.pattern` when the pattern does not compile or has no
    ///   named group (its events would have no fields).
    init(_ source: String, names: inout FieldNames) throws(MappingError) {
        pattern = try PCRE2Pattern(source, keyPath: "parser.pattern")
        let named = pattern.namedGroups()
        guard !named.isEmpty else {
            throw MappingError(
                keyPath: "parser.pattern",
                message: "regex has no named group such as (?<status>\\d+); events would be empty"
            )
        }
        groups = named.map { ($0.number, names.intern($0.name)) }
        declaredFields = named.map(\.name)
    }

    func parse(_ line: UnsafeRawBufferPointer, into record: inout Record) -> Bool {
        let (code, onCopy) = pattern.match(line)
        guard code > 0 else {
            if code == PCRE2_ERROR_NOMATCH {
                return record.reject("line does not match the pattern")
            }
            return record.reject("regex match failed: \(PCRE2Pattern.message(for: code))")
        }
        pattern.setGroups(groups, onCopy: onCopy, into: &record)
        return true
    }
}
