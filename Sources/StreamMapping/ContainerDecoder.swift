import AtomBase
import Glibc

/// Takes one container log line out of its envelope (`ContainerSpec.Format`).
///
/// Not thread-safe: an unescaped Docker message is written into a buffer reused from line to line.
final class ContainerDecoder {
    /// One line's content.
    struct Line {
        /// The message, without the runtime's newline: a slice of the line (`inLine`) or of the
        /// decoder's buffer, valid until the next `decode`.
        var message: UnsafeRawBufferPointer
        var inLine: Bool
        /// `stdout` or `stderr` as written (empty when the envelope has none).
        var stream: UnsafeRawBufferPointer
        var time: UnsafeRawBufferPointer
        /// The first part of a line whose next part follows on a later line of the same stream.
        var partial: Bool
    }

    let format: ContainerSpec.Format
    private let unescaped = ByteBuffer(capacity: 4096)
    /// Why the last `decode` returned nil.
    private(set) var failure = ""

    init(format: ContainerSpec.Format) {
        self.format = format
    }

    /// The content of `line`, or nil (with `failure` set) when it is not in the format.
    func decode(_ line: UnsafeRawBufferPointer) -> Line? {
        guard let base = line.baseAddress?.assumingMemoryBound(to: UInt8.self), !line.isEmpty else {
            failure = "empty line where a \(format.rawValue) log line was expected"
            return nil
        }
        switch format {
        case .docker: return decodeDocker(base, line.count)
        case .cri: return decodeCRI(base, line.count)
        }
    }

    // MARK: - CRI

    /// `TIME SP STREAM SP TAG SP message`; the tag is `P` (partial) or `F`, possibly followed by
    /// more `:`-separated tags.
    private func decodeCRI(_ p: UnsafePointer<UInt8>, _ n: Int) -> Line? {
        // The three spaces after the time, the stream and the tag; the message may be empty,
        // with or without the space before it.
        var space = (-1, -1, n)
        var i = 0
        while i < n {
            if p[i] == 0x20 {
                if space.0 < 0 {
                    space.0 = i
                } else if space.1 < 0 {
                    space.1 = i
                } else {
                    space.2 = i
                    break
                }
            }
            i += 1
        }
        guard space.0 > 0, space.1 > space.0 + 1, space.2 > space.1 + 1 else {
            failure = "not a CRI log line (TIME STREAM P|F message)"
            return nil
        }
        let tag = p[space.1 + 1]
        guard tag == UInt8(ascii: "P") || tag == UInt8(ascii: "F"),
              space.1 + 2 == space.2 || p[space.1 + 2] == UInt8(ascii: ":") else {
            failure = "CRI log line with a tag other than P or F"
            return nil
        }
        let messageStart = min(space.2 + 1, n)
        return Line(
            message: UnsafeRawBufferPointer(start: p + messageStart, count: n - messageStart), inLine: true,
            stream: UnsafeRawBufferPointer(start: p + space.0 + 1, count: space.1 - space.0 - 1),
            time: UnsafeRawBufferPointer(start: p, count: space.0),
            partial: tag == UInt8(ascii: "P"))
    }

    // MARK: - Docker json-file

    private func decodeDocker(_ p: UnsafePointer<UInt8>, _ n: Int) -> Line? {
        var scanner = EnvelopeScanner(p: p, n: n)
        guard let members = scanner.scan() else {
            failure = "not a Docker json-file line: " + scanner.failure
            return nil
        }
        let (stream, time) = (members.stream, members.time)
        guard let log = members.log else {
            failure = "Docker json-file line without a \"log\" string"
            return nil
        }
        func raw(_ range: EnvelopeScanner.StringRange?) -> UnsafeRawBufferPointer {
            guard let range else { return UnsafeRawBufferPointer(start: p, count: 0) }
            return UnsafeRawBufferPointer(start: p + range.start, count: range.count)
        }
        var line = Line(message: raw(log), inLine: true, stream: raw(stream), time: raw(time), partial: true)
        if !log.escaped { return line }

        // Most messages hold no escape but their final `\n`: the slice before it is the message.
        let newline = Self.trailingNewlineEscape(p + log.start, log.count)
        if newline > 0, !Self.containsBackslash(p + log.start, log.count - newline) {
            line.message = UnsafeRawBufferPointer(start: p + log.start, count: log.count - newline)
            line.partial = false
            return line
        }
        guard unescape(p + log.start, log.count) else {
            failure = "Docker json-file line with a bad escape in \"log\""
            return nil
        }
        var end = unescaped.count
        if end > 0 && unescaped.base[end - 1] == 0x0A {
            end -= 1
            if end > 0 && unescaped.base[end - 1] == 0x0D { end -= 1 }
            line.partial = false
        }
        line.message = UnsafeRawBufferPointer(start: unescaped.base, count: end)
        line.inLine = false
        return line
    }

    /// The length of a final `\n` (2) or `\r\n` (4) escape in raw string bytes, else 0.
    /// The caller checks that no other backslash precedes it, which also rules out an escaped
    /// backslash followed by the letter (`\\n`).
    private static func trailingNewlineEscape(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        guard n >= 2, p[n - 2] == 0x5C, p[n - 1] == UInt8(ascii: "n") else { return 0 }
        if n >= 4, p[n - 4] == 0x5C, p[n - 3] == UInt8(ascii: "r") { return 4 }
        return 2
    }

    private static func containsBackslash(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        guard n > 0 else { return false }
        return memchr(p, 0x5C, n) != nil
    }

    /// Unescapes JSON string bytes into `unescaped`; false on a bad escape.
    private func unescape(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        unescaped.removeAll()
        var i = 0
        while i < n {
            let b = p[i]
            guard b == 0x5C else {
                unescaped.append(b)
                i += 1
                continue
            }
            guard i + 1 < n else { return false }
            switch p[i + 1] {
            case UInt8(ascii: "\""): unescaped.append(0x22)
            case UInt8(ascii: "\\"): unescaped.append(0x5C)
            case UInt8(ascii: "/"): unescaped.append(0x2F)
            case UInt8(ascii: "b"): unescaped.append(0x08)
            case UInt8(ascii: "f"): unescaped.append(0x0C)
            case UInt8(ascii: "n"): unescaped.append(0x0A)
            case UInt8(ascii: "r"): unescaped.append(0x0D)
            case UInt8(ascii: "t"): unescaped.append(0x09)
            case UInt8(ascii: "u"):
                guard let consumed = appendUnicodeEscape(p + i, n - i) else { return false }
                i += consumed
                continue
            default: return false
            }
            i += 2
        }
        return true
    }

    /// Writes the code point of a `\u` escape (four hex digits; a surrogate pair takes two escapes) as UTF-8; returns
    /// the bytes consumed. A lone surrogate becomes U+FFFD.
    private func appendUnicodeEscape(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
        func hex4(_ q: UnsafePointer<UInt8>) -> UInt32? {
            var value: UInt32 = 0
            for k in 0..<4 {
                guard let digit = JSONScanner.hexValue(q[k]) else { return nil }
                value = value << 4 | UInt32(digit)
            }
            return value
        }
        guard n >= 6, let high = hex4(p + 2) else { return nil }
        var scalar = high
        var consumed = 6
        if (0xD800..<0xDC00).contains(high) {
            if n >= 12, p[6] == 0x5C, p[7] == UInt8(ascii: "u"), let low = hex4(p + 8),
               (0xDC00..<0xE000).contains(low) {
                scalar = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                consumed = 12
            } else {
                scalar = 0xFFFD
            }
        } else if (0xDC00..<0xE000).contains(high) {
            scalar = 0xFFFD
        }
        appendUTF8(scalar)
        return consumed
    }

    private func appendUTF8(_ scalar: UInt32) {
        UTF8Repair.encode(scalar) { unescaped.append($0) }
    }
}
