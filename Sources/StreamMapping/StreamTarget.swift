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
