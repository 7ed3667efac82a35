import AtomBase

/// Expands grok patterns into PCRE2 regex text.
///
/// `%{NAME}` becomes `(?:...)` with NAME's regex, expanded in turn; `%{NAME:field}` becomes a
/// named group `(?<_fK>...)`, where K numbers the field, so that field names need not be valid
/// group names (`client.ip`) and one field may be captured in several places (alternatives);
/// the regex is compiled with duplicate names allowed. `%{NAME:field:type}` also types the field.
/// A named group the user writes (`(?<x>...)`) is a field too.
///
/// A name is looked up among the user's definitions first, then the built-in library. Each
/// name's expansion is made once and reused.
struct GrokCompiler {
    /// Where a pattern text comes from, for messages.
    struct Origin {
        var keyPath: String
        /// A prefix for messages: `line 3, FOO: ` for a patterns file, `FOO: ` for a definition.
        var label: String
        /// The place, for a message that points to it: the key path and the file's line.
        var place: String
    }

    /// The group name that captures field number `index`.
    static func groupName(_ index: Int) -> String { "_f\(index)" }

    /// The expansion may not grow past this (nested references can multiply it).
    static let maxExpandedBytes = 1 << 20

    private var user: [String: (regex: String, origin: Origin)] = [:]
    private var expanded: [String: String] = [:]
    /// The fields, numbered by their first capture.
    private(set) var fields: [String] = []
    private var fieldNumbers: [String: Int] = [:]
    /// Types the patterns give, in order of first appearance.
    private(set) var types: [(String, ValueConversion.Target)] = []

    /// Takes the user's definitions.
    ///
    /// - Throws: `MappingError` at a definition whose name is not letters, digits and `_`, or
    ///   that names a pattern defined before.
    init(definitions: [GrokDefinition]) throws(MappingError) {
        for definition in definitions {
            let origin = Self.origin(of: definition)
            guard Self.isName(Substring(definition.name)) else {
                let message = "\(origin.label)a pattern name is letters, digits and _"
                throw MappingError(keyPath: origin.keyPath, message: message)
            }
            if let earlier = user[definition.name] {
                let message = "\(origin.label)the pattern is already defined at \(earlier.origin.place)"
                throw MappingError(keyPath: origin.keyPath, message: message)
            }
            user[definition.name] = (definition.regex, origin)
        }
    }

    /// Checks every user definition on its own: it expands (no unknown name, no cycle) and the
    /// result compiles.
    mutating func checkDefinitions() throws(MappingError) {
        for name in user.keys.sorted() {
            guard let (_, origin) = user[name] else { continue }
            let regex = try expandName(name, origin: origin, stack: [])
            do {
                try PCRE2Pattern.check(regex, keyPath: origin.keyPath, duplicateNames: true)
            } catch {
                throw MappingError(keyPath: origin.keyPath, message: origin.label + error.message)
            }
        }
    }

    /// The regex text of `pattern`, every reference expanded.
    ///
    /// - Throws: `MappingError` for an unknown name, a cycle, a malformed `%{...}`, a type that
    ///   is not `int`, `float`, `bool` or `string`, a field typed two ways, or an expansion past
    ///   `maxExpandedBytes`, at the key path of the text where the problem is.
    mutating func expand(_ pattern: String, origin: Origin) throws(MappingError) -> String {
        try expand(text: pattern, origin: origin, stack: [])
    }

    private mutating func expandName(
        _ name: String, origin: Origin, stack: [String]
    ) throws(MappingError) -> String {
        if let done = expanded[name] { return done }
        if let index = stack.firstIndex(of: name) {
            let path = (stack[index...] + [name]).joined(separator: " → ")
            let message = "\(origin.label)pattern \(name) refers to itself: \(path)"
            throw MappingError(keyPath: origin.keyPath, message: message)
        }
        let source: String
        let inner: Origin
        if let defined = user[name] {
            (source, inner) = (defined.regex, defined.origin)
        } else if let builtIn = GrokLibrary.patterns[name] {
            let label = "\(origin.label)\(name): "
            (source, inner) = (builtIn, Origin(keyPath: origin.keyPath, label: label, place: origin.place))
        } else {
            let hint = closestName(to: name).map { " (did you mean \($0)?)" } ?? ""
            let message = "\(origin.label)unknown grok pattern %{\(name)}\(hint)"
            throw MappingError(keyPath: origin.keyPath, message: message)
        }
        let result = try expand(text: source, origin: inner, stack: stack + [name])
        expanded[name] = result
        return result
    }

    private mutating func expand(
        text: String, origin: Origin, stack: [String]
    ) throws(MappingError) -> String {
        var out = ""
        let bytes = Array(text.utf8)
        var literalStart = 0
        var index = 0
        while index + 1 < bytes.count {
            guard bytes[index] == UInt8(ascii: "%"), bytes[index + 1] == UInt8(ascii: "{") else {
                index += 1
                continue
            }
            out += String(decoding: bytes[literalStart..<index], as: UTF8.self)
            guard let close = bytes[(index + 2)...].firstIndex(of: UInt8(ascii: "}")) else {
                let message = "\(origin.label)\"%{\" is not closed"
                throw MappingError(keyPath: origin.keyPath, message: message)
            }
            let inside = String(decoding: bytes[(index + 2)..<close], as: UTF8.self)
            index = close + 1
            literalStart = index
            out += try capture(inside, origin: origin, stack: stack)
            guard out.utf8.count <= Self.maxExpandedBytes else {
                let message = "\(origin.label)the pattern expands to more than \(Self.maxExpandedBytes) bytes"
                throw MappingError(keyPath: origin.keyPath, message: message)
            }
        }
        return out + String(decoding: bytes[literalStart...], as: UTF8.self)
    }

    /// The regex for one `%{inside}`: a group, named when it captures a field.
    private mutating func capture(
        _ inside: String, origin: Origin, stack: [String]
    ) throws(MappingError) -> String {
        let parts = inside.split(separator: ":", omittingEmptySubsequences: false)
        let reference = "%{\(inside)}"
        guard parts.count <= 3, let name = parts.first, Self.isName(name) else {
            let message = "\(origin.label)\(reference) is not %{NAME}, %{NAME:field} or %{NAME:field:type}"
            throw MappingError(keyPath: origin.keyPath, message: message)
        }
        let body = try expandName(String(name), origin: origin, stack: stack)
        guard parts.count > 1 else { return "(?:" + body + ")" }
        let field = String(parts[1])
        guard !field.isEmpty else {
            let message = "\(origin.label)\(reference) names an empty field"
            throw MappingError(keyPath: origin.keyPath, message: message)
        }
        if parts.count == 3 {
            try addType(String(parts[2]), for: field, reference: reference, origin: origin)
        }
        return "(?<" + Self.groupName(number(of: field)) + ">" + body + ")"
    }

    private mutating func addType(
        _ text: String, for field: String, reference: String, origin: Origin
    ) throws(MappingError) {
        guard let target = ValueConversion.Target(rawValue: text) else {
            let known = ValueConversion.Target.allCases.map(\.rawValue).joined(separator: ", ")
            let message = "\(origin.label)\(reference): unknown type \"\(text)\" (types: \(known))"
            throw MappingError(keyPath: origin.keyPath, message: message)
        }
        if let existing = types.first(where: { $0.0 == field }) {
            guard existing.1 == target else {
                let message = "\(origin.label)\(reference): field \(field) is already typed \(existing.1.rawValue)"
                throw MappingError(keyPath: origin.keyPath, message: message)
            }
            return
        }
        types.append((field, target))
    }

    private mutating func number(of field: String) -> Int {
        if let known = fieldNumbers[field] { return known }
        fields.append(field)
        fieldNumbers[field] = fields.count - 1
        return fields.count - 1
    }

    private static func origin(of definition: GrokDefinition) -> Origin {
        let label = definition.line.map { "line \($0), \(definition.name): " } ?? "\(definition.name): "
        let place = definition.keyPath + (definition.line.map { " line \($0)" } ?? "")
        return Origin(keyPath: definition.keyPath, label: label, place: place)
    }

    private static func isName(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A)
                || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
        }
    }

    /// A known pattern name within two edits of `name` (one per three letters), for a hint.
    private func closestName(to name: String) -> String? {
        let candidates = Set(GrokLibrary.patterns.keys).union(user.keys).sorted()
        let scored = candidates.map { ($0, EditDistance.levenshtein(Array(name.utf8), Array($0.utf8))) }
        let limit = min(2, name.utf8.count / 3)
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= limit else { return nil }
        return best.0
    }
}
