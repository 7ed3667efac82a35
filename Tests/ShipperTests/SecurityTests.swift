import Foundation
import Glibc
import Testing
import TestSupport

/// TLS verification, auth keys from a file or the environment, and keys never printed.
@Suite("Security options", .serialized)
struct SecurityTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// A self-signed certificate for 127.0.0.1 and the python HTTPS endpoint that serves it.
    final class TLSEndpoint {
        let process = Process()
        let dir: TempDir
        let port: Int
        var cert: String { dir.file("cert.pem") }
        var requests: [String] { dir.lines(of: "records") }

        init() throws {
            dir = try TempDir(prefix: "atom-tls")
            try tool("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                                          dir.file("key.pem"), "-out", dir.file("cert.pem"), "-days", "1",
                                          "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", SecurityTests.fixtures.appendingPathComponent("tls_receiver.py").path,
                                 dir.file("cert.pem"), dir.file("key.pem"), dir.file("port"), dir.file("records"),
                                 "120"]
            process.standardInput = Pipe()
            process.standardError = FileHandle.nullDevice
            try process.run()
            let portFile = dir.file("port")
            guard eventually(timeout: 20, { FileManager.default.fileExists(atPath: portFile) }),
                  let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text) else {
                kill(process.processIdentifier, SIGKILL)
                throw ToolError(description: "the TLS endpoint did not start")
            }
            self.port = port
        }

        deinit {
            // SIGKILL: the test runner may have left SIGTERM ignored for its children.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        var endpoint: String { "https://127.0.0.1:\(port)/" }
    }

    static func config(_ dir: TempDir, atom: String) throws -> String {
        let path = dir.file("shipper.json5")
        try writeText("""
        {
          atom: { \(atom) },
          checkpoints: { path: "state/cp.sqlite" },
          deadLetter: { path: "state/dead.jsonl" },
          shutdownTimeoutMs: 1000,
          tracker: { flushIntervalMs: 100, retry: { backoffBaseMs: 100, backoffMaxMs: 300 } },
          inputs: [{ name: "app", paths: ["app.log"], stream: "app" }],
        }
        """, to: path)
        return path
    }

    static func writeLog(_ dir: TempDir, _ count: Int) {
        let writer = AppendingWriter(path: dir.file("app.log"))
        for n in 0..<count { writer.write("secure line \(n)") }
    }

    @Test("TLS: a self-signed endpoint is refused by default, accepted with its CA bundle, and insecure is loud")
    func tlsVerification() throws {
        let endpoint = try TLSEndpoint()
        let dir = try TempDir()
        Self.writeLog(dir, 20)

        let strict = try ShipperBinary.start(["run", "--config",
                                              try Self.config(dir, atom: "endpoint: '\(endpoint.endpoint)'")])
        #expect(eventually { strict.stderr.contains("will retry") }, "\(strict.stderr)")
        let refused = strict.terminate()
        #expect(refused.stderr.contains("certificate"), "\(refused.stderr)")
        #expect(endpoint.requests.isEmpty)

        let trusted = try Self.config(dir, atom: "endpoint: '\(endpoint.endpoint)', caBundle: '\(endpoint.cert)'")
        let accepted = try ShipperBinary.run(["run", "--config", trusted, "--once"])
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(accepted.stdout.contains("20 events delivered"), "\(accepted.stdout)")
        #expect(endpoint.requests.count >= 1)
        #expect(!accepted.stderr.contains("VERIFICATION IS OFF"))

        Self.writeLog(dir, 5)
        let insecure = try Self.config(dir, atom: "endpoint: '\(endpoint.endpoint)', insecure: true")
        let loud = try ShipperBinary.run(["run", "--config", insecure, "--once"])
        #expect(loud.status == 0, "\(loud.stderr)")
        let first = loud.stderr.split(separator: "\n").first { $0.contains("VERIFICATION IS OFF") } ?? ""
        #expect(first.contains(" error "), "\(loud.stderr)")
    }

    @Test("an auth key file readable by group or others is refused; mode 0600 signs every request")
    func keyFile() throws {
        let dir = try TempDir()
        let key = "k3y-from-file-\(UInt32.random(in: 0...UInt32.max))"
        let receiver = try AtomReceiver(keys: ["app": key])
        defer { receiver.stop() }
        let keyPath = dir.file("atom.key")
        try writeText(key + "\n", to: keyPath)
        chmod(keyPath, 0o644)
        Self.writeLog(dir, 30)
        let config = try Self.config(dir, atom: "endpoint: '\(receiver.endpoint)', authKeyFile: 'atom.key'")

        let open = try ShipperBinary.run(["check", "--config", config])
        #expect(open.status != 0)
        #expect(open.stderr.contains("atom.authKeyFile: \(keyPath) can be read by group or others (mode 644)"),
                "\(open.stderr)")
        #expect(open.stderr.contains("chmod 600"))
        #expect(!open.stderr.contains(key))

        chmod(keyPath, 0o600)
        let run = try ShipperBinary.run(["run", "--config", config, "--once"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(receiver.events(stream: "app").count == 30)
        #expect(receiver.authFailures == 0)
        #expect(receiver.requests.allSatisfy { $0.auth != nil })
    }

    @Test("no log line, output or status of a run ever shows an auth key")
    func keysNeverPrinted() throws {
        let dir = try TempDir()
        let key = "s3cret-\(UInt32.random(in: 0...UInt32.max))"
        let other = "0ther-\(UInt32.random(in: 0...UInt32.max))"
        // The receiver expects another key for "app", so every batch is rejected (401), logged and
        // dead-lettered; "ok" is signed with a key it knows.
        let receiver = try AtomReceiver(keys: ["app": "not-" + key, "ok": other])
        defer { receiver.stop() }
        Self.writeLog(dir, 50)
        let config = dir.file("shipper.json5")
        try writeText("""
        {
          atom: { endpoint: "\(receiver.endpoint)", authKey: "${ATOM_TEST_KEY}" },
          checkpoints: { path: "state/cp.sqlite" },
          deadLetter: { path: "state/dead.jsonl" },
          tracker: { flushIntervalMs: 100 },
          inputs: [{ name: "app", paths: ["app.log"], stream: "app",
                     routes: [{ when: { field: "message", matches: "1$" }, stream: "ok", authKey: "\(other)" }] }],
        }
        """, to: config)
        let environment = ["ATOM_TEST_KEY": key]
        var output = ""
        let check = try ShipperBinary.run(["check", "--config", config], environment: environment)
        output += check.stdout + check.stderr
        let shipper = try ShipperBinary.start(["run", "--config", config, "--log-level", "debug"],
                                              environment: environment)
        #expect(eventually { shipper.stderr.contains("batch dead-lettered") }, "\(shipper.stderr)")
        #expect(eventually { !receiver.events(stream: "ok").isEmpty })
        shipper.signal(SIGHUP)
        #expect(eventually { shipper.stderr.contains("config reloaded") })
        let result = shipper.terminate()
        output += result.stdout + result.stderr
        let status = try ShipperBinary.run(["status", "--config", config], environment: environment)
        output += status.stdout + status.stderr
        let replay = try ShipperBinary.run(["replay", "--config", config, dir.file("state/dead.jsonl")],
                                           environment: environment)
        output += replay.stdout + replay.stderr

        #expect(receiver.authFailures > 0, "the rejected batches were not rejected for their key")
        #expect(output.split(separator: "\n").count > 10)
        for line in output.split(separator: "\n") {
            #expect(!line.contains(key) && !line.contains(other), "a key was printed: \(line)")
        }
        let deadLetters = (try? String(contentsOfFile: dir.file("state/dead.jsonl"), encoding: .utf8)) ?? ""
        #expect(!deadLetters.isEmpty && !deadLetters.contains(key))
    }
}
