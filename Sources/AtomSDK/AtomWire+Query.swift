extension AtomWire {
    private static let base64Alphabet: [UInt8] =
        Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 (RFC 4648, with padding) of `bytes`.
    public static func base64(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
                | UInt32(bytes[index + 2])
            appendSextets(value, count: 4, to: &out)
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            appendSextets(UInt32(bytes[index]) << 16, count: 2, to: &out)
            out.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "=")])
        } else if rest == 2 {
            appendSextets(UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8, count: 3, to: &out)
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendSextets(_ value: UInt32, count: Int, to out: inout [UInt8]) {
        for shift in [18, 12, 6, 0].prefix(count) {
            out.append(base64Alphabet[Int((value >> UInt32(shift)) & 0x3F)])
        }
    }

    /// The query string of a GET request: `data=` + the body's base64, percent-encoded.
    static func getQuery(body: [UInt8]) -> String {
        var query = "data="
        for scalar in base64(body).unicodeScalars {
            switch scalar {
            case "+": query += "%2B"
            case "/": query += "%2F"
            case "=": query += "%3D"
            default: query.unicodeScalars.append(scalar)
            }
        }
        return query
    }
}
