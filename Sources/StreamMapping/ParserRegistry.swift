import Synchronization

/// Parsers that a mapping can name (`ParserSpec.custom`), each made by a factory from its options.
public final class ParserRegistry: Sendable {
    /// Makes a parser from the options in the mapping; throws for options it cannot use.
    public typealias Factory = @Sendable ([String: FieldValue]) throws(MappingError) -> any Parser

    private let factories = Mutex<[String: Factory]>([:])

    /// The registry that `EventMapper` uses unless it is given another; it starts with the
    /// built-in parsers registered (see `registerBuiltIns()`).
    public static let shared: ParserRegistry = {
        let registry = ParserRegistry()
        registry.registerBuiltIns()
        return registry
    }()

    /// Creates an empty registry.
    public init() {}

    /// Registers `make` under `name`, replacing any parser registered under that name before.
    public func register(
        _ name: String,
        _ make: @escaping @Sendable ([String: FieldValue]) throws(MappingError) -> any Parser
    ) {
        factories.withLock { $0[name] = make }
    }

    /// The names registered, sorted.
    public var names: [String] { factories.withLock { $0.keys.sorted() } }

    /// Makes the parser registered as `name`.
    ///
    /// - Throws: `MappingError` at `parser.name` when nothing is registered under `name`, or the
    ///   factory's own error (its key path placed under `parser.options`).
    func make(_ name: String, options: [String: FieldValue]) throws(MappingError) -> any Parser {
        guard let factory = factories.withLock({ $0[name] }) else {
            let known = names.isEmpty ? "none" : names.joined(separator: ", ")
            throw MappingError(
                keyPath: "parser.name",
                message: "no parser is registered as \"\(name)\" (registered: \(known))"
            )
        }
        do {
            return try factory(options)
        } catch {
            let path = error.keyPath.isEmpty ? "parser.options" : "parser.options.\(error.keyPath)"
            throw MappingError(keyPath: path, message: error.message)
        }
    }
}
