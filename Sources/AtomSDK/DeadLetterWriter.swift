import AtomBase
import Glibc

/// Appends batches that could not be delivered to a JSON-lines file, one line per batch:
/// `{"time":"ISO8601","stream":S,"status":N|null,"message":M,"events":[<events as-is>]}`.
///
/// Raw CR and LF bytes inside an event (only legal as JSON whitespace) become spaces, so each
/// batch stays on one line. With a `FileRotation` the file is rotated by size (`FILE.1` newest,
/// `FILE.2`...); rotated files deleted to keep the total bound are logged as warnings, since
/// their batches are lost.
public final class DeadLetterWriter: Sendable {
    /// The file written to.
    public let path: String
    /// How the file is rotated.
    public var rotation: FileRotation { file.rotation }
    private let file: AppendFile
    private let logger: Logger

    /// Opens (creating with mode 0600, and its parent folders) the dead-letter file.
    /// - Parameters:
    ///   - rotation: when the file is rotated and old ones deleted (none by default).
    ///   - logger: receives the rotated files deleted to keep `rotation.maxTotalBytes`.
    /// - Throws: `SystemError` when the folder or the file cannot be created.
    public init(path: String, rotation: FileRotation = .none, logger: Logger = .disabled) throws(SystemError) {
        try Sys.makeDirectories(Path.directory(of: path))
        self.path = path
        self.logger = logger
        file = try AppendFile(path: path, mode: 0o600, rotation: rotation, logger: logger, role: "dead-letter file")
    }

    /// The files this writer has written that still exist: the rotated ones oldest first, then
    /// the live file (the order in which to replay them).
    public var files: [String] {
        FileRotation.rotatedFiles(of: path).reversed() + (Path.exists(path) ? [path] : [])
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
        for deleted in try file.append(line.bytes) {
            logger.warning("rotated dead-letter file deleted to keep the total size; its batches are lost",
                           ["path": deleted.path, "bytes": String(deleted.bytes)])
        }
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
