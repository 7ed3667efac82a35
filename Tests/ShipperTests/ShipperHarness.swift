import Foundation
import Glibc
import TestSupport

/// Runs the real `atom-shipper` binary (built beside the test bundle) against files in a temporary
/// folder.
enum ShipperBinary {
    /// `.build/<config>/atom-shipper`, next to the test bundle that runs this.
    static var path: String { BuiltProduct.path("atom-shipper") }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a command to completion.
    static func run(_ arguments: [String], environment: [String: String] = [:],
                    timeout: Double = 120) throws -> Result {
        let process = try start(arguments, environment: environment)
        return process.finish(timeout: timeout)
    }

    /// Runs `executable` with `arguments` to completion, standard input read from the file
    /// `stdin` (none when nil), and collects its output.
    static func collect(_ executable: String, _ arguments: [String], stdin: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let stdin { process.standardInput = FileHandle(forReadingAtPath: stdin) }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Starts `atom-shipper` with `arguments`; output is collected in files.
    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> RunningShipper {
        try RunningShipper(arguments: arguments, environment: environment)
    }
}

/// A running `atom-shipper` process.
final class RunningShipper: @unchecked Sendable {
    let process = Process()
    let folder: String
    let stdoutPath: String
    let stderrPath: String

    init(arguments: [String], environment: [String: String]) throws {
        folder = NSTemporaryDirectory() + "atom-run-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        stdoutPath = folder + "/stdout"
        stderrPath = folder + "/stderr"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: ShipperBinary.path)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try process.run()
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the process to exit (killing it after `timeout`) and collects its output.
    func finish(timeout: Double = 120) -> ShipperBinary.Result {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return ShipperBinary.Result(status: -1, stdout: stdout,
                                        stderr: stderr + "\n(test killed it after \(timeout) s)")
        }
        process.waitUntilExit()
        return ShipperBinary.Result(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }

    /// Sends SIGTERM and waits for a graceful exit.
    func terminate(timeout: Double = 60) -> ShipperBinary.Result {
        signal(SIGTERM)
        return finish(timeout: timeout)
    }
}

/// Waits until `condition` holds or `timeout` passes; returns whether it held.
func eventually(timeout: Double = 30, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

/// Appends lines to a file the way a logging application does: opened with O_APPEND, one write each.
final class AppendingWriter {
    let path: String
    private var fd: Int32

    init(path: String) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Closes and opens the path again (what an application does after rotation).
    func reopen() {
        close(fd)
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    }

    func write(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }
}

/// Decodes an event's JSON text into a dictionary.
func decode(_ event: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(event.utf8))) as? [String: Any] ?? [:]
}

/// The lines of a file (gzip-decompressed when it starts with the gzip magic), without terminators.
func fileLines(_ path: String) throws -> [String] {
    let text: String
    if let data = FileManager.default.contents(atPath: path), data.starts(with: [0x1F, 0x8B]) {
        text = try tool("/bin/gzip", ["-dc", path])
    } else {
        text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }
    var lines = text.components(separatedBy: "\n")
    if lines.last == "" { lines.removeLast() }
    return lines.map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
}

/// Counts of each element.
func multiset<S: Sequence>(_ items: S) -> [S.Element: Int] where S.Element: Hashable {
    var counts: [S.Element: Int] = [:]
    for item in items { counts[item, default: 0] += 1 }
    return counts
}
