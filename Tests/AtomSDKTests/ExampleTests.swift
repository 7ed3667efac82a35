import AtomSDK
import Foundation
import Glibc
import Testing
import TestSupport

/// The example program, built beside the test bundle.
private var examplePath: String { BuiltProduct.path("atom-sdk-example") }

@Suite("The example program", .serialized)
struct ExampleTests {
    @Test("SIGINT and SIGTERM stop the tracker gracefully: every accepted event arrives once",
          arguments: [SIGTERM, SIGINT])
    func signalStopsGracefully(_ signal: Int32) throws {
        let receiver = try AtomReceiver(keys: ["sdk_test": "k", "sdk_test_follow": "k"])
        let proxy = try LoopbackProxy()
        let folder = try TempDir()
        let output = folder.file("stdout")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: examplePath)
        process.arguments = [receiver.endpoint, "sdk_test", "k", "--until-signal"]
        process.currentDirectoryURL = URL(fileURLWithPath: folder.path)
        // The default HTTP options take the proxy from the environment (the suite's NO_PROXY is left out).
        var environment = ProcessInfo.processInfo.environment.filter { $0.key.lowercased() != "no_proxy" }
        environment["HTTP_PROXY"] = proxy.url
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        // The first part (3 client events, 250 tracked), then events that keep coming.
        #expect(eventually(timeout: 60) { receiver.events(stream: "sdk_test_follow").count >= 200 })
        kill(process.processIdentifier, signal)
        #expect(eventually(timeout: 60) { !process.isRunning })

        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        let printed = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
        let line = try #require(printed.split(separator: "\n").first { $0.hasPrefix("stopped by \(name): ") },
                                "stdout: \(printed)")
        let figures = line.split(separator: " ").compactMap { Int($0) }
        #expect(figures.count == 3)
        let (accepted, delivered, unsettled) = (figures[0], figures[1], figures[2])
        #expect(delivered == accepted && unsettled == 0)
        let followed = receiver.events(stream: "sdk_test_follow").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["milliseconds"] as? Int
        }
        // Every event tracked after the first 250 arrived exactly once (two workers: in any order).
        #expect(followed.count == accepted - 250)
        #expect(Set(followed) == Set(0..<(accepted - 250)))
        #expect(receiver.events(stream: "sdk_test").count == 3 + 250)
        #expect(receiver.authFailures == 0)
        #expect(proxy.requests.count == receiver.requests.count, "every request went through HTTP_PROXY")
    }

    @Test("the README's library example type-checks against the built AtomSDK")
    func readmeExampleCompiles() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: repository.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "## The AtomSDK library"))
        let start = try #require(readme.range(of: "```swift\n", range: section.upperBound..<readme.endIndex))
        let end = try #require(readme.range(of: "```", range: start.upperBound..<readme.endIndex))
        let folder = try TempDir()
        try String(readme[start.upperBound..<end.lowerBound]).write(toFile: folder.file("main.swift"),
                                                                     atomically: true, encoding: .utf8)
        let modules = URL(fileURLWithPath: examplePath).deletingLastPathComponent().appendingPathComponent("Modules")
        var arguments = ["swiftc", "-typecheck", "-swift-version", "6", "-I", modules.path]
        for library in ["CCurl", "CCrypto", "CZlib", "CSystem", "CByteScan"] {
            let map = repository.appendingPathComponent("Sources/\(library)/module.modulemap").path
            if FileManager.default.fileExists(atPath: map) { arguments += ["-Xcc", "-fmodule-map-file=" + map] }
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments + [folder.file("main.swift")]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let messages = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(messages)")
    }
}
