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

/// A destination an event can be routed to: a stream name with the key that signs its batches.
public struct StreamTarget: Sendable, Equatable {
    /// The stream (Atom table) name.
    public let name: String
    /// The HMAC key, or nil to send unsigned.
    public let authKey: String?

    /// Creates a target.
    public init(name: String, authKey: String?) {
        self.name = name
        self.authKey = authKey
    }
}
