import AtomBase
import AtomSDK
import Glibc
import LogTail
import StreamMapping

/// Reads a JSON5 config file and validates it into a `ShipperConfig`, reporting every problem
/// with its key path. Relative paths in it are taken from the config file's folder.
public enum ConfigLoader {
    static let topKeys = ["atom", "output", "tracker", "checkpoints", "deadLetter", "log", "shutdownTimeoutMs",
                          "inputs"]
    static let inputKeys = ["name", "paths", "exclude", "startAt", "fingerprintBytes", "maxLineBytes",
                            "readBufferBytes", "rescanIntervalMs", "rotateIdleMs", "partialLineTimeoutMs",
                            "gzipSettleMs", "parser", "addFields", "routes", "stream", "authKey",
                            "parseErrorField", "invalidUTF8"]

    /// Loads and validates `path`; throws `ConfigError` listing every problem.
    public static func load(path: String, environment: [String: String] = ProcessEnvironment.current)
        throws(ConfigError) -> ShipperConfig {
        let bytes: [UInt8]
        do {
            bytes = try Sys.readFile(path)
        } catch {
            throw ConfigError(file: path, problems: [ConfigProblem("", "cannot read the file: \(error.message)")])
        }
        let root: ConfigValue
        do {
            root = try JSON5Parser.parse(bytes)
        } catch {
            throw ConfigError(file: path, problems: [ConfigProblem("", "not valid JSON5: \(error)")])
        }
        return try validate(root, file: path, environment: environment)
    }

    /// Validates a parsed config.
    public static func validate(_ root: ConfigValue, file: String, environment: [String: String])
        throws(ConfigError) -> ShipperConfig {
        var w = ConfigWalker(environment: environment)
        let base = Path.directory(of: Path.absolute(file))
        func resolve(_ p: String) -> String { Path.absolute(p, base: base) }

        guard let top = w.object(root, at: "", allowed: topKeys) else {
            throw ConfigError(file: file, problems: w.problems.isEmpty
                              ? [ConfigProblem("", "the config must be an object")] : w.problems)
        }

        // Destination
        var destination = ShipperConfig.Destination.files(directory: resolve("out"))
        let atom = w.object(top["atom"], at: "atom", allowed: ["endpoint", "authKey", "connectTimeoutMs",
                                                                  "requestTimeoutMs", "caBundle", "insecure", "gzip"])
        let defaultKey = w.string(atom, "authKey").flatMap { $0.isEmpty ? nil : $0 }
        if let endpoint = w.string(atom, "endpoint"), !endpoint.isEmpty {
            var http = HTTPOptions()
            http.connectTimeout = w.millis(atom, "connectTimeoutMs", defaultSeconds: 10, min: 1)
            http.requestTimeout = w.millis(atom, "requestTimeoutMs", defaultSeconds: 30, min: 1)
            http.caBundle = w.string(atom, "caBundle").map(resolve)
            http.insecure = w.bool(atom, "insecure", default: false)
            http.gzip = w.bool(atom, "gzip", default: false)
            if let url = validURL(endpoint) {
                destination = .atom(endpoint: url, http: http)
            } else {
                w.fail("atom.endpoint", "'\(endpoint)' is not an http:// or https:// URL with a host")
            }
        }
        let output = w.object(top["output"], at: "output", allowed: ["directory"])
        if case .files = destination, let directory = w.string(output, "directory") {
            destination = .files(directory: resolve(directory))
        }

        // Tracker
        var tracker = TrackerOptions()
        let trackerKeys = ["batchSize", "batchBytes", "flushIntervalMs", "workers", "backlogBytes", "backlogEvents",
                           "retry"]
        let t = w.object(top["tracker"], at: "tracker", allowed: trackerKeys)
        tracker.batchSize = w.int(t, "batchSize", default: 500, min: 1, max: 100_000)
        tracker.batchBytes = w.int(t, "batchBytes", default: 64 * 1024, min: 1024, max: TrackerOptions.maxBatchBytes)
        tracker.flushInterval = w.millis(t, "flushIntervalMs", defaultSeconds: 10, min: 1)
        tracker.workers = w.int(t, "workers", default: 2, min: 1, max: 64)
        tracker.backlogBytes = w.int(t, "backlogBytes", default: 4 << 20, min: 1 << 16)
        tracker.backlogEvents = w.int(t, "backlogEvents", default: 500_000, min: 1)
        if let t {
            let r = w.object(t["retry"], at: "tracker.retry", allowed: ["forever", "maxCount", "maxTimeMs",
                                                                         "backoffBaseMs", "backoffMaxMs"])
            tracker.retryForever = w.bool(r, "forever", default: true)
            tracker.retryMaxCount = w.int(r, "maxCount", default: 10, min: 0)
            tracker.retryMaxTime = w.millis(r, "maxTimeMs", defaultSeconds: 1800)
            tracker.backoffBase = w.millis(r, "backoffBaseMs", defaultSeconds: 0.1)
            tracker.backoffMax = w.millis(r, "backoffMaxMs", defaultSeconds: 30)
        }

        let c = w.object(top["checkpoints"], at: "checkpoints", allowed: ["path", "commitIntervalMs"])
        let checkpointPath = resolve(w.string(c, "path") ?? "data/checkpoints.sqlite")
        let commitInterval = w.millis(c, "commitIntervalMs", defaultSeconds: 1)
        let d = w.object(top["deadLetter"], at: "deadLetter", allowed: ["path"])
        let deadLetterPath = resolve(w.string(d, "path") ?? "data/dead-letter.jsonl")
        let l = w.object(top["log"], at: "log", allowed: ["level", "format"])
        let level = LogLevel(name: w.choice(l, "level", ["debug", "info", "warn", "warning", "error"],
                                            default: "info")) ?? .info
        let format: Logger.Format = w.choice(l, "format", ["text", "json"], default: "text") == "json" ? .json : .text
        let shutdownTimeout = w.millis(top, "shutdownTimeoutMs", defaultSeconds: 30)

        // Inputs
        var inputs: [ShipperConfig.Input] = []
        switch top["inputs"] {
        case nil:
            w.fail("inputs", "missing: list at least one input")
        case .array(let items)?:
            if items.isEmpty { w.fail("inputs", "the list is empty: add at least one input") }
            var names = Set<String>()
            for (index, item) in items.enumerated() {
                let path = "inputs[\(index)]"
                guard let input = readInput(item, at: path, walker: &w, resolve: resolve, defaultKey: defaultKey)
                else { continue }
                if !names.insert(input.name).inserted {
                    w.fail("\(path).name", "another input is already named '\(input.name)'")
                }
                inputs.append(input)
            }
        case let other?:
            w.fail("inputs", "expected a list of inputs, found \(other.kindName)")
        }

        guard w.problems.isEmpty else { throw ConfigError(file: file, problems: w.problems) }
        return ShipperConfig(file: file, destination: destination, tracker: tracker, checkpointPath: checkpointPath,
                             commitInterval: commitInterval, deadLetterPath: deadLetterPath, logLevel: level,
                             logFormat: format, shutdownTimeout: shutdownTimeout, inputs: inputs,
                             warnings: w.warnings)
    }

    private static func readInput(_ value: ConfigValue, at path: String, walker w: inout ConfigWalker,
                                  resolve: (String) -> String, defaultKey: String?) -> ShipperConfig.Input? {
        guard let m = w.object(value, at: path, allowed: inputKeys) else { return nil }
        guard let name = w.string(m, "name"), !name.isEmpty else {
            w.fail("\(path).name", "missing: every input needs a name (checkpoints are kept per input)")
            return nil
        }
        let paths = w.strings(m, "paths").map(resolve)
        if paths.isEmpty { w.fail("\(path).paths", "missing or empty: list the files to read (glob patterns)") }
        for (i, pattern) in paths.enumerated() where !globMatchesAnything(pattern) {
            w.warn("\(path).paths[\(i)]", "'\(pattern)' matches no file yet; it is watched for files to appear")
        }
        var tail = TailOptions(input: name, paths: paths)
        tail.exclude = w.strings(m, "exclude")
        tail.startAt = TailOptions.StartAt(rawValue: w.choice(m, "startAt", ["beginning", "end"],
                                                             default: "beginning")) ?? .beginning
        tail.fingerprintBytes = w.int(m, "fingerprintBytes", default: 1024, min: 16, max: 1 << 20)
        tail.maxLineBytes = w.int(m, "maxLineBytes", default: 1 << 20, min: 64, max: 256 << 20)
        tail.readBufferBytes = w.int(m, "readBufferBytes", default: 256 << 10, min: 4096, max: 16 << 20)
        tail.rescanInterval = w.millis(m, "rescanIntervalMs", defaultSeconds: 1, min: 10)
        tail.rotateIdle = w.millis(m, "rotateIdleMs", defaultSeconds: 5)
        tail.partialLineTimeout = w.millis(m, "partialLineTimeoutMs", defaultSeconds: 5)
        tail.gzipSettle = w.millis(m, "gzipSettleMs", defaultSeconds: 10)

        let parser = readParser(m["parser"], at: "\(path).parser", walker: &w)
        let addFields = readFields(m["addFields"], at: "\(path).addFields", walker: &w)
        let stream = w.string(m, "stream") ?? name
        let authKey = w.string(m, "authKey").flatMap { $0.isEmpty ? nil : $0 } ?? defaultKey
        var routes: [Route] = []
        switch m["routes"] {
        case nil: break
        case .array(let items)?:
            for (i, item) in items.enumerated() {
                if let route = readRoute(item, at: "\(path).routes[\(i)]", walker: &w, defaultKey: authKey) {
                    routes.append(route)
                }
            }
        case let other?:
            w.fail("\(path).routes", "expected a list of routes, found \(other.kindName)")
        }
        var mapping = MappingSpec(parser: parser ?? .raw(field: "message"), addFields: addFields, routes: routes,
                                  defaultStream: stream, defaultAuthKey: authKey)
        mapping.parseErrorField = w.string(m, "parseErrorField") ?? "parse_error"
        mapping.invalidUTF8 = w.choice(m, "invalidUTF8", ["replace", "escape"], default: "replace") == "escape"
            ? .escape : .replace
        if parser != nil {
            // Compiling the mapping checks patterns and parser options now, not on the first line.
            do {
                _ = try EventMapper(spec: mapping)
            } catch {
                // A registered parser's options sit beside its type in the config.
                var keyPath = error.keyPath
                let options = "parser.options."
                if keyPath.hasPrefix(options) { keyPath = "parser." + keyPath.dropFirst(options.count) }
                var message = error.message
                if keyPath == "parser.name" {
                    keyPath = "parser.type"
                    message = "unknown parser type; the built-in ones are raw, json and regex"
                        + (ParserRegistry.shared.names.isEmpty ? "" : ", "
                           + ParserRegistry.shared.names.joined(separator: ", "))
                }
                w.fail("\(path).\(keyPath)", message)
            }
        }
        return ShipperConfig.Input(tail: tail, mapping: mapping)
    }

    private static func readParser(_ value: ConfigValue?, at path: String,
                                   walker w: inout ConfigWalker) -> ParserSpec? {
        guard let value else { return .raw(field: "message") }
        guard case .object(let members) = value else {
            w.fail(path, "expected an object such as { type: \"regex\", pattern: \"...\" }, found \(value.kindName)")
            return nil
        }
        let m = Members(path: path, members: members)
        guard let type = w.string(m, "type") else {
            w.fail("\(path).type", "missing: one of raw, json, regex, or a registered parser's name")
            return nil
        }
        switch type {
        case "raw":
            _ = w.object(value, at: path, allowed: ["type", "field"])
            return .raw(field: w.string(m, "field") ?? "message")
        case "json":
            _ = w.object(value, at: path, allowed: ["type"])
            return .json
        case "regex":
            _ = w.object(value, at: path, allowed: ["type", "pattern"])
            guard let pattern = w.string(m, "pattern"), !pattern.isEmpty else {
                w.fail("\(path).pattern", "missing: a regex parser needs a pattern with named groups")
                return nil
            }
            return .regex(pattern: pattern)
        default:
            var options: [String: FieldValue] = [:]
            for (key, item) in members where key != "type" {
                if let field = fieldValue(item, at: "\(path).\(key)", walker: &w) { options[key] = field }
            }
            return .custom(name: type, options: options)
        }
    }

    private static func readFields(_ value: ConfigValue?, at path: String, walker w: inout ConfigWalker)
        -> [(String, FieldValue)] {
        guard let value else { return [] }
        guard case .object(let members) = value else {
            w.fail(path, "expected an object of field names and values, found \(value.kindName)")
            return []
        }
        return members.compactMap { key, item in
            fieldValue(item, at: "\(path).\(key)", walker: &w).map { (key, $0) }
        }
    }

    private static func fieldValue(_ value: ConfigValue, at path: String, walker w: inout ConfigWalker) -> FieldValue? {
        switch value {
        case .string: return w.string(value, at: path).map(FieldValue.string)
        case .number(let text):
            if let i = Int64(text) { return .int(i) }
            return Double(text).map(FieldValue.double)
        case .bool(let b): return .bool(b)
        case .null: return .null
        default:
            w.fail(path, "expected a string, number, boolean or null, found \(value.kindName)")
            return nil
        }
    }

    private static func readRoute(_ value: ConfigValue, at path: String, walker w: inout ConfigWalker,
                                  defaultKey: String?) -> Route? {
        guard let m = w.object(value, at: path, allowed: ["when", "stream", "authKey", "drop"]) else { return nil }
        let condition = m["when"].flatMap { readCondition($0, at: "\(path).when", walker: &w) }
        let drop = w.bool(m, "drop", default: false)
        let stream = w.string(m, "stream")
        if drop && stream != nil { w.fail(path, "a route either drops or names a stream, not both") }
        if !drop && (stream ?? "").isEmpty { w.fail("\(path).stream", "missing: name the stream (or set drop: true)") }
        let authKey = w.string(m, "authKey").flatMap { $0.isEmpty ? nil : $0 } ?? defaultKey
        return Route(when: condition, stream: drop ? nil : stream, authKey: authKey, drop: drop)
    }

    private static func readCondition(_ value: ConfigValue, at path: String,
                                      walker w: inout ConfigWalker) -> Condition? {
        guard let m = w.object(value, at: path, allowed: ["field", "equals", "matches", "exists", "all", "any", "not"])
        else { return nil }
        func list(_ key: String) -> [Condition]? {
            guard let item = m[key] else { return nil }
            guard case .array(let items) = item else {
                w.fail("\(path).\(key)", "expected a list of conditions, found \(item.kindName)")
                return []
            }
            return items.enumerated().compactMap { readCondition($1, at: "\(path).\(key)[\($0)]", walker: &w) }
        }
        if let all = list("all") { return .all(all) }
        if let any = list("any") { return .any(any) }
        if let inner = m["not"] { return readCondition(inner, at: "\(path).not", walker: &w).map { .not($0) } }
        guard let field = w.string(m, "field") else {
            w.fail(path, "a condition needs a field (with equals, matches or exists), or all, any or not")
            return nil
        }
        if let equals = w.string(m, "equals") { return .equals(field: field, value: equals) }
        if let pattern = w.string(m, "matches") { return .matches(field: field, pattern: pattern) }
        if m["exists"] != nil {
            return w.bool(m, "exists", default: true) ? .exists(field: field) : .not(.exists(field: field))
        }
        w.fail(path, "the condition on '\(field)' needs equals, matches or exists")
        return nil
    }

    static func validURL(_ text: String) -> String? {
        let lower = text.lowercased()
        guard let scheme = ["http://", "https://"].first(where: { lower.hasPrefix($0) }) else { return nil }
        let rest = text.dropFirst(scheme.count)
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !host.isEmpty, !host.contains(" "), !host.hasPrefix(":") else { return nil }
        return text.hasSuffix("/") ? text : text + "/"
    }

    static func globMatchesAnything(_ pattern: String) -> Bool {
        var result = glob_t()
        defer { globfree(&result) }
        return glob(pattern, GLOB_NOSORT | GLOB_BRACE, nil, &result) == 0 && result.gl_pathc > 0
    }
}

/// The process environment as a dictionary (no Foundation).
public enum ProcessEnvironment {
    public static var current: [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}
