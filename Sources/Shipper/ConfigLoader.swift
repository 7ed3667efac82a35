import AtomBase
import AtomSDK
import Glibc
import LogTail
import StreamMapping

/// Reads a JSON5 config file and validates it into a `ShipperConfig`, reporting every problem
/// with its key path. Relative paths in it are taken from the config file's folder.
public enum ConfigLoader {
    /// A file path option that may be left out (`fallback`) but not given empty.
    static func nonEmptyPath(_ m: Members?, _ keyPath: String, default fallback: String,
                             walker w: inout ConfigWalker) -> String {
        let key = String(keyPath.split(separator: ".").last ?? "")
        guard let path = w.string(m, key) else { return fallback }
        if path.isEmpty { w.fail(keyPath, "the path is empty (leave the key out for \(fallback))") }
        return path.isEmpty ? fallback : path
    }

    /// `tracker.batchBytes` when the config does not say: four times the Atom SDKs' 64 KiB, and
    /// half the most a request may carry, since its body (`data` escaped once more) can be up to
    /// twice as long.
    static let defaultBatchBytes = 256 * 1024
    /// `tracker.batchSize` when the config does not say: twice the SDKs' 500, so that batches of
    /// ordinary log events (a few hundred bytes each) are cut by bytes; each request has a cost of
    /// its own (about 100 µs of CPU on loopback, measured), whatever it carries.
    static let defaultBatchSize = 1000
    /// `tracker.backlogBytes` when the config does not say: four default batches, two in flight
    /// and two ready. Memory stays flat with input size only if the bound is small beside what
    /// the shipper needs anyway (about 16 MB resident): the backlog fills whenever delivery is
    /// slower than reading (a disk throttling writeback, an endpoint down), and then it is all
    /// resident. 4 MiB (the SDK's default) measured +27 % peak RSS on a 2.2 GB file.
    static let defaultBacklogBytes = 1 << 20
    static let topKeys = ["atom", "output", "tracker", "checkpoints", "deadLetter", "log", "shutdownTimeoutMs",
                          "inputs", "metrics", "tests"]
    static let inputKeys = ["name", "paths", "exclude", "startAt", "fingerprintBytes", "maxLineBytes",
                            "readBufferBytes", "rescanIntervalMs", "rotateIdleMs", "partialLineTimeoutMs",
                            "gzipSettleMs", "parser", "addFields", "fields", "routes", "stream", "authKey",
                            "parseErrorField", "parseErrorStream", "invalidUTF8", "multiline", "container",
                            "metadata"] + followKeys

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
        let atomKeys = ["endpoint", "authKey", "authKeyFile", "connectTimeoutMs", "requestTimeoutMs", "caBundle",
                        "insecure", "gzip"]
        let atom = w.object(top["atom"], at: "atom", allowed: atomKeys)
        var defaultKey = w.string(atom, "authKey").flatMap { $0.isEmpty ? nil : $0 }
        if let keyFile = w.string(atom, "authKeyFile").map(resolve) {
            if defaultKey != nil {
                w.fail("atom.authKeyFile", "give atom.authKey or atom.authKeyFile, not both")
            }
            switch readSecret(keyFile) {
            case .success(let key): defaultKey = key
            case .failure(let problem): w.fail("atom.authKeyFile", problem.message)
            }
        }
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
        let output = w.object(top["output"], at: "output", allowed: ["directory"] + rotationKeys)
        if case .files = destination, let directory = w.string(output, "directory") {
            destination = .files(directory: resolve(directory))
        }
        let outputRotation = readRotation(output, walker: &w)

        // Tracker
        var tracker = TrackerOptions()
        let trackerKeys = ["batchSize", "batchBytes", "flushIntervalMs", "workers", "backlogBytes", "backlogEvents",
                           "retry"]
        let t = w.object(top["tracker"], at: "tracker", allowed: trackerKeys)
        tracker.batchSize = w.int(t, "batchSize", default: Self.defaultBatchSize, min: 1, max: 100_000)
        tracker.batchBytes = w.int(t, "batchBytes", default: Self.defaultBatchBytes, min: 1024,
                                   max: TrackerOptions.maxBatchBytes)
        tracker.flushInterval = w.millis(t, "flushIntervalMs", defaultSeconds: 10, min: 1)
        tracker.workers = w.int(t, "workers", default: 2, min: 1, max: 64)
        tracker.backlogBytes = w.int(t, "backlogBytes", default: Self.defaultBacklogBytes, min: 1 << 16)
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

        let c = w.object(top["checkpoints"], at: "checkpoints", allowed: ["path", "commitIntervalMs", "onCorrupt"])
        let checkpointPath = resolve(nonEmptyPath(c, "checkpoints.path", default: "data/checkpoints.sqlite",
                                                  walker: &w))
        let commitInterval = w.millis(c, "commitIntervalMs", defaultSeconds: 1)
        let onCorrupt = CorruptPolicy(rawValue: w.choice(c, "onCorrupt", CorruptPolicy.allCases.map(\.rawValue),
                                                         default: "refuse")) ?? .refuse
        let d = w.object(top["deadLetter"], at: "deadLetter", allowed: ["path"] + rotationKeys)
        let deadLetterPath = resolve(nonEmptyPath(d, "deadLetter.path", default: "data/dead-letter.jsonl",
                                                  walker: &w))
        let deadLetterRotation = readRotation(d, walker: &w)
        let l = w.object(top["log"], at: "log", allowed: ["level", "format"])
        let level = LogLevel(name: w.choice(l, "level", ["debug", "info", "warn", "warning", "error"],
                                            default: "info")) ?? .info
        let format: Logger.Format = w.choice(l, "format", ["text", "json"], default: "text") == "json" ? .json : .text
        let shutdownTimeout = w.millis(top, "shutdownTimeoutMs", defaultSeconds: 30)
        let metrics = w.object(top["metrics"], at: "metrics", allowed: ["path", "intervalMs"])
        let metricsPath = w.string(metrics, "path").flatMap { $0.isEmpty ? nil : resolve($0) }
        let metricsInterval = w.millis(metrics, "intervalMs", defaultSeconds: 5, min: 100)

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
                guard var input = readInput(item, at: path, walker: &w, resolve: resolve, defaultKey: defaultKey)
                else { continue }
                input.source = .array([item, .string(defaultKey ?? "")])
                if !names.insert(input.name).inserted {
                    w.fail("\(path).name", "another input is already named '\(input.name)'")
                }
                inputs.append(input)
            }
        case let other?:
            w.fail("inputs", "expected a list of inputs, found \(other.kindName)")
        }

        let tests = readTests(top["tests"], inputs: inputs, walker: &w)

        guard w.problems.isEmpty else { throw ConfigError(file: file, problems: w.problems) }
        var config = ShipperConfig(file: file, destination: destination, tracker: tracker,
                                   checkpointPath: checkpointPath, commitInterval: commitInterval,
                                   onCorrupt: onCorrupt, deadLetterPath: deadLetterPath, logLevel: level,
                                   logFormat: format, shutdownTimeout: shutdownTimeout, inputs: inputs,
                                   warnings: w.warnings)
        config.outputRotation = outputRotation
        config.deadLetterRotation = deadLetterRotation
        // The tests run only in `check`: a reload that changes them changes nothing that runs.
        config.settings = .object(top.members.filter { $0.key != "inputs" && $0.key != "tests" })
        config.tests = tests
        config.metricsPath = metricsPath
        config.metricsInterval = metricsInterval
        return config
    }

    struct SecretProblem: Error { var message: String }

    /// Reads a key from a file that only its owner may read (mode 0600 or 0400); the trailing
    /// line feed is not part of the key. The message never contains the file's content.
    static func readSecret(_ path: String) -> Result<String, SecretProblem> {
        let st: FileStat
        do {
            st = try Sys.stat(path: path)
        } catch {
            return .failure(SecretProblem(message: "\(path): \(error.message)"))
        }
        guard st.isRegular else { return .failure(SecretProblem(message: "\(path) is not a regular file")) }
        if st.mode & 0o077 != 0 {
            let mode = String(st.mode & 0o777, radix: 8)
            return .failure(SecretProblem(message: "\(path) can be read by group or others (mode \(mode)); "
                                          + "a key file must be readable by its owner only: chmod 600 it"))
        }
        let bytes: [UInt8]
        do {
            bytes = try Sys.readFile(path)
        } catch {
            return .failure(SecretProblem(message: "\(path): \(error.message)"))
        }
        var text = String(decoding: bytes, as: UTF8.self)
        while let last = text.last, last == "\n" || last == "\r" { text.removeLast() }
        guard !text.isEmpty else { return .failure(SecretProblem(message: "\(path) is empty")) }
        return .success(text)
    }

    static func validURL(_ text: String) -> String? {
        let lower = text.lowercased()
        guard let scheme = ["http://", "https://"].first(where: { lower.hasPrefix($0) }) else { return nil }
        let rest = text.dropFirst(scheme.count)
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !host.isEmpty, !host.contains(" "), !host.hasPrefix(":") else { return nil }
        return text.hasSuffix("/") ? text : text + "/"
    }

    static func globMatchesAnything(_ pattern: String) -> Bool { TailOptions.anyFileMatches(pattern) }
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
