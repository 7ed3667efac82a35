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
    /// The field's text is a number (a JSON number, or one with a leading `+`: `404`, `-1.5`,
    /// `2e3`) that stands in `comparison` to `value`. False when the text is not a number.
    case compare(field: String, Comparison, Double)
    /// Every condition holds; true for an empty list.
    case all([Condition])
    /// At least one condition holds; false for an empty list.
    case any([Condition])
    /// The condition does not hold.
    case not(Condition)

    /// The field's text differs from `value`, or the event lacks the field: `not(equals)`.
    public static func notEquals(field: String, value: String) -> Condition {
        .not(.equals(field: field, value: value))
    }
}

/// How a field's number must stand to a condition's value.
public enum Comparison: String, Sendable, CaseIterable {
    /// Less than.
    case lt
    /// Less than or equal.
    case lte
    /// Greater than.
    case gt
    /// Greater than or equal.
    case gte
}
