import Foundation

/// Writes `text` to `path` (UTF-8, replacing the file).
public func writeText(_ text: String, to path: String) throws {
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}

/// Runs a command-line tool (gzip, logrotate, zic, cp) and fails the caller when it fails.
@discardableResult
public func tool(_ path: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: output, as: UTF8.self)
    guard process.terminationStatus == 0 else {
        throw ToolError(description: "\(path) \(arguments.joined(separator: " ")) failed: \(text)")
    }
    return text
}

/// Runs a Python 3 script (`python3 -c`) and returns its output lines: values computed by an
/// implementation other than the code under test.
public func python(_ script: String) throws -> [String] {
    let output = try tool("/usr/bin/env", ["python3", "-c", script])
    return output.split(separator: "\n").map(String.init)
}

/// A tool that failed, with its output.
public struct ToolError: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) { self.description = description }
}
