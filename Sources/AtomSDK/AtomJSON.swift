import AtomBase

/// Why a value could not be written as JSON.
public struct AtomJSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong, with the key path where known (`items[2].price: ...`).
    public let message: String

    /// An error with its message.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// JSON text for event data given as a dictionary or an `Encodable` value, written without
/// Foundation: compact, object keys of structs in their encoding order, dictionary keys sorted
/// (so equal values give equal text), numbers as Swift prints them (shortest round trip).
/// Non-finite numbers are errors.
public enum AtomJSON {
    /// The JSON text of `value`.
    /// - Throws: `AtomJSONError` for a non-finite number or an encoding the value itself throws.
    public static func encode<T: Encodable>(_ value: T) throws(AtomJSONError) -> String {
        try build { try JSONTreeEncoder.encode(value, into: $0, path: []) }
    }

    /// The JSON text of `dictionary`, whose values may be `String`, `Bool`, integers, `Double`,
    /// `Float`, nil, arrays and dictionaries of these, or any `Encodable` value.
    /// - Throws: `AtomJSONError` naming the key path of a value of no JSON type.
    public static func encode(dictionary: [String: Any]) throws(AtomJSONError) -> String {
        try build { try JSONTreeEncoder.encodeAny(dictionary, into: $0, path: []) }
    }

    /// Runs `fill` on a root slot and writes the tree it built.
    private static func build(_ fill: (JSONSlot) throws -> Void) throws(AtomJSONError) -> String {
        let slot = JSONSlot()
        do {
            try fill(slot)
        } catch let error as AtomJSONError {
            throw error
        } catch {
            throw AtomJSONError("\(error)")
        }
        let out = ByteBuffer(capacity: 256)
        write(slot.node, to: out)
        return out.string
    }

    private static func write(_ node: JSONNode, to out: ByteBuffer) {
        switch node {
        case .null: out.append(string: "null")
        case .bool(let value): out.append(string: value ? "true" : "false")
        case .number(let text): out.append(string: text)
        case .string(let text): JSON.appendQuoted(text, to: out)
        case .array(let box):
            out.append(UInt8(ascii: "["))
            for (index, item) in box.items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(item.node, to: out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let box):
            out.append(UInt8(ascii: "{"))
            let keys = box.sorted ? box.keys.sorted() : box.keys
            for (index, key) in keys.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSON.appendQuoted(key, to: out)
                out.append(UInt8(ascii: ":"))
                write(box.slots[key]?.node ?? .null, to: out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}

/// A JSON value being built; containers are boxes so that encoders fill them in place.
enum JSONNode {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array(JSONArrayBox)
    case object(JSONObjectBox)
}

/// Where one value goes: the root, an array element or an object member.
final class JSONSlot {
    var node: JSONNode = .null
}

final class JSONArrayBox {
    var items: [JSONSlot] = []

    func append() -> JSONSlot {
        let slot = JSONSlot()
        items.append(slot)
        return slot
    }
}

final class JSONObjectBox {
    private(set) var keys: [String] = []
    private(set) var slots: [String: JSONSlot] = [:]
    /// Keys are written sorted (a dictionary's), rather than in encoding order (a struct's).
    var sorted = false

    /// The slot of `key`, replacing what an earlier encoding of the same key wrote.
    func slot(_ key: String) -> JSONSlot {
        let slot = JSONSlot()
        if slots.updateValue(slot, forKey: key) == nil { keys.append(key) }
        return slot
    }
}
