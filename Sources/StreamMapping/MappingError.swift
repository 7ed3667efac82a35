/// A mapping that cannot work, with the key path of the part at fault.
public struct MappingError: Error, Sendable, CustomStringConvertible {
    /// Where the problem is, e.g. `parser.pattern` or `routes[1].when.matches`.
    public var keyPath: String
    /// What is wrong, e.g. `regex does not compile at offset 5: missing closing parenthesis`.
    public var message: String

    /// Creates an error for the part at `keyPath`.
    public init(keyPath: String, message: String) {
        self.keyPath = keyPath
        self.message = message
    }

    /// `keyPath: message`.
    public var description: String { "\(keyPath): \(message)" }
}
