import AtomBase
import Foundation
import StreamMapping
import Testing

@Suite("Container log formats")
struct ContainerFormatTests {
    static let docker = ContainerSpec(format: .docker)
    static let cri = ContainerSpec(format: .cri)

    /// A Docker json-file line, as the daemon writes it (Go's encoding/json).
    static func dockerLine(_ log: String, _ stream: String = "stdout", _ time: String) -> String {
        var escaped = ""
        for scalar in log.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case "<": escaped += "\\u003c"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return #"{"log":"\#(escaped)","stream":"\#(stream)","time":"\#(time)"}"#
    }

    @Test("docker: each log's message without its newline, with stream and time", arguments: [1, 2, 100])
    func dockerLines(linesPerChunk: Int) throws {
        let lines = [
            Self.dockerLine("plain message\n", "stdout", "2024-05-01T12:00:00.000000001Z"),
            Self.dockerLine("with \"quotes\", a\ttab, a \\ and <html>\n", "stderr", "2024-05-01T12:00:00.5Z"),
            Self.dockerLine("crlf line\r\n", "stdout", "2024-05-01T12:00:01Z"),
            #"{"log":"caf\u00e9 \ud83d\ude00 \/ \b\f\n","stream":"stdout","time":"2024-05-01T12:00:02Z"}"#,
            #"{"log":"with attrs\n","attrs":{"tag":"a,b}","n":[1,{"x":2}]},"stream":"stdout","time":"t5"}"#,
        ]
        let text = lines.map { $0 + "\n" }.joined()
        let offsets = lineOffsets(text)
        let rig = try AssemblyRig(container: Self.docker)
        rig.feed(text, linesPerChunk: linesPerChunk)
        #expect(rig.held() == nil)
        #expect(rig.take() == [
            Assembled(text: "plain message", offset: offsets[0], stream: "stdout",
                      time: "2024-05-01T12:00:00.000000001Z"),
            Assembled(text: "with \"quotes\", a\ttab, a \\ and <html>", offset: offsets[1], stream: "stderr",
                      time: "2024-05-01T12:00:00.5Z"),
            Assembled(text: "crlf line", offset: offsets[2], stream: "stdout", time: "2024-05-01T12:00:01Z"),
            Assembled(text: "café 😀 / \u{8}\u{C}", offset: offsets[3], stream: "stdout",
                      time: "2024-05-01T12:00:02Z"),
            Assembled(text: "with attrs", offset: offsets[4], stream: "stdout", time: "t5"),
        ])
    }

    @Test("docker: a log without its newline is joined with the next ones of its stream", arguments: [1, 3, 100])
    func dockerPartials(linesPerChunk: Int) throws {
        // The daemon cuts lines longer than 16 KiB; the parts lack the final newline.
        let lines = [
            Self.dockerLine("first part, ", "stdout", "t1"),
            Self.dockerLine("an error on its own\n", "stderr", "t2"),
            Self.dockerLine("second \"part\", ", "stdout", "t3"),
            Self.dockerLine("last part\n", "stdout", "t4"),
            Self.dockerLine("next\n", "stdout", "t5"),
        ]
        let text = lines.map { $0 + "\n" }.joined()
        let offsets = lineOffsets(text)
        let rig = try AssemblyRig(container: Self.docker)
        rig.feed(text, linesPerChunk: linesPerChunk)
        #expect(rig.take() == [
            Assembled(text: "an error on its own", offset: offsets[1], stream: "stderr", time: "t2"),
            Assembled(text: "first part, second \"part\", last part", offset: offsets[0], stream: "stdout", time: "t1"),
            Assembled(text: "next", offset: offsets[4], stream: "stdout", time: "t5"),
        ])
    }

    @Test("cri: F lines are messages; P lines are joined until the F of their stream", arguments: [1, 2, 100])
    func criLines(linesPerChunk: Int) throws {
        let text = """
            2024-05-01T12:00:00.000000001Z stdout F a complete line
            2024-05-01T12:00:01.0Z stdout P first part,\u{20}
            2024-05-01T12:00:01.5Z stderr F an error meanwhile
            2024-05-01T12:00:02.0Z stdout P second part,\u{20}
            2024-05-01T12:00:03.0Z stdout F last part
            2024-05-01T12:00:04.0Z stdout F
            2024-05-01T12:00:05.0Z stderr F:x tag with more after a colon

            """
        let offsets = lineOffsets(text)
        let rig = try AssemblyRig(container: Self.cri)
        rig.feed(text, linesPerChunk: linesPerChunk)
        #expect(rig.held() == nil)
        #expect(rig.take() == [
            Assembled(text: "a complete line", offset: offsets[0], stream: "stdout",
                      time: "2024-05-01T12:00:00.000000001Z"),
            Assembled(text: "an error meanwhile", offset: offsets[2], stream: "stderr", time: "2024-05-01T12:00:01.5Z"),
            Assembled(text: "first part, second part, last part", offset: offsets[1], stream: "stdout",
                      time: "2024-05-01T12:00:01.0Z"),
            Assembled(text: "", offset: offsets[5], stream: "stdout", time: "2024-05-01T12:00:04.0Z"),
            Assembled(text: "tag with more after a colon", offset: offsets[6], stream: "stderr",
                      time: "2024-05-01T12:00:05.0Z"),
        ])
    }

    @Test("parts held while the file is quiet wait for the partial timeout, then go as they are")
    func partialTimeout() throws {
        var spec = Self.cri
        spec.partialTimeout = 3
        let rig = try AssemblyRig(container: spec)
        rig.feed("T1 stdout P waiting for the rest\n")
        #expect(rig.held() == 0)
        rig.flush(quiet: 1)
        #expect(rig.take() == [])
        rig.flush(quiet: 3)
        #expect(rig.take() == [Assembled(text: "waiting for the rest", offset: 0, stream: "stdout", time: "T1")])
        #expect(rig.held() == nil)

        rig.feed("T2 stdout P released\n", from: 33)
        rig.flush(quiet: nil)
        #expect(rig.take() == [Assembled(text: "released", offset: 33, stream: "stdout", time: "T2")])
    }

    @Test("a joined line that reaches the maximum bytes is emitted; the next part begins another")
    func partialMaxBytes() throws {
        var spec = Self.cri
        spec.maxBytes = 10
        let rig = try AssemblyRig(container: spec)
        rig.feed("T stdout P 123456\nT stdout P 7890\nT stdout F end\n")
        #expect(rig.take() == [
            Assembled(text: "1234567890", offset: 0, stream: "stdout", time: "T"),
            Assembled(text: "end", offset: 34, stream: "stdout", time: "T"),
        ])
        #expect(rig.assembler.eventsCut == 1)
    }

    @Test("lines not in the format are passed on whole, with the reason", arguments: [
        (ContainerSpec.Format.docker, "not json at all", "not a Docker json-file line: it does not start with {"),
        (.docker, #"{"stream":"stdout","time":"t"}"#, #"Docker json-file line without a "log" string"#),
        (.docker, #"{"log":"a\qb\n","stream":"stdout"}"#, #"Docker json-file line with a bad escape in "log""#),
        (.docker, #"{"log":"cut"#, "not a Docker json-file line: a string does not end"),
        (.cri, "just two", "not a CRI log line (TIME STREAM P|F message)"),
        (.cri, "T stdout X message", "CRI log line with a tag other than P or F"),
    ])
    func rejected(format: ContainerSpec.Format, line: String, reason: String) throws {
        let rig = try AssemblyRig(container: ContainerSpec(format: format))
        rig.feed(line + "\n")
        #expect(rig.take() == [Assembled(text: line, offset: 0, rejection: reason)])
    }

    @Test("container lines then multiline: a Java trace written through CRI is one event")
    func containerThenMultiline() throws {
        let text = """
            T1 stdout F 2024-05-01 12:00:00 ERROR failed
            T2 stdout F java.lang.IllegalStateException: boom
            T3 stdout P \tat com.example.A.run(
            T4 stdout F A.java:1)
            T5 stdout F 2024-05-01 12:00:01 INFO next

            """
        let rig = try AssemblyRig(multiline: MultilineSpec.preset("java"), container: Self.cri)
        rig.feed(text, linesPerChunk: 2)
        #expect(rig.take() == [Assembled(
            text: "2024-05-01 12:00:00 ERROR failed\njava.lang.IllegalStateException: boom\n"
                + "\tat com.example.A.run(A.java:1)",
            offset: 0, stream: "stdout", time: "T1")])
        #expect(rig.held() == lineOffsets(text)[4])
    }
}
