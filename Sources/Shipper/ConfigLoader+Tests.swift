import AtomBase
import LogTail

/// One item of the config's `tests`: lines for one input and the events they should make.
public struct ConfigTest: Sendable {
    /// One event the lines should make, in order.
    public struct Expectation: Sendable {
        /// The stream, or nil when the event should be dropped (by a route, or by the json
        /// parser's `nonObject: drop`).
        public var stream: String?
        /// The event as a JSON value (`.null` for a drop).
        public var event: ConfigValue
    }

    /// Where the test is in the config: `tests[3]`.
    public var keyPath: String
    public var name: String?
    /// The input whose mapping the lines go through.
    public var input: String
    public var lines: [String]
    public var expect: [Expectation]
}

extension ConfigLoader {
    static let testKeys = ["name", "input", "lines", "expect"]
    static let expectationKeys = ["stream", "event", "drop"]

    /// The top-level `tests`: `[{ name, input, lines: [...], expect: [{ stream, event } | { drop: true }] }]`.
    /// `input` may be left out when the config has one input.
    static func readTests(_ value: ConfigValue?, inputs: [ShipperConfig.Input],
                          walker w: inout ConfigWalker) -> [ConfigTest] {
        guard let value else { return [] }
        guard case .array(let items) = value else {
            w.fail("tests", "expected a list of tests such as [{ lines: [\"...\"], expect: [...] }], "
                   + "found \(value.kindName)")
            return []
        }
        return items.enumerated().compactMap { index, item in
            readTest(item, at: "tests[\(index)]", inputs: inputs, walker: &w)
        }
    }

    private static func readTest(_ value: ConfigValue, at path: String, inputs: [ShipperConfig.Input],
                                 walker w: inout ConfigWalker) -> ConfigTest? {
        guard let m = w.object(value, at: path, allowed: testKeys) else { return nil }
        let name = w.string(m, "name")
        let names = inputs.map(\.name).joined(separator: ", ")
        var input: ShipperConfig.Input?
        if let inputName = w.string(m, "input") {
            input = inputs.first { $0.name == inputName }
            if input == nil { w.fail("\(path).input", "no input is named '\(inputName)' (the inputs are \(names))") }
        } else if inputs.count == 1 {
            input = inputs.first
        } else if !inputs.isEmpty {
            w.fail("\(path).input", "missing: the config has \(inputs.count) inputs (\(names)); name the one to test")
        }

        var lines: [String] = []
        switch m["lines"] {
        case nil:
            w.fail("\(path).lines", "missing: list the lines to map")
        case .array(let items)?:
            if items.isEmpty { w.fail("\(path).lines", "the list is empty: list the lines to map") }
            for (i, item) in items.enumerated() {
                guard case .string = item else {
                    w.fail("\(path).lines[\(i)]", "expected a string, found \(item.kindName)")
                    continue
                }
                if let line = w.string(item, at: "\(path).lines[\(i)]") { lines.append(line) }
            }
        case let other?:
            w.fail("\(path).lines", "expected a list of strings, found \(other.kindName)")
        }
        if let input, input.tail.encoding == .latin1 {
            for (i, line) in lines.enumerated() where line.unicodeScalars.contains(where: { $0.value > 0xFF }) {
                w.fail("\(path).lines[\(i)]", "has a character beyond U+00FF, which the input's latin-1 cannot hold")
            }
        }

        var expect: [ConfigTest.Expectation] = []
        switch m["expect"] {
        case nil:
            w.fail("\(path).expect", "missing: list the events the lines make ({ drop: true } for a dropped one)")
        case .array(let items)?:
            if items.isEmpty {
                w.fail("\(path).expect", "the list is empty: list the events the lines make "
                       + "({ drop: true } for a dropped one)")
            }
            for (i, item) in items.enumerated() {
                if let one = readExpectation(item, at: "\(path).expect[\(i)]", walker: &w) { expect.append(one) }
            }
        case let other?:
            w.fail("\(path).expect", "expected a list of events, found \(other.kindName)")
        }
        guard let input else { return nil }
        return ConfigTest(keyPath: path, name: name, input: input.name, lines: lines, expect: expect)
    }

    /// `{ stream: "name", event: { ... } }` or `{ drop: true }`.
    private static func readExpectation(_ value: ConfigValue, at path: String,
                                        walker w: inout ConfigWalker) -> ConfigTest.Expectation? {
        guard let m = w.object(value, at: path, allowed: expectationKeys) else { return nil }
        if w.bool(m, "drop", default: false) {
            for key in ["stream", "event"] where m[key] != nil {
                w.fail("\(path).\(key)", "a dropped event has no \(key): give drop: true alone")
            }
            return ConfigTest.Expectation(stream: nil, event: .null)
        }
        let stream = w.string(m, "stream")
        if m["stream"] == nil {
            w.fail("\(path).stream", "missing: the stream the event goes to (or drop: true)")
        } else if stream?.isEmpty == true {
            w.fail("\(path).stream", "the stream name is empty")
        }
        var event: ConfigValue?
        switch m["event"] {
        case nil:
            w.fail("\(path).event", "missing: the event as a JSON object")
        case .object?:
            event = expanded(m["event"] ?? .null, at: "\(path).event", walker: &w)
        case let other?:
            w.fail("\(path).event", "expected an object (the event), found \(other.kindName)")
        }
        guard let stream, let event else { return nil }
        return ConfigTest.Expectation(stream: stream, event: event)
    }

    /// `value` with `${VAR}` expanded in every string, as everywhere else in the config.
    private static func expanded(_ value: ConfigValue, at path: String, walker w: inout ConfigWalker) -> ConfigValue {
        switch value {
        case .string(let text):
            return .string(w.expand(text, at: path) ?? text)
        case .array(let items):
            return .array(items.enumerated().map { expanded($1, at: "\(path)[\($0)]", walker: &w) })
        case .object(let members):
            return .object(members.map { ($0.key, expanded($0.value, at: "\(path).\($0.key)", walker: &w)) })
        default:
            return value
        }
    }
}
