import AtomSDK
import Foundation
import Glibc
import Testing
import TestSupport

/// `openssl s_server -www` on 127.0.0.1 with a self-signed certificate for that address; it
/// answers a GET with 200 and a status page. Stopped on deinit.
private final class TLSServer {
    let port: Int
    let certificate: String
    private let process = Process()

    init(folder: TempDir) throws {
        certificate = folder.file("cert.pem")
        try Self.run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                      "-keyout", folder.file("key.pem"), "-out", certificate, "-subj", "/CN=127.0.0.1",
                      "-addext", "subjectAltName=IP:127.0.0.1", "-days", "2"])
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["s_server", "-accept", "127.0.0.1:0", "-cert", certificate,
                             "-key", folder.file("key.pem"), "-www"]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // It prints "Using default temp DH parameters", then "ACCEPT 127.0.0.1:PORT".
        var seen = ""
        while !(seen.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            .contains { $0.hasPrefix("ACCEPT ") }),
            case let data = output.fileHandleForReading.availableData, !data.isEmpty {
            seen += String(decoding: data, as: UTF8.self)
        }
        guard let line = seen.split(separator: "\n").first(where: { $0.hasPrefix("ACCEPT ") }),
              let port = Int(line.split(separator: ":").last ?? "") else {
            kill(process.processIdentifier, SIGKILL)
            throw POSIXError(.EIO)
        }
        self.port = port
    }

    deinit {
        // SIGKILL: a child of the test process inherits a mask that blocks SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    var endpoint: String { "https://127.0.0.1:\(port)/" }

    private static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw POSIXError(.EIO) }
    }
}

@Suite("TLS verification", .serialized)
struct TLSTests {
    @Test("certificates are verified by default; a CA bundle or insecure mode lets a self-signed one pass")
    func verification() throws {
        let folder = try TempDir()
        let server = try TLSServer(folder: folder)
        let noProxy = ["NO_PROXY": "*"]

        let strict = AtomClient(endpoint: server.endpoint, options: HTTPOptions(environment: noProxy))
        let refused = strict.putEvent(stream: "web", data: "{}", method: .get)
        guard case .connection(let message)? = refused.error else {
            Issue.record("error \(String(describing: refused.error))")
            return
        }
        #expect(message.contains("certificate"))

        var bundled = HTTPOptions(environment: noProxy)
        bundled.caBundle = server.certificate
        #expect(AtomClient(endpoint: server.endpoint, options: bundled)
            .putEvent(stream: "web", data: "{}", method: .get).status == 200)

        var insecure = HTTPOptions(environment: noProxy)
        insecure.insecure = true
        #expect(AtomClient(endpoint: server.endpoint, options: insecure)
            .putEvent(stream: "web", data: "{}", method: .get).status == 200)
    }
}
