import AtomBase
import Glibc

/// Appends batches that could not be delivered to a JSON-lines file, one line per batch:
/// `{"time":"ISO8601","stream":S,"status":N|null,"message":M,"events":[<events as-is>]}`.
///
/// Raw CR and LF bytes inside an event (only legal as JSON whitespace) become spaces, so each
/// batch stays on one line.
public final class DeadLetterWriter: Sendable {
    /// The file written to.
    public let path: String
    private let file: AppendFile

    /// Opens (creating with mode 0600, and its parent folders) the dead-letter file.
    /// - Throws: `SystemError` when the folder or the file cannot be created.
    public init(path: String) throws(SystemError) {
        try Sys.makeDirectories(Path.directory(of: path))
        self.path = path
        file = try AppendFile(path: path, mode: 0o600)
    }

    /// Writes one line for the events of `events`.
    /// - Parameters:
    ///   - status: the HTTP status that condemned the batch, nil when there was none.
    ///   - message: why the batch was not delivered.
    public func write(stream: String, status: Int?, message: String,
                      events: EventBatch) throws(SystemError) {
        let line = ByteBuffer(capacity: events.byteCount + message.utf8.count + 128)
        appendHead(stream: stream, status: status, message: message, to: line)
        for index in 0..<events.count {
            if index > 0 { line.append(UInt8(ascii: ",")) }
            appendEvent(events.event(at: index), to: line)
        }
        line.append(string: "]}\n")
        try file.append(line.bytes)
    }

    /// Writes one line for `events`, each a JSON text.
    public func write(stream: String, status: Int?, message: String, events: [String]) throws(SystemError) {
        try write(stream: stream, status: status, message: message,
                  events: EventBatch(stream: stream, authKey: nil, events: events))
    }

    private func appendHead(stream: String, status: Int?, message: String, to line: ByteBuffer) {
        line.append(string: "{\"time\":\"")
        line.append(string: Clock.iso8601(Clock.unixTime()))
        line.append(string: "\",\"stream\":")
        JSON.appendQuoted(stream, to: line)
        line.append(string: ",\"status\":")
        if let status { line.append(decimal: Int64(status)) } else { line.append(string: "null") }
        line.append(string: ",\"message\":")
        JSON.appendQuoted(message, to: line)
        line.append(string: ",\"events\":[")
    }

    private func appendEvent(_ event: UnsafeRawBufferPointer, to line: ByteBuffer) {
        if event.isEmpty {
            line.append(string: "null")
            return
        }
        let start = line.count
        line.append(event)
        for index in start..<line.count where line.base[index] == 0x0A || line.base[index] == 0x0D {
            line.base[index] = 0x20
        }
    }
}
