import Foundation
import Testing
import TestSupport

/// The shipper loads libcurl only for an HTTP endpoint, so a host that delivers to files needs
/// neither libcurl nor its TLS libraries.
@Suite("libcurl on demand")
struct LibcurlOnDemandTests {
    @Test("the atom-shipper binary does not link libcurl")
    func binaryDoesNotLinkLibcurl() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["readelf", "-d", BuiltProduct.path("atom-shipper")]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(text.contains("(NEEDED)"), "readelf -d printed: \(text)")
        #expect(!text.contains("libcurl"), "readelf -d printed: \(text)")
    }
}
