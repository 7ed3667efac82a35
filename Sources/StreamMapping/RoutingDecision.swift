/// What a mapping did with one line (`EventMapper.explain(_:)`).
public struct RoutingDecision: Sendable, Equatable {
    /// The index into `EventMapper.streams`, or nil when a drop route matched.
    public var target: Int?
    /// The index of the route that matched, or nil when none did (the default stream, or the
    /// parse-error stream for a line the parser rejected).
    public var route: Int?
    /// Whether the parser rejected the line (the event is the line and the reason).
    public var parseFailed: Bool

    /// Creates a decision (for comparing with one `explain(_:)` returned).
    public init(target: Int?, route: Int?, parseFailed: Bool) {
        self.target = target
        self.route = route
        self.parseFailed = parseFailed
    }
}
