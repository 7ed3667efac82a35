import AtomBase

extension FieldOperations {
    /// Compiles `operations`, registering the fields they name in `names`; nil when there are none.
    ///
    /// - Parameters:
    ///   - addFields: the mapping's added fields: readable (their constant), never written.
    ///   - sourceFields: the names of the source fields with the key that asks for each:
    ///     readable (they are set before the operations run), never written.
    /// - Throws: `MappingError` at `fields[i]...` for an empty field name, a write to an added
    ///   field, or an option that cannot work (a template, pattern or replacement in error).
    static func compile(
        _ operations: [FieldOperation],
        addFields: [(String, FieldValue)],
        sourceFields: [String: String],
        names: inout FieldNames,
        invalidUTF8: JSON.InvalidUTF8
    ) throws(MappingError) -> FieldOperations? {
        guard !operations.isEmpty else { return nil }
        var added: [String: FieldValue] = [:]
        for (name, value) in addFields { added[name] = value }
        let texts = added.mapValues(\.routingText)
        var steps: [Step] = []

        /// A field the operation writes (or removes): registered, and never an added one.
        func target(_ name: String, _ path: String) throws(MappingError) -> Int {
            guard !name.isEmpty else {
                throw MappingError(keyPath: path, message: "the field name is empty")
            }
            guard added[name] == nil else {
                let message = "'\(name)' is set by addFields, which wins over field operations"
                throw MappingError(keyPath: path, message: message)
            }
            if let owner = sourceFields[name] {
                let message = "'\(name)' is written by \(owner), which wins over field operations"
                throw MappingError(keyPath: path, message: message)
            }
            return names.intern(name)
        }

        for (index, operation) in operations.enumerated() {
            let path = "fields[\(index)]"
            switch operation {
            case .add(let field, let value):
                let into = try target(field, path + ".add.field")
                guard let json = value.jsonText else {
                    let message = "not a finite number, which JSON cannot hold"
                    throw MappingError(keyPath: path + ".add.value", message: message)
                }
                steps.append(constant(into, value, json: json))
            case .set(let field, let template):
                let into = try target(field, path + ".set.field")
                let compiled = try FieldTemplate(
                    template, names: &names, added: texts, keyPath: path + ".set.template"
                )
                steps.append(.template(into, compiled))
            case .rename(let from, let to):
                let source = try target(from, path + ".rename.from")
                steps.append(.rename(source, try target(to, path + ".rename.to")))
            case .copy(let from, let to):
                guard !from.isEmpty else {
                    throw MappingError(keyPath: path + ".copy.from", message: "the field name is empty")
                }
                let into = try target(to, path + ".copy.to")
                if let value = added[from], let json = value.jsonText {
                    steps.append(constant(into, value, json: json))
                } else {
                    steps.append(.copy(names.intern(from), into))
                }
            case .remove(let fields):
                for (number, field) in fields.enumerated() {
                    steps.append(.remove(try target(field, "\(path).remove[\(number)]")))
                }
            case .convert(let field, let conversion):
                steps.append(.convert(try target(field, path + ".convert.field"), conversion))
            case .lowercase(let fields):
                for (number, field) in fields.enumerated() {
                    steps.append(.lowercase(try target(field, "\(path).lowercase[\(number)]")))
                }
            case .keepLine(let field):
                steps.append(.keepLine(try target(field, path + ".keepLine")))
            case .mask(let field, let rule):
                let into = try target(field, path + ".mask.field")
                steps.append(.mask(into, try ValueMask(rule, keyPath: path + ".mask")))
            case .hash(let field, let rule):
                let into = try target(field, path + ".hash.field")
                guard (1...64).contains(rule.length) else {
                    let message = "must be 1 to 64 hex digits, found \(rule.length)"
                    throw MappingError(keyPath: path + ".hash.length", message: message)
                }
                let key = rule.key.map { Array($0.utf8) }
                steps.append(.hash(into, ValueDigest(key: key, hexLength: rule.length)))
            case .timestamp(let rule):
                let path = path + ".timestamp"
                let field = try target(rule.field, path + ".field")
                let into = try target(rule.target, path + ".target")
                let errorField = try rule.errorField.map { name throws(MappingError) in
                    try target(name, path + ".errorField")
                }
                steps.append(.timestamp(try TimestampStep(
                    rule, keyPath: path, field: field, target: into, errorField: errorField
                )))
            }
        }
        return FieldOperations(steps: steps, invalidUTF8: invalidUTF8)
    }

    /// The step that sets `field` to `value`: a string as text, anything else as its JSON.
    private static func constant(_ field: Int, _ value: FieldValue, json: [UInt8]) -> Step {
        if case .string(let text) = value { return .constant(field, Array(text.utf8), isText: true) }
        return .constant(field, json, isText: false)
    }
}
