import AtomBase
import CCrypto

/// The Atom wire format as pure functions: request bodies and their HMAC.
///
/// A bulk body is `{"table":S,"data":D,"auth":H,"bulk":true}` where D is the JSON array text of
/// the events' JSON *strings*; `auth` is the lowercase hex HMAC-SHA256 of D's UTF-8 bytes under
/// the stream key, left out when there is no key. Bodies are written straight into bytes.
public enum AtomWire {
    /// Lowercase hex HMAC-SHA256 of `data` under `key` (OpenSSL `HMAC` with `EVP_sha256`).
    public static func hmacSHA256Hex(key: String, data: UnsafeRawBufferPointer) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        var keyBytes = Array(key.utf8)
        if keyBytes.isEmpty { keyBytes.append(0) }  // a valid pointer; the length below stays 0
        var empty: UInt8 = 0
        keyBytes.withUnsafeBytes { keyRaw in
            digest.withUnsafeMutableBufferPointer { out in
                let dataPointer = data.baseAddress?.assumingMemoryBound(to: UInt8.self)
                withUnsafeMutablePointer(to: &empty) { fallback in
                    _ = HMAC(EVP_sha256(), keyRaw.baseAddress, Int32(key.utf8.count),
                             dataPointer ?? UnsafePointer(fallback), data.count, out.baseAddress, &length)
                }
            }
        }
        return hex(digest.prefix(Int(length)))
    }

    /// The body of a single-event request: `{"table":S,"data":D,"auth":H}` with D = `data` as given.
    public static func singleBody(stream: String, data: String, authKey: String?) -> [UInt8] {
        let out = ByteBuffer(capacity: data.utf8.count * 2 + 128)
        var copy = data
        copy.withUTF8 { appendBody(stream: stream, data: UnsafeRawBufferPointer($0), authKey: authKey,
                                   bulk: false, to: out) }
        return out.array
    }

    /// The body of a bulk request for `events` (each one JSON text, sent as given).
    public static func bulkBody(stream: String, events: [String], authKey: String?) -> [UInt8] {
        let out = ByteBuffer()
        bulkBody(EventBatch(stream: stream, authKey: authKey, events: events), into: out)
        return out.array
    }

    /// Appends the bulk request body for `batch` to `out`: the hot path of the HTTP transport.
    public static func bulkBody(_ batch: EventBatch, into out: ByteBuffer) {
        bulkBody(batch, into: out, scratch: ByteBuffer(capacity: batch.dataBytes + 16))
    }

    /// As `bulkBody(_:into:)`, building D in `scratch` (cleared first) so a caller can reuse it.
    static func bulkBody(_ batch: EventBatch, into out: ByteBuffer, scratch: ByteBuffer) {
        // The body holds D escaped once more. Rather than escaping D (dense with the first
        // escaping's backslashes), each event is escaped twice in one pass; D itself is built
        // only when its HMAC is needed.
        out.append(string: "{\"table\":")
        JSON.appendQuoted(batch.stream, to: out)
        out.append(string: ",\"data\":\"[")
        for index in 0..<batch.count {
            out.append(string: index == 0 ? "\\\"" : "\\\",\\\"")
            JSON.appendDoubleEscaped(batch.event(at: index), to: out)
        }
        out.append(string: batch.count == 0 ? "]\"" : "\\\"]\"")
        if let authKey = batch.authKey, !authKey.isEmpty {
            scratch.removeAll()
            appendData(batch, to: scratch)
            out.append(string: ",\"auth\":\"")
            out.append(string: hmacSHA256Hex(key: authKey, data: scratch.bytes))
            out.append(UInt8(ascii: "\""))
        }
        out.append(string: ",\"bulk\":true}")
    }

    /// Appends D for `batch`: `[` + each event escaped once as a JSON string, comma separated + `]`
    /// (the `data` string of its bulk request, which its `auth` signs).
    public static func appendData(_ batch: EventBatch, to out: ByteBuffer) {
        out.reserve(batch.dataBytes)
        out.append(UInt8(ascii: "["))
        for index in 0..<batch.count {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            JSON.appendEscaped(batch.event(at: index), to: out)
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "]"))
    }

    /// D for `batch` as text (what the error callback reports as sent).
    static func dataText(_ batch: EventBatch) -> String {
        let out = ByteBuffer(capacity: batch.dataBytes + 16)
        appendData(batch, to: out)
        return out.string
    }

    /// Appends `{"table":S,"data":<D escaped>[,"auth":H][,"bulk":true]}`.
    static func appendBody(stream: String, data: UnsafeRawBufferPointer, authKey: String?, bulk: Bool,
                           to out: ByteBuffer) {
        out.append(string: "{\"table\":")
        JSON.appendQuoted(stream, to: out)
        out.append(string: ",\"data\":\"")
        JSON.appendEscaped(data, to: out)
        out.append(UInt8(ascii: "\""))
        if let authKey, !authKey.isEmpty {
            out.append(string: ",\"auth\":\"")
            out.append(string: hmacSHA256Hex(key: authKey, data: data))
            out.append(UInt8(ascii: "\""))
        }
        if bulk { out.append(string: ",\"bulk\":true") }
        out.append(UInt8(ascii: "}"))
    }

    /// Length of `bytes` once escaped by `JSON.appendEscaped` (invalid UTF-8 replaced), without
    /// the quotes. Mirrors that function byte for byte so batch sizes are exact.
    static func escapedLength(_ bytes: UnsafeRawBufferPointer) -> Int {
        JSON.escapedLength(bytes)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func hex(_ bytes: some Collection<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
