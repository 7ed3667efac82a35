/// A container runtime's log file format, unwrapped before multiline grouping and parsing: each
/// line's message is taken out of its envelope, partial lines are joined, and the envelope's
/// stream and time are kept as fields.
public struct ContainerSpec: Sendable, Equatable {
    public enum Format: String, Sendable, Equatable, CaseIterable {
        /// Docker's json-file driver: `{"log":"text\n","stream":"stdout","time":"..."}`; a `log`
        /// without its final newline is the first part of a line continued by the next.
        case docker
        /// The Kubernetes CRI format: `TIME STREAM TAG message`, where the tag `P` marks a part of
        /// a line continued by the next one of the same stream, and `F` its last part.
        case cri
    }

    public var format: Format
    /// The field for `stdout`/`stderr`; nil leaves it out.
    public var streamField: String? = "stream"
    /// The field for the runtime's timestamp, as written; nil leaves it out.
    public var timeField: String? = "time"
    /// Seconds the first parts of a line wait for the rest while the file is quiet; then they are
    /// emitted as they are.
    public var partialTimeout = 5.0
    /// A line joined from parts is emitted when it reaches this many bytes; the next part begins
    /// a new one.
    public var maxBytes = 1 << 20

    public init(format: Format) {
        self.format = format
    }
}
