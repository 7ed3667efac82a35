/// A test on an event's fields, parsed and added alike, that decides a route.
///
/// A field's value is compared as text: a string by its characters (unescaped), a number or a
/// boolean by its JSON text, an object or array by its JSON text, null as `null`. A condition
/// on a field the event lacks is false, except under `not`.
public indirect enum Condition: Sendable, Equatable {
    /// The field's text equals `value` byte for byte.
    case equals(field: String, value: String)
    /// PCRE2 `pattern` matches somewhere in the field's text (unanchored unless the pattern
    /// anchors itself).
    case matches(field: String, pattern: String)
    /// The event has the field (with any value, null included).
    case exists(field: String)
    /// Every condition holds; true for an empty list.
    case all([Condition])
    /// At least one condition holds; false for an empty list.
    case any([Condition])
    /// The condition does not hold.
    case not(Condition)
}
