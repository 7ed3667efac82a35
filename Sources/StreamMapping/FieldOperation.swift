/// One change to an event's fields, applied after parsing and before routing, in the order the
/// mapping lists them (so a later operation and the routes see what an earlier one did).
///
/// Operations read and write top-level fields. One on a field the event lacks does nothing. A
/// field of `addFields` can be read (its constant text) but not written: it wins anyway.
public enum FieldOperation: Sendable, Equatable {
    /// Sets `field` to a constant (replacing any value it had).
    case add(field: String, value: FieldValue)
    /// Sets `field` to text built from a template: `{name}` stands for that field's text (a
    /// string's characters, another value's JSON text), `{{` and `}}` for single braces. When a
    /// field the template names is missing, `field` is left as it was.
    case set(field: String, template: String)
    /// Gives the value of `from`, in its place, the name `to` (a value `to` had is dropped).
    case rename(from: String, to: String)
    /// Sets `to` to the value of `from`.
    case copy(from: String, to: String)
    /// Removes the fields.
    case remove(fields: [String])
    /// Converts the value to a type (`int`, `float`, `bool`) or to a string, as the parsers'
    /// `types` do; a value that does not convert follows the conversion's policy.
    case convert(field: String, ValueConversion)
    /// Lowercases string values (other values are left as they are).
    case lowercase(fields: [String])
    /// Sets `field` to the whole line, as read (the original, before any operation).
    case keepLine(field: String)
    /// Hides part of a value; the result is a string.
    case mask(field: String, MaskRule)
    /// Replaces a value by its SHA-256 (or, with a key, HMAC-SHA256) in lowercase hex.
    case hash(field: String, HashRule)
    /// Reads a time in one of several formats into one canonical field.
    case timestamp(TimestampRule)
}

/// How `FieldOperation.mask` hides a value.
public enum MaskRule: Sendable, Equatable {
    /// Keeps the first `prefix` and the last `suffix` characters and writes `with` in place of
    /// each other character (`4111111111111111`, suffix 4, `*`: `************1111`).
    case keep(prefix: Int, suffix: Int, with: String)
    /// Replaces every match of the PCRE2 `pattern` with `replacement`, where `$1`, `${1}` and
    /// `${name}` stand for a group's text and `$$` for a dollar sign.
    case replace(pattern: String, replacement: String)
}

/// How `FieldOperation.hash` digests a value.
public struct HashRule: Sendable, Equatable {
    /// The HMAC key; nil hashes with plain SHA-256 (which anyone can repeat over every IPv4
    /// address, so a key is what protects such values).
    public var key: String?
    /// Hex digits kept, from the start (1 to 64).
    public var length: Int

    /// Creates a rule; `length` 64 keeps the whole digest.
    public init(key: String? = nil, length: Int = 64) {
        self.key = key
        self.length = length
    }
}
