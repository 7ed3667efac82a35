import AtomBase

extension EventMapper {
    /// A field whose value comes from outside the event's text: the container envelope, or where
    /// the event was read. The mapping writes the ones its spec names, after the parsed fields
    /// and before the added ones; they win over parsed fields of the same name, and routes see
    /// them.
    public enum SourceField: Int, CaseIterable, Sendable {
        case containerStream, containerTime, path, offset, ingestTime, eventID
    }

    /// Whether the mapping writes `field` (its spec names it).
    public func writes(_ field: SourceField) -> Bool {
        sourceFields.contains { $0.slot == field.rawValue }
    }

    /// Sets `field`'s text for the events routed from now on, until it is set again or cleared.
    public func setSource(_ field: SourceField, text: UnsafeRawBufferPointer) {
        sourceValues.set(field.rawValue, text, json: false)
    }

    /// Sets `field`'s text (see `setSource(_:text:)`).
    public func setSource(_ field: SourceField, text: String) {
        var copy = text
        copy.withUTF8 { sourceValues.set(field.rawValue, UnsafeRawBufferPointer($0), json: false) }
    }

    /// Sets `field` to a number (see `setSource(_:text:)`).
    public func setSource(_ field: SourceField, number: Int64) {
        sourceValues.setDecimal(field.rawValue, number)
    }

    /// Leaves `field` out of the events routed from now on, until it is set again.
    public func clearSource(_ field: SourceField) {
        sourceValues.isSet[field.rawValue] = false
    }

    /// Routes `line` as the event of a line the parser never saw because it was rejected before
    /// (a container line that is not in the container's format): `{"message": line,
    /// "<parseErrorField>": reason}`, counted as a parse failure. Then `encode(into:)` writes it.
    public func routeRejected(_ line: UnsafeRawBufferPointer, reason: String) -> Int? {
        explainRejected(line, reason: reason).target
    }

    /// Why the parser rejected the line last routed, or nil when it took it.
    public var failureReason: String? { record.pointee.failure }

    /// `routeRejected(_:reason:)`, with what `explain(_:)` tells.
    public func explainRejected(_ line: UnsafeRawBufferPointer, reason: String) -> RoutingDecision {
        record.pointee.reset(line: line)
        record.pointee.failure = reason
        replaceWithFailure(line)
        return finish(line, failed: true).public
    }

    /// Puts the source values into the record, where routes read them.
    func applySourceValues() {
        for source in sourceFields where sourceValues.isSet[source.slot] {
            let value = sourceValues.buffers[source.slot].bytes
            if sourceValues.isJSON[source.slot] {
                record.pointee.set(FieldID(index: source.field), json: value)
            } else {
                record.pointee.set(FieldID(index: source.field), text: value)
            }
        }
    }

    /// Writes the source values as members after what `previous` says was written last; returns
    /// what was written last after them.
    func appendSourceFields(after previous: Previous, to out: ByteBuffer) -> Previous {
        var last = previous
        for source in sourceFields where sourceValues.isSet[source.slot] {
            if last == .string { out.append(UInt8(ascii: "\"")) }
            source.member.withUnsafeBytes { member in
                let skip = last == .none ? 1 : 0
                out.append(UnsafeRawBufferPointer(rebasing: member[skip...]))
            }
            let value = sourceValues.buffers[source.slot].bytes
            if sourceValues.isJSON[source.slot] {
                out.append(value)
                last = .json
            } else {
                out.append(UInt8(ascii: "\""))
                _ = JSON.appendEscaped(value, to: out, invalid: invalidUTF8)
                last = .string
            }
        }
        return last
    }

    /// The config key of each `SourceField`, in order.
    static let sourceFieldPaths = ["container.streamField", "container.timeField", "metadata.path",
                                   "metadata.offset", "metadata.ingestTime", "metadata.eventId"]

    /// The field name of each `SourceField` the spec asks for (nil where it does not), after
    /// checking that no two fields the mapping writes itself share a name.
    static func sourceFieldNames(_ spec: MappingSpec) throws(MappingError) -> [String?] {
        let metadata = spec.metadata
        var names = [String?](repeating: nil, count: SourceField.allCases.count)
        names[SourceField.containerStream.rawValue] = spec.container?.streamField
        names[SourceField.containerTime.rawValue] = spec.container?.timeField
        names[SourceField.path.rawValue] = metadata.path
        names[SourceField.offset.rawValue] = metadata.offset
        names[SourceField.ingestTime.rawValue] = metadata.ingestTime
        names[SourceField.eventID.rawValue] = metadata.eventID

        let paths = sourceFieldPaths
        var taken: [String: String] = [:]
        for (index, (name, _)) in spec.addFields.enumerated() { taken[name] = "addFields[\(index)]" }
        let all = zip(paths, names).map { ($0, $1) } + [("metadata.host", metadata.host),
                                                        ("metadata.input", metadata.input)]
        for (path, name) in all {
            guard let name else { continue }
            guard !name.isEmpty else { throw MappingError(keyPath: path, message: "the field name is empty") }
            if let other = taken[name] {
                throw MappingError(keyPath: path, message: "field \"\(name)\" is also written by \(other)")
            }
            taken[name] = path
        }
        return names
    }

    /// Each source field's name with the key that asks for it, for operations that would write it.
    static func sourceFieldOwners(_ names: [String?]) -> [String: String] {
        var owners: [String: String] = [:]
        for (path, name) in zip(sourceFieldPaths, names) { if let name { owners[name] = path } }
        return owners
    }

    /// The metadata fields that are the same on every event, as added fields.
    static func metadataConstants(_ metadata: MetadataSpec) -> [(String, FieldValue)] {
        var constants: [(String, FieldValue)] = []
        if let host = metadata.host { constants.append((host, .string(metadata.hostName))) }
        if let input = metadata.input { constants.append((input, .string(metadata.inputName))) }
        return constants
    }
}

/// The source values of the next event, one reused buffer per `EventMapper.SourceField`.
final class SourceValues {
    let buffers = EventMapper.SourceField.allCases.map { _ in ByteBuffer(capacity: 64) }
    var isSet = [Bool](repeating: false, count: EventMapper.SourceField.allCases.count)
    var isJSON = [Bool](repeating: false, count: EventMapper.SourceField.allCases.count)

    func set(_ slot: Int, _ value: UnsafeRawBufferPointer, json: Bool) {
        buffers[slot].removeAll()
        buffers[slot].append(value)
        isSet[slot] = true
        isJSON[slot] = json
    }

    func setDecimal(_ slot: Int, _ value: Int64) {
        buffers[slot].removeAll()
        buffers[slot].append(decimal: value)
        isSet[slot] = true
        isJSON[slot] = true
    }
}
