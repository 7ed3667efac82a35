/// A problem in the configuration, named by its key path (`inputs[0].parser.pattern`).
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    public var keyPath: String
    public var message: String

    public init(_ keyPath: String, _ message: String) {
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String { keyPath.isEmpty ? message : "\(keyPath): \(message)" }
}

/// Everything wrong with a configuration file, each problem on its own line.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var problems: [ConfigProblem]

    public var description: String {
        var text = "\(file): \(problems.count) problem\(problems.count == 1 ? "" : "s")"
        for problem in problems { text += "\n  \(problem)" }
        return text
    }
}
