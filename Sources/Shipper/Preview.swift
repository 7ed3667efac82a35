import AtomBase
import Glibc
import LogTail
import StreamMapping

/// `atom-shipper preview`: one input's mapping applied to files (plain or gzip, a rotated set
/// oldest first) or standard input, and each event printed with its stream, or with `summary`
/// the events per stream, parse failures and lines no route matched, with examples. Nothing is
/// sent, and neither the checkpoint database nor the output folder is opened.
public final class Preview {
    /// Examples shown per kind in the summary.
    public static let examples = 3
    /// An example's text is cut to this many characters.
    public static let exampleLength = 200

    let config: ShipperConfig
    let input: ShipperConfig.Input
    private let logger: Logger
    private let summary: Bool
    private let out = ByteBuffer(capacity: 1 << 16)
    private var tally = PreviewTally()
    private var probe: MappingProbe?

    /// Prepares the mapping of the input named `inputName` (or the config's only input).
    ///
    /// - Throws: `ShipperError` when there is no such input or its mapping does not compile.
    public init(config: ShipperConfig, inputName: String?, summary: Bool, logger: Logger) throws(ShipperError) {
        self.config = config
        input = try config.input(named: inputName, for: "to preview")
        self.summary = summary
        self.logger = logger
        let index = config.inputs.firstIndex { $0.name == input.name } ?? 0
        do {
            probe = try MappingProbe(spec: input.mapping) { [unowned self] outcome in record(outcome) }
        } catch {
            throw ShipperError("inputs[\(index)].\(error.keyPath): \(error.message)")
        }
    }

    /// Reads `files` (`-` or none: standard input) and writes the events or the summary to
    /// standard output. Returns the exit status: 0, or 1 when a file could not be read.
    public func run(files: [String]) -> Int32 {
        var failed = false
        let sources = files.isEmpty ? ["-"] : RotatedSetOrder.ordered(files)
        for path in sources {
            if let problem = read(path) {
                failed = true
                flush()
                logger.error("cannot read the file", ["path": path, "error": problem])
            }
        }
        if summary { out.append(string: tally.text(input: input.name, files: sources.count)) }
        flush()
        return failed ? 1 : 0
    }

    /// Reads one file through the probe; returns why it could not be read (completely).
    private func read(_ path: String) -> String? {
        guard let probe else { return nil }
        let fd: Int32
        if path == "-" {
            fd = 0
        } else {
            do {
                fd = try Sys.open(path, O_RDONLY | O_CLOEXEC)
            } catch {
                return error.description
            }
        }
        var magic: (UInt8, UInt8) = (0, 0)
        let isGzip = path != "-" && withUnsafeMutableBytes(of: &magic) { raw in
            pread(fd, raw.baseAddress, 2, 0) == 2 && raw[0] == 0x1F && raw[1] == 0x8B
        }
        var problem: String?
        if isGzip {
            do {
                let pipe = try BytePipe.gunzip(fd: fd, path: path)
                problem = readLines(pipe.readFD, path, probe)
                pipe.close()
                problem = pipe.wait() ?? problem
            } catch {
                Sys.close(fd)
                return error.description
            }
        } else {
            problem = readLines(fd, path, probe)
            if fd != 0 { Sys.close(fd) }
        }
        return problem
    }

    /// Frames the lines on `fd` as `run` frames a file's, and maps them.
    private func readLines(_ fd: Int32, _ path: String, _ probe: MappingProbe) -> String? {
        let reader = PipeReader(fd: fd, name: path, options: input.tail, logger: logger)
        let failure = reader.run(consumer: probe)
        probe.endFile()
        tally.lines += reader.counters.lines.load(ordering: .relaxed)
        return failure
    }

    /// Prints an event (or counts it, for the summary).
    private func record(_ outcome: MappingProbe.Outcome) {
        if summary {
            tally.add(outcome)
            return
        }
        if let stream = outcome.stream {
            out.append(string: stream)
            out.append(UInt8(ascii: "\t"))
            out.append(outcome.event)
        } else {
            out.append(string: "(dropped)\t")
            out.append(outcome.text)
        }
        out.append(UInt8(ascii: "\n"))
        if out.count > 1 << 16 { flush() }
    }

    private func flush() {
        try? Sys.writeAll(1, out.bytes)
        out.removeAll()
    }
}

/// What a preview counts for its summary.
struct PreviewTally {
    var lines = 0
    var events: [(stream: String, count: Int)] = []
    var dropped = 0
    /// Lines the parser itself dropped (json's `nonObject: drop`, csv's `skipHeader`).
    var parserDropped = 0
    var failures = 0
    var unmatched = 0
    var failureExamples: [String] = []
    var unmatchedExamples: [String] = []
    var droppedExamples: [String] = []
    var defaultStream = ""

    mutating func add(_ outcome: MappingProbe.Outcome) {
        let text = Self.example(outcome.text)
        guard let stream = outcome.stream else {
            if outcome.decision.route == nil {
                parserDropped += 1
                return
            }
            dropped += 1
            if droppedExamples.count < Preview.examples { droppedExamples.append(text) }
            return
        }
        if let index = events.firstIndex(where: { $0.stream == stream }) {
            events[index].count += 1
        } else {
            events.append((stream, 1))
        }
        if outcome.decision.parseFailed {
            failures += 1
            if failureExamples.count < Preview.examples {
                failureExamples.append((outcome.failure ?? "rejected") + ": " + text)
            }
        } else if outcome.decision.route == nil {
            unmatched += 1
            defaultStream = stream
            if unmatchedExamples.count < Preview.examples { unmatchedExamples.append(text) }
        }
    }

    /// `text` on one line, cut to `Preview.exampleLength` characters.
    static func example(_ text: UnsafeRawBufferPointer) -> String {
        let line = String(decoding: text, as: UTF8.self).replacing("\n", with: "\\n")
        return line.count > Preview.exampleLength ? String(line.prefix(Preview.exampleLength)) + "…" : line
    }

    func text(input: String, files: Int) -> String {
        let total = events.reduce(0) { $0 + $1.count }
        var text = "input \(input): \(lines) line\(lines == 1 ? "" : "s") from \(files) "
            + "file\(files == 1 ? "" : "s"), \(total) event\(total == 1 ? "" : "s")\n"
        for (stream, count) in events { text += "  stream \(stream): \(count)\n" }
        func section(_ title: String, _ count: Int, _ examples: [String]) {
            text += "\(title): \(count)\n"
            for example in examples { text += "    \(example)\n" }
        }
        section("dropped by a route", dropped, droppedExamples)
        if parserDropped > 0 {
            text += "dropped by the parser (json nonObject: drop, csv skipHeader): \(parserDropped)\n"
        }
        section("parse failures", failures, failureExamples)
        let into = defaultStream.isEmpty ? "" : " (to the default stream \(defaultStream))"
        section("no route matched\(into)", unmatched, unmatchedExamples)
        return text
    }
}
