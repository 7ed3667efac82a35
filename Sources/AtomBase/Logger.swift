import Glibc
import Synchronization

/// Severity of a log message.
public enum LogLevel: Int, Comparable, Sendable, CaseIterable {
    case debug = 0, info, warning, error

    public var name: String {
        switch self {
        case .debug: "debug"
        case .info: "info"
        case .warning: "warn"
        case .error: "error"
        }
    }

    public init?(name: String) {
        switch name.lowercased() {
        case "debug": self = .debug
        case "info": self = .info
        case "warn", "warning": self = .warning
        case "error": self = .error
        default: return nil
        }
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// A structured logger: a fixed message sentence plus key/value fields (path, stream, offset,
/// error). Libraries take one by injection; `Logger.disabled` writes nothing.
///
/// Lines go to one file descriptor (stderr by default) in one `write` each, as text
/// (`2026-12-04T17:28:27.123Z info file opened path=/var/log/app.log offset=0`) or JSON lines.
public final class Logger: Sendable {
    public enum Format: Sendable { case text, json }

    public let level: LogLevel
    public let format: Format
    private let fd: Int32
    private let capture: Mutex<[String]?>

    public init(level: LogLevel = .info, format: Format = .text, fd: Int32 = 2, captureLines: Bool = false) {
        self.level = level
        self.format = format
        self.fd = fd
        self.capture = Mutex(captureLines ? [] : nil)
    }

    /// A logger that drops everything.
    public static let disabled = Logger(level: .error, fd: -1)

    /// Lines written so far, when created with `captureLines` (for tests).
    public var capturedLines: [String] { capture.withLock { $0 ?? [] } }

    @inline(__always)
    public func enabled(_ l: LogLevel) -> Bool { l >= level && (fd >= 0 || capture.withLock { $0 != nil }) }

    public func debug(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.debug, message, fields) }
    public func info(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.info, message, fields) }
    public func warning(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.warning, message, fields) }
    public func error(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.error, message, fields) }

    public func log(_ l: LogLevel, _ message: String, _ fields: KeyValuePairs<String, String>) {
        guard l >= level else { return }
        let line = render(l, message, fields)
        capture.withLock { lines in lines?.append(line) }
        guard fd >= 0 else { return }
        var bytes = line + "\n"
        bytes.withUTF8 { raw in _ = try? Sys.writeAll(fd, UnsafeRawBufferPointer(raw)) }
    }

    private func render(_ l: LogLevel, _ message: String, _ fields: KeyValuePairs<String, String>) -> String {
        let time = Clock.iso8601(Clock.unixTime())
        switch format {
        case .text:
            var line = "\(time) \(l.name) \(message)"
            for (key, value) in fields {
                line += " \(key)="
                line += Logger.needsQuoting(value) ? JSON.quoted(value) : value
            }
            return line
        case .json:
            var line = "{\"time\":\"\(time)\",\"level\":\"\(l.name)\",\"msg\":\(JSON.quoted(message))"
            for (key, value) in fields { line += ",\(JSON.quoted(key)):\(JSON.quoted(value))" }
            return line + "}"
        }
    }

    private static func needsQuoting(_ value: String) -> Bool {
        value.isEmpty || value.utf8.contains { $0 <= 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "=") }
    }
}
