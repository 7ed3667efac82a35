import CPCRE2

/// The `grok` format: one or more grok patterns (see `GrokCompiler`), each compiled to one PCRE2
/// regex with JIT, tried in order; the first that matches sets a field per capture that took
/// part, in group order, as strings unless the pattern or the mapping gives a type.
///
/// Like `regex`, a pattern matches anywhere in the line unless it anchors itself (`^...$`).
final class GrokParser: FieldDeclaring {
    /// One compiled pattern, and the field index of each of its named groups in group order.
    private struct Compiled {
        var pattern: PCRE2Pattern
        var groups: [(number: Int, field: Int)]
    }

    private let compiled: [Compiled]
    let declaredFields: [String]
    let declaredTypes: [(String, ValueConversion.Target)]

    /// Expands and compiles `spec`, registering its fields in `names`.
    ///
    /// - Throws: `MappingError` at `parser.pattern` (`parser.pattern[i]` for a list of several)
    ///   or at the user definition at fault (`parser.patterns.NAME`, `parser.patternsFiles[i]`):
    ///   an unknown pattern name, a cycle, a bad `%{...}` or type, a regex that does not compile;
    ///   or when a pattern captures nothing.
    init(_ spec: GrokSpec, names: inout FieldNames) throws(MappingError) {
        guard !spec.patterns.isEmpty else {
            throw MappingError(keyPath: "parser.pattern", message: "missing: a grok parser needs a pattern")
        }
        var compiler = try GrokCompiler(definitions: spec.definitions)
        try compiler.checkDefinitions()
        var compiled: [Compiled] = []
        var declared: [String] = []
        for (index, source) in spec.patterns.enumerated() {
            let path = spec.patterns.count == 1 ? "parser.pattern" : "parser.pattern[\(index)]"
            let regex = try compiler.expand(source, origin: GrokCompiler.Origin(keyPath: path, label: "", place: path))
            let pattern = try PCRE2Pattern(regex, keyPath: path, duplicateNames: true)
            var groups: [(number: Int, field: Int)] = []
            for group in pattern.namedGroups() {
                let field = Self.fieldName(of: group.name, in: compiler.fields)
                if !declared.contains(field) { declared.append(field) }
                groups.append((group.number, names.intern(field)))
            }
            guard !groups.isEmpty else {
                let message = "the pattern captures nothing, such as %{NUMBER:status}; events would be empty"
                throw MappingError(keyPath: path, message: message)
            }
            compiled.append(Compiled(pattern: pattern, groups: groups))
        }
        self.compiled = compiled
        declaredFields = declared
        declaredTypes = compiler.types
    }

    /// The field a named group captures: a grok capture's field, or a group the user named.
    private static func fieldName(of group: String, in fields: [String]) -> String {
        guard group.hasPrefix("_f"), let number = Int(group.dropFirst(2)), number < fields.count,
              GrokCompiler.groupName(number) == group
        else { return group }
        return fields[number]
    }

    func parse(_ line: UnsafeRawBufferPointer, into record: inout Record) -> Bool {
        var code: Int32 = PCRE2_ERROR_NOMATCH
        for entry in compiled {
            let (result, onCopy) = entry.pattern.match(line)
            code = result
            guard result > 0 else {
                if result == PCRE2_ERROR_NOMATCH { continue }
                break
            }
            entry.pattern.setGroups(entry.groups, onCopy: onCopy, into: &record)
            return true
        }
        guard code == PCRE2_ERROR_NOMATCH else {
            return record.reject("regex match failed: \(PCRE2Pattern.message(for: code))")
        }
        if compiled.count == 1 { return record.reject("line does not match the pattern") }
        return record.reject("line matches none of the \(compiled.count) patterns")
    }
}
