/// Where an event came from, as fields: each is opt-in, under the name given (nil: left out).
public struct MetadataSpec: Sendable, Equatable {
    /// The host name (the same on every event).
    public var host: String?
    /// The file's path when the line was read (its current name after a rename).
    public var path: String?
    /// The input's name (the same on every event).
    public var input: String?
    /// Byte offset of the event's first line in its file (decompressed offset for gzip).
    public var offset: String?
    /// When the line was read, as ISO 8601 UTC with milliseconds.
    public var ingestTime: String?
    /// `<file fingerprint>-<offset>`: the same for the same line whatever the file's name, its
    /// compression or restarts, so that a receiver can drop the repeats a crash allows.
    public var eventID: String?

    /// The values of the constant fields.
    public var hostName = ""
    public var inputName = ""

    public init() {}

    /// Whether any field is asked for.
    public var isEmpty: Bool {
        host == nil && path == nil && input == nil && offset == nil && ingestTime == nil && eventID == nil
    }

    /// Whether any field varies from event to event (all but host and input).
    public var hasPerEventFields: Bool {
        path != nil || offset != nil || ingestTime != nil || eventID != nil
    }
}
