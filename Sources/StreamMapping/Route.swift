/// One routing rule: events that meet `when` go to `stream`, or are dropped.
public struct Route: Sendable, Equatable {
    /// The condition; nil matches every event.
    public var when: Condition?
    /// The stream (Atom table) to send to; nil only when `drop` is true.
    public var stream: String?
    /// The stream's HMAC key; nil falls back to the mapping's `defaultAuthKey`.
    public var authKey: String?
    /// Drops matching events on purpose (they count as settled, never sent).
    public var drop: Bool

    /// Creates a rule; see the properties for what each part means.
    public init(when: Condition?, stream: String?, authKey: String? = nil, drop: Bool = false) {
        self.when = when
        self.stream = stream
        self.authKey = authKey
        self.drop = drop
    }
}
