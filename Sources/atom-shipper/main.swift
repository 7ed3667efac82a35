import AtomBase
import Glibc
import Shipper

/// The command line: `run`, `check`, `--version`, `help`.
enum Command {
    static let version = "0.1.0"

    static let usage = """
        usage:
          atom-shipper run --config FILE [--once] [--log-level LEVEL] [--stage-times]
              Follow the config's inputs and deliver their lines until SIGINT or SIGTERM.
              --once  read what exists now (last lines without a newline included), wait until
                      every event is delivered, checkpoint, print a summary and exit: 0 when all
                      was delivered, 1 when a batch was dead-lettered or a file could not be read.
              --stage-times  print the CPU seconds spent per pipeline stage (read, split, parse,
                      encode, batch, send) with the summary.
          atom-shipper run --config FILE --stdin [--input NAME]
              Read standard input to its end as the lines of one input (NAME, or the config's
              only input): its parser, fields, routes and stream apply, its paths are not read.
              Nothing is checkpointed (the checkpoint database is not opened, so this runs beside
              a shipper on the same config): piping the same lines twice delivers them twice.
              Exits like --once, e.g. `zcat old.log.gz | atom-shipper run -c FILE --stdin`.
          atom-shipper replay --config FILE [DEADLETTER...]
              Send the batches of dead-letter files again (to the config's endpoint, signed with
              its keys), once the cause of their rejection is fixed; without files, the config's
              dead-letter file and its rotated files, oldest first. Each file is read whole
              first; a file whose events all settled is renamed to FILE.replayed-<time> (those
              rejected again are in the dead-letter file anew). Exit 0 when every event was
              delivered.
          atom-shipper status --config FILE
              Print each file's checkpoint (offset, current size, lag, last update) and each
              stream's figures as the shipper last wrote them; works beside a running shipper.
          atom-shipper check --config FILE
              Validate the config; print every problem with its key path, then run the config's
              tests and print a diff for each that fails. Exit 0 when valid and every test passes.
          atom-shipper preview --config FILE [--input NAME] [--summary] [FILE...]
              Apply one input's mapping (NAME, or the config's only input) to the files given
              (plain or .gz; a rotated set is read oldest first) or to standard input (no FILE,
              or -), and print each event as STREAM<tab>JSON, or (dropped)<tab>LINE. Nothing is
              sent and no checkpoint is read or written. --summary prints instead the events per
              stream, and the dropped lines, parse failures and lines no route matched, with a
              few examples of each. Exit 1 when a file could not be read.
          atom-shipper --version
        """

    struct Options {
        var command = ""
        var config: String?
        var once = false
        var logLevel: LogLevel?
        var stageTimes = false
        var stdin = false
        var summary = false
        var input: String?
        var files: [String] = []
    }

    struct UsageError: Error {
        var message: String
    }

    static func parse(_ arguments: [String]) -> Result<Options, UsageError> {
        var options = Options()
        var rest = arguments[...]
        guard let first = rest.popFirst() else { return .failure(UsageError(message: "no command given")) }
        options.command = first
        while let argument = rest.popFirst() {
            switch argument {
            case "--config", "-c":
                guard let value = rest.popFirst() else { return .failure(UsageError(message: "--config needs a file")) }
                options.config = value
            case "--once":
                options.once = true
            case "--stage-times":
                options.stageTimes = true
            case "--stdin":
                options.stdin = true
            case "--summary":
                options.summary = true
            case "--input":
                guard let value = rest.popFirst() else { return .failure(UsageError(message: "--input needs a name")) }
                options.input = value
            case "--log-level":
                guard let value = rest.popFirst(), let level = LogLevel(name: value) else {
                    return .failure(UsageError(message: "--log-level takes debug, info, warn or error"))
                }
                options.logLevel = level
            default:
                if argument.hasPrefix("--config=") {
                    options.config = String(argument.dropFirst("--config=".count))
                } else if options.command == "replay" && !argument.hasPrefix("-")
                            || options.command == "preview" && (!argument.hasPrefix("-") || argument == "-") {
                    options.files.append(argument)
                } else {
                    return .failure(UsageError(message: "unknown argument '\(argument)'"))
                }
            }
        }
        return .success(options)
    }

    static func main() -> Int32 {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "--version" || arguments.first == "version" {
            write("atom-shipper \(version)")
            return 0
        }
        if arguments.isEmpty || ["help", "--help", "-h"].contains(arguments[0]) {
            write(usage)
            return arguments.isEmpty ? 2 : 0
        }
        let options: Options
        switch parse(arguments) {
        case .success(let parsed): options = parsed
        case .failure(let problem):
            writeError("atom-shipper: \(problem.message)\n\(usage)")
            return 2
        }
        guard ["run", "check", "replay", "status", "preview"].contains(options.command) else {
            writeError("atom-shipper: unknown command '\(options.command)'\n\(usage)")
            return 2
        }
        guard let configPath = options.config else {
            writeError("atom-shipper: \(options.command) needs --config FILE")
            return 2
        }

        let config: ShipperConfig
        do {
            config = try ConfigLoader.load(path: configPath)
        } catch {
            writeError(error.description)
            return 1
        }
        for warning in config.warnings { writeError("\(configPath): warning: \(warning)") }
        if options.command == "status" {
            do {
                write(try StatusReport.text(config: config))
                return 0
            } catch {
                writeError("atom-shipper: \(error)")
                return 1
            }
        }
        if options.command == "check" {
            write("\(configPath): valid, \(config.inputs.count) input\(config.inputs.count == 1 ? "" : "s")")
            guard !config.tests.isEmpty else { return 0 }
            let logger = Logger(level: options.logLevel ?? config.logLevel, format: config.logFormat)
            let report = ConfigTestRunner.run(config, logger: logger)
            write(report.text)
            return report.exitStatus
        }

        let logger = Logger(level: options.logLevel ?? config.logLevel, format: config.logFormat)
        if options.command == "replay" {
            let files = options.files.isEmpty ? Replayer.deadLetterFiles(config: config) : options.files
            guard !files.isEmpty else {
                write("no dead-letter files to replay: \(config.deadLetterPath)")
                return 0
            }
            let outcome = Replayer(config: config, logger: logger).replay(files)
            write(outcome.text)
            return outcome.exitStatus
        }
        if options.command == "preview" {
            do {
                let preview = try Preview(config: config, inputName: options.input, summary: options.summary,
                                          logger: logger)
                return preview.run(files: options.files)
            } catch {
                writeError("atom-shipper: \(error)")
                return 1
            }
        }
        if options.summary {
            writeError("atom-shipper: --summary goes with preview")
            return 2
        }
        if options.stageTimes { StageClock.shared.enable() }
        if options.input != nil && !options.stdin {
            writeError("atom-shipper: --input goes with --stdin or preview")
            return 2
        }
        if options.stdin {
            guard options.command == "run" else {
                writeError("atom-shipper: --stdin goes with run")
                return 2
            }
            Signals.block()
            do {
                let summary = try StdinRun(config: config, inputName: options.input, logger: logger).run()
                write(summary.text)
                return summary.exitStatus
            } catch {
                writeError("atom-shipper: \(error)")
                return 1
            }
        }
        if !options.once { Signals.block() }
        let shipper: Shipper
        do {
            shipper = try Shipper(config: config, logger: logger)
        } catch {
            writeError("atom-shipper: \(error)")
            return 1
        }
        let summary = options.once ? shipper.runOnce(terminal: isatty(2) != 0) : shipper.runUntilSignalled()
        write(summary.text)
        if options.stageTimes {
            let stages = StageClock.shared.seconds.map { "\($0.0.name) \(($0.1 * 1000).rounded() / 1000)" }
            write("stage CPU seconds: " + stages.joined(separator: ", "))
        }
        return options.once ? summary.exitStatus : 0
    }

    static func write(_ text: String) {
        var line = text + "\n"
        line.withUTF8 { _ = try? Sys.writeAll(1, UnsafeRawBufferPointer($0)) }
    }

    static func writeError(_ text: String) {
        var line = text + "\n"
        line.withUTF8 { _ = try? Sys.writeAll(2, UnsafeRawBufferPointer($0)) }
    }
}

exit(Command.main())
