/// An `Encoder` that builds a `JSONNode` tree in a slot (the Foundation-free core of `AtomJSON`).
final class JSONTreeEncoder: Encoder {
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    private let slot: JSONSlot

    init(slot: JSONSlot, codingPath: [any CodingKey]) {
        self.slot = slot
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let box: JSONObjectBox
        if case .object(let existing) = slot.node {
            box = existing
        } else {
            box = JSONObjectBox()
            slot.node = .object(box)
        }
        return KeyedEncodingContainer(JSONKeyedWriter<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let box: JSONArrayBox
        if case .array(let existing) = slot.node {
            box = existing
        } else {
            box = JSONArrayBox()
            slot.node = .array(box)
        }
        return JSONUnkeyedWriter(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        JSONSingleWriter(slot: slot, codingPath: codingPath)
    }

    // MARK: Values

    /// Writes `value` into `slot`: JSON scalars directly, dictionaries with sorted keys, anything
    /// else through its own `encode(to:)`.
    static func encode<T: Encodable>(_ value: T, into slot: JSONSlot, path: [any CodingKey]) throws {
        switch value {
        case let text as String: slot.node = .string(text)
        case let flag as Bool: slot.node = .bool(flag)
        case let number as Double: slot.node = try .number(finite(number, path))
        case let number as Float: slot.node = try .number(finite(Double(number), path, text: String(number)))
        case let number as any BinaryInteger: slot.node = .number(String(describing: number))
        case let dictionary as [String: any Encodable]:
            let box = JSONObjectBox()
            box.sorted = true
            slot.node = .object(box)
            for (key, member) in dictionary {
                try encode(member, into: box.slot(key), path: path + [JSONKey(key)])
            }
        default:
            try value.encode(to: JSONTreeEncoder(slot: slot, codingPath: path))
        }
    }

    /// Writes a value of `[String: Any]` (see `AtomJSON.encode(dictionary:)`).
    static func encodeAny(_ value: Any, into slot: JSONSlot, path: [any CodingKey]) throws {
        if let optional = value as? any OptionalValue, optional.isNil {
            slot.node = .null
            return
        }
        switch value {
        case let dictionary as [String: Any]:
            let box = JSONObjectBox()
            box.sorted = true
            slot.node = .object(box)
            for (key, member) in dictionary {
                try encodeAny(member, into: box.slot(key), path: path + [JSONKey(key)])
            }
        case let array as [Any]:
            let box = JSONArrayBox()
            slot.node = .array(box)
            for (index, element) in array.enumerated() {
                try encodeAny(element, into: box.append(), path: path + [JSONKey(index)])
            }
        case let encodable as any Encodable:
            try encode(encodable, into: slot, path: path)
        default:
            throw AtomJSONError("\(describe(path)): a value of type \(type(of: value)) has no JSON form")
        }
    }

    static func finite(_ number: Double, _ path: [any CodingKey], text: String? = nil) throws -> String {
        guard number.isFinite else {
            throw AtomJSONError("\(describe(path)): \(number) is not a finite number")
        }
        return text ?? String(number)
    }

    /// `items[2].price`, or `the value` at the root.
    static func describe(_ path: [any CodingKey]) -> String {
        guard !path.isEmpty else { return "the value" }
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return text
    }
}

/// Lets `encodeAny` see a nil inside `Any`.
protocol OptionalValue {
    var isNil: Bool { get }
}

extension Optional: OptionalValue {
    var isNil: Bool { self == nil }
}

/// A coding key for dictionary members and array positions.
struct JSONKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(_ string: String) {
        stringValue = string
        intValue = nil
    }

    init(_ index: Int) {
        stringValue = String(index)
        intValue = index
    }

    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { self.init(intValue) }
}

struct JSONKeyedWriter<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: JSONObjectBox
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws {
        box.slot(key.stringValue).node = .null
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try JSONTreeEncoder.encode(value, into: box.slot(key.stringValue), path: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type,
                                                        forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        JSONTreeEncoder(slot: box.slot(key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        JSONTreeEncoder(slot: box.slot(key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        JSONTreeEncoder(slot: box.slot("super"), codingPath: codingPath + [JSONKey("super")])
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        JSONTreeEncoder(slot: box.slot(key.stringValue), codingPath: codingPath + [key])
    }
}

struct JSONUnkeyedWriter: UnkeyedEncodingContainer {
    let box: JSONArrayBox
    let codingPath: [any CodingKey]

    var count: Int { box.items.count }

    private var nextPath: [any CodingKey] { codingPath + [JSONKey(box.items.count)] }

    mutating func encodeNil() throws {
        box.append().node = .null
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let path = nextPath
        try JSONTreeEncoder.encode(value, into: box.append(), path: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey> {
        let path = nextPath
        return JSONTreeEncoder(slot: box.append(), codingPath: path).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = nextPath
        return JSONTreeEncoder(slot: box.append(), codingPath: path).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let path = nextPath
        return JSONTreeEncoder(slot: box.append(), codingPath: path)
    }
}

struct JSONSingleWriter: SingleValueEncodingContainer {
    let slot: JSONSlot
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws {
        slot.node = .null
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try JSONTreeEncoder.encode(value, into: slot, path: codingPath)
    }
}
