import AtomBase
import LogTail
import StreamMapping

extension ConfigLoader {
    /// The input keys of following files: descriptors, turns, rate, age, encoding, rotated files.
    static let followKeys = ["maxOpenFiles", "readBudgetBytes", "maxReadBytesPerSecond", "ignoreOlderThan",
                             "encoding", "rotatedMaxBytes", "rotatedMaxAgeMs"]

    /// One input: where its files are, how they are read, and its mapping.
    static func readInput(_ value: ConfigValue, at path: String, walker w: inout ConfigWalker,
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
        tail.rescanInterval = w.millis(m, "rescanIntervalMs", defaultSeconds: 60, min: 10)
        tail.rotateIdle = w.millis(m, "rotateIdleMs", defaultSeconds: 5)
        tail.partialLineTimeout = w.millis(m, "partialLineTimeoutMs", defaultSeconds: 5)
        tail.gzipSettle = w.millis(m, "gzipSettleMs", defaultSeconds: 10)
        tail.maxOpenFiles = w.int(m, "maxOpenFiles", default: 512, min: 1, max: 1 << 20)
        tail.readBudgetBytes = w.int(m, "readBudgetBytes", default: 1 << 20, min: 4096, max: 1 << 30)
        tail.maxReadBytesPerSecond = w.int(m, "maxReadBytesPerSecond", default: 0, min: 0)
        tail.ignoreOlderThan = w.duration(m, "ignoreOlderThan")
        tail.rotatedMaxBytes = Int64(w.int(m, "rotatedMaxBytes", default: 0, min: 0))
        tail.rotatedMaxAge = w.millis(m, "rotatedMaxAgeMs", defaultSeconds: 0)
        let encoding = w.choice(m, "encoding", ["utf-8", "utf8", "latin-1", "latin1", "iso-8859-1"],
                                default: "utf-8")
        tail.encoding = encoding.hasPrefix("utf") ? .utf8 : .latin1

        let parser = readParser(m["parser"], at: "\(path).parser", walker: &w, resolve: resolve)
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
        mapping.operations = readOperations(m["fields"], at: "\(path).fields", walker: &w)
        mapping.parseErrorField = w.string(m, "parseErrorField") ?? "parse_error"
        readFieldTypes(m["parser"], at: "\(path).parser", walker: &w, into: &mapping)
        if let errorStream = w.string(m, "parseErrorStream") {
            if errorStream.isEmpty { w.fail("\(path).parseErrorStream", "the stream name is empty") }
            mapping.parseErrorStream = errorStream
        }
        mapping.invalidUTF8 = w.choice(m, "invalidUTF8", ["replace", "escape"], default: "replace") == "escape"
            ? .escape : .replace
        mapping.multiline = readMultiline(m["multiline"], at: "\(path).multiline", walker: &w)
        mapping.container = readContainer(m["container"], at: "\(path).container", walker: &w)
        mapping.container?.partialTimeout = tail.partialLineTimeout
        mapping.container?.maxBytes = tail.maxLineBytes
        mapping.metadata = readMetadata(m["metadata"], at: "\(path).metadata", input: name, walker: &w)
        if parser != nil {
            // Compiling the mapping checks patterns and parser options now, not on the first line.
            do {
                let mapper = try EventMapper(spec: mapping)
                if EventAssembler.isNeeded(for: mapping) { _ = try EventAssembler(spec: mapping) }
                warnMetadataClashes(mapping.metadata, parserFields: mapper.parserFields, at: path, walker: &w)
            } catch {
                // A registered parser's options sit beside its type in the config.
                var keyPath = error.keyPath
                let options = "parser.options."
                if keyPath.hasPrefix(options) { keyPath = "parser." + keyPath.dropFirst(options.count) }
                var message = error.message
                if keyPath == "multiline.pattern", let mode = mapping.multiline?.mode {
                    keyPath = "multiline.\(mode.rawValue)"
                }
                if keyPath == "parser.name" {
                    keyPath = "parser.type"
                    message = "unknown parser type; the built-in ones are raw, json, regex, grok"
                        + (ParserRegistry.shared.names.isEmpty ? "" : ", "
                           + ParserRegistry.shared.names.joined(separator: ", "))
                }
                w.fail("\(path).\(keyPath)", message)
            }
        }
        return ShipperConfig.Input(tail: tail, mapping: mapping)
    }
}
