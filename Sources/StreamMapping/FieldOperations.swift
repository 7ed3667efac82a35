import AtomBase

/// A mapping's field operations, compiled: run on each record after parsing and before routing.
///
/// Values an operation builds go through one reused buffer into the record's scratch bytes, so
/// after warm-up an operation costs no allocation (except `lowercase` on a value with non-ASCII
/// letters, which goes through `String`). One per mapper; not thread-safe.
final class FieldOperations {
    enum Step {
        /// Set a field to a constant: its JSON text, or a string's bytes.
        case constant(Int, [UInt8], isText: Bool)
        case template(Int, FieldTemplate)
        case rename(Int, Int)
        case copy(Int, Int)
        case remove(Int)
        case convert(Int, ValueConversion)
        case lowercase(Int)
        case keepLine(Int)
        case mask(Int, ValueMask)
        case hash(Int, ValueDigest)
        case timestamp(TimestampStep)
    }

    let steps: [Step]
    let invalidUTF8: JSON.InvalidUTF8
    /// Where a new value is built before it is copied into the record.
    let value = ByteBuffer(capacity: 1024)
    /// The ids of a JSON line's keys, when its members become fields (see `explodeObject`).
    let keys: UnsafeMutablePointer<FieldKeyCache>

    init(steps: [Step], invalidUTF8: JSON.InvalidUTF8) {
        self.steps = steps
        self.invalidUTF8 = invalidUTF8
        keys = .allocate(capacity: 1)
        keys.initialize(to: FieldKeyCache(limit: Self.maxJSONKeys))
    }

    deinit {
        keys.pointee.deallocate()
        keys.deinitialize(count: 1)
        keys.deallocate()
    }

    /// Readies `record` for the steps: a JSON line's members become fields of their own, so
    /// that the steps can change them. False (with `record.failure` set) when that fails.
    @inline(__always)
    func prepare(_ record: UnsafeMutablePointer<Record>) -> Bool {
        guard record.pointee.object != nil else { return true }
        return explodeObject(record)
    }

    /// Runs every step on `record`, in order.
    func apply(_ record: UnsafeMutablePointer<Record>) {
        for step in steps { run(step, record) }
    }

    @inline(__always)
    private func run(_ step: Step, _ record: UnsafeMutablePointer<Record>) {
        switch step {
        case .constant(let field, let bytes, let isText):
            bytes.withUnsafeBytes {
                if isText {
                    record.pointee.set(FieldID(index: field), text: $0)
                } else {
                    record.pointee.set(FieldID(index: field), json: $0)
                }
            }
        case .template(let field, let template):
            if template.render(record, into: value) { setValue(field, record) }
        case .rename(let from, let to):
            record.pointee.rename(field: from, to: to)
        case .copy(let from, let to):
            record.pointee.copy(field: from, to: to)
        case .remove(let field):
            record.pointee.remove(FieldID(index: field))
        case .convert(let field, let conversion):
            conversion.apply(toIndex: field, in: &record.pointee)
        case .lowercase(let field):
            guard record.pointee.isText(ofIndex: field) == true else { return }
            let changed = Record.withText(in: record, ofIndex: field) { lowercase($0) } ?? false
            if changed { setValue(field, record) }
        case .keepLine(let field):
            record.pointee.setLineText(field, 0, record.pointee.line.count)
        case .mask(let field, let mask):
            let masked = Record.withText(in: record, ofIndex: field) { text -> Bool in
                mask.apply(text, into: value)
                return true
            }
            if masked == true { setValue(field, record) }
        case .hash(let field, let digest):
            let hashed = Record.withText(in: record, ofIndex: field) { text -> Bool in
                value.removeAll()
                digest.append(digestOf: text, to: value)
                return true
            }
            if hashed == true { setValue(field, record) }
        case .timestamp(let step):
            applyTimestamp(step, record)
        }
    }

    /// Writes the canonical time into the step's target, or the reason into its error field.
    private func applyTimestamp(_ step: TimestampStep, _ record: UnsafeMutablePointer<Record>) {
        guard let outcome = Record.withText(in: record, ofIndex: step.field, { step.convert($0, into: value) })
        else { return }
        if let failure = outcome {
            guard let errorField = step.errorField else { return }
            let reason = Record.withText(in: record, ofIndex: step.field) { step.reason(failure, $0) } ?? ""
            record.pointee.set(FieldID(index: errorField), text: reason)
            return
        }
        if step.output == .rfc3339 {
            setValue(step.target, record)
        } else {
            record.pointee.set(FieldID(index: step.target), json: value.bytes)
        }
        if !step.keepOriginal && step.field != step.target {
            record.pointee.remove(FieldID(index: step.field))
        }
    }

    /// Sets `field` to the text built in `value`.
    @inline(__always)
    private func setValue(_ field: Int, _ record: UnsafeMutablePointer<Record>) {
        record.pointee.set(FieldID(index: field), text: value.bytes)
    }

    /// Writes `text` lowercased into `value`; false when it has no uppercase letter. ASCII is
    /// lowered byte by byte; text with other bytes goes through `String.lowercased()`.
    private func lowercase(_ text: UnsafeRawBufferPointer) -> Bool {
        var hasUpper = false
        for byte in text {
            if byte >= 0x80 {
                value.removeAll()
                value.append(string: String(decoding: text, as: UTF8.self).lowercased())
                return !value.bytes.elementsEqual(text)
            }
            if byte &- UInt8(ascii: "A") < 26 { hasUpper = true }
        }
        guard hasUpper else { return false }
        value.removeAll()
        value.reserve(text.count)
        for byte in text { value.append(byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte) }
        return true
    }
}
