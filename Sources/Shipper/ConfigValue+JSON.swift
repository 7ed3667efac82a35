import AtomBase

extension ConfigValue {
    /// The value as compact JSON text: keys in their order, numbers as written, strings escaped.
    /// Used to send again events read from a dead-letter file.
    public func appendJSON(to out: ByteBuffer) {
        switch self {
        case .string(let text):
            JSON.appendQuoted(text, to: out)
        case .number(let text):
            out.append(string: text)
        case .bool(let flag):
            out.append(string: flag ? "true" : "false")
        case .null:
            out.append(string: "null")
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.appendJSON(to: out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSON.appendQuoted(member.key, to: out)
                out.append(UInt8(ascii: ":"))
                member.value.appendJSON(to: out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    public var jsonText: String {
        let out = ByteBuffer(capacity: 256)
        appendJSON(to: out)
        return out.string
    }
}
