import Foundation
import Testing
import TestSupport

/// Docker json-file and CRI files through the real binary, the input's parser applied to each
/// joined message.
@Suite("Container log files")
struct ContainerLogTests {
    @Test("docker and CRI: parts joined, then parsed, with stream and time; a foreign line kept with the reason")
    func dockerAndCRI() throws {
        let dir = try TempDir()
        // As the Docker daemon writes them: a log without "\n" is continued by the next one.
        try writeText(#"""
            {"log":"level=info msg=\"started\" port=80\n","stream":"stdout","time":"2024-05-01T12:00:00.1Z"}
            {"log":"level=error msg=\"disk ","stream":"stderr","time":"2024-05-01T12:00:01Z"}
            {"log":"level=debug msg=tick\n","stream":"stdout","time":"2024-05-01T12:00:01.2Z"}
            {"log":"full\" code=7\n","stream":"stderr","time":"2024-05-01T12:00:01.5Z"}
            this line is not from docker

            """#, to: dir.file("docker.log"))
        // As containerd writes them: P parts are continued until the F part of their stream.
        try writeText("""
            2024-05-01T12:00:00.000000001Z stdout F 10.0.0.1 GET /index.html 200
            2024-05-01T12:00:01.000000002Z stdout P 10.0.0.2 GET /very/long/
            2024-05-01T12:00:01.100000000Z stdout P path/of/a/request
            2024-05-01T12:00:01.200000000Z stdout F .html 404
            2024-05-01T12:00:02.000000000Z stderr F 10.0.0.3 POST /api 500

            """, to: dir.file("cri.log"))
        let config = dir.file("containers.json5")
        try writeText(#"""
            {
              output: { directory: "out" },
              checkpoints: { path: "state/cp.sqlite" },
              inputs: [
                {
                  name: "docker", paths: ["docker.log"], container: "docker",
                  parser: { type: "logfmt" },
                  routes: [{ when: { field: "stream", equals: "stderr" }, stream: "docker_errors" }],
                  stream: "docker",
                },
                {
                  name: "cri", paths: ["cri.log"],
                  container: { format: "cri", streamField: "source", timeField: false },
                  parser: { type: "regex", pattern: "^(?<client>\\S+) (?<method>\\S+) (?<path>\\S+) (?<status>\\d+)$" },
                  stream: "cri",
                },
              ],
            }
            """#, to: config)
        let result = try ShipperBinary.run(["run", "--once", "--config", config])
        #expect(result.status == 0, "stderr: \(result.stderr)")

        let docker = dir.lines(of: "out/docker.jsonl").map(decode)
        let errors = dir.lines(of: "out/docker_errors.jsonl").map(decode)
        #expect(docker.count == 3)
        #expect(errors.count == 1)
        #expect(eventIs(docker.first, ["level": "info", "msg": "started", "port": "80", "stream": "stdout",
                                       "time": "2024-05-01T12:00:00.1Z"]))
        #expect(eventIs(docker.dropFirst().first, ["level": "debug", "msg": "tick", "stream": "stdout",
                                                   "time": "2024-05-01T12:00:01.2Z"]))
        #expect(eventIs(docker.last, ["message": "this line is not from docker",
                                      "parse_error": "not a Docker json-file line: it does not start with {"]))
        // The joined line keeps the stream and time of its first part.
        #expect(eventIs(errors.first, ["level": "error", "msg": "disk full", "code": "7", "stream": "stderr",
                                       "time": "2024-05-01T12:00:01Z"]))

        let cri = dir.lines(of: "out/cri.jsonl").map(decode)
        #expect(cri.count == 3)
        #expect(eventIs(cri.first, ["client": "10.0.0.1", "method": "GET", "path": "/index.html", "status": "200",
                                    "source": "stdout"]))
        #expect(eventIs(cri.dropFirst().first, ["client": "10.0.0.2", "method": "GET",
                                                "path": "/very/long/path/of/a/request.html", "status": "404",
                                                "source": "stdout"]))
        #expect(eventIs(cri.last, ["client": "10.0.0.3", "method": "POST", "path": "/api", "status": "500",
                                   "source": "stderr"]))
    }

    @Test("the first part of a line still waiting at the end of a --once run goes out as it is")
    func partialAtEnd() throws {
        let dir = try TempDir()
        try writeText(#"{"log":"no newline yet","stream":"stdout","time":"t1"}"# + "\n", to: dir.file("d.log"))
        let config = dir.file("c.json5")
        try writeText("""
            { output: { directory: "out" }, checkpoints: { path: "state/cp.sqlite" },
              inputs: [{ name: "d", paths: ["d.log"], container: "docker" }] }
            """, to: config)
        let result = try ShipperBinary.run(["run", "--once", "--config", config])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let events = dir.lines(of: "out/d.jsonl").map(decode)
        #expect(events.count == 1)
        #expect(eventIs(events.first, ["message": "no newline yet", "stream": "stdout", "time": "t1"]))
    }
}

/// Whether a decoded event has exactly the `expected` string fields.
func eventIs(_ event: [String: Any]?, _ expected: [String: String]) -> Bool {
    guard let event, Set(event.keys) == Set(expected.keys) else { return false }
    return expected.allSatisfy { event[$0.key] as? String == $0.value }
}
