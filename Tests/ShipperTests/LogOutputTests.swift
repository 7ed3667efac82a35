import Foundation
import Testing
import TestSupport

/// What the operator reads: `--version`, and the log lines in both formats, each naming its file.
@Suite("Log output and version")
struct LogOutputTests {
    @Test("--version prints the name and a semantic version, and exits 0")
    func version() throws {
        let result = try ShipperBinary.run(["--version"])
        #expect(result.status == 0)
        let line = result.stdout.trimmingCharacters(in: .newlines)
        #expect(line.range(of: #"^atom-shipper [0-9]+\.[0-9]+\.[0-9]+$"#, options: .regularExpression) != nil,
                "printed: \(line)")
    }

    @Test("log.format json: every line is one JSON object with time, level and msg; file lines name the path")
    func jsonLines() throws {
        // A name with a quote, a space and a backslash: it must come out as valid JSON all the same.
        let name = #"we "ird" \ name.log"#
        let c = try FileCase(#"paths: ["*.log"]"#, top: #"log: { format: "json", level: "debug" },"#)
        try c.write(name, lines: ["one", "two"])
        try c.write("plain.log", lines: ["three"])

        let result = try c.runOnce()
        #expect(result.status == 0, "stderr: \(result.stderr)")
        c.expectDelivered(["one", "two", "three"])
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count >= 3)
        var opened: [String] = []
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            guard let object else {
                Issue.record("not a JSON object: \(line)")
                continue
            }
            #expect(object["time"] is String && object["level"] is String && object["msg"] is String, "\(line)")
            #expect(["debug", "info", "warning", "error"].contains(object["level"] as? String ?? ""), "\(line)")
            if (object["msg"] as? String)?.hasPrefix("file opened") == true, let path = object["path"] as? String {
                opened.append(URL(fileURLWithPath: path).lastPathComponent)
            }
        }
        #expect(Set(opened) == [name, "plain.log"], "stderr: \(result.stderr)")
    }

    @Test("text lines name the file they are about, quoted when the path has spaces")
    func textLines() throws {
        let c = try FileCase(#"paths: ["*.log"]"#)
        try c.write("with space.log", lines: ["one"])

        let result = try c.runOnce()
        #expect(result.status == 0, "stderr: \(result.stderr)")
        c.expectDelivered(["one"])
        let opened = result.stderr.split(separator: "\n").filter { $0.contains(" file opened") }
        #expect(opened.count == 1, "stderr: \(result.stderr)")
        #expect(opened.first?.contains("path=\"\(c.path("with space.log"))\"") == true, "\(opened)")
    }
}
