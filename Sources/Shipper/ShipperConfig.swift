import AtomBase
import AtomSDK
import LogTail
import StreamMapping

/// A validated configuration, every path absolute.
public struct ShipperConfig: Sendable {
    /// Where events go: an Atom endpoint over HTTP, or JSON-lines files (the default).
    public enum Destination: Sendable {
        case atom(endpoint: String, http: HTTPOptions)
        case files(directory: String)
    }

    public struct Input: Sendable {
        public var tail: TailOptions
        public var mapping: MappingSpec
        public var name: String { tail.input }
        /// The input as written in the config, with the default key it inherits: a reload keeps
        /// an input running when this is unchanged.
        public var source: ConfigValue = .null
    }

    public var file: String
    public var destination: Destination
    public var tracker: TrackerOptions
    public var checkpointPath: String
    public var commitInterval: Double
    /// What to do when the checkpoint database is found damaged at start-up.
    public var onCorrupt: CorruptPolicy
    public var deadLetterPath: String
    /// How the dead-letter file is rotated (`deadLetter.maxFileBytes`, `maxTotalBytes`).
    public var deadLetterRotation = FileRotation.none
    /// How each stream's output file is rotated when delivering to files (`output.maxFileBytes`...).
    public var outputRotation = FileRotation.none
    public var logLevel: LogLevel
    public var logFormat: Logger.Format
    /// Seconds a graceful stop waits for in-flight batches.
    public var shutdownTimeout: Double
    public var inputs: [Input]
    /// Problems that do not stop the shipper (a glob that matches nothing yet).
    public var warnings: [ConfigProblem]
    /// Where the Prometheus text-format metrics file is written (none: not written), and how often.
    public var metricsPath: String?
    public var metricsInterval: Double = 5
    /// Every top-level setting but the inputs and tests, as written: a reload cannot change these.
    public var settings: ConfigValue = .null
    /// The `tests` section: lines and the events they should make, run by `atom-shipper check`.
    public var tests: [ConfigTest] = []
}
