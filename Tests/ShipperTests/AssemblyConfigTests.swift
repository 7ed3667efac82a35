import Foundation
import Shipper
import StreamMapping
import Testing
import TestSupport

/// The `multiline`, `container` and `metadata` keys of an input, read by the config loader.
@Suite("Config: multiline, container and metadata")
struct AssemblyConfigTests {
    /// Loads a config whose one input has `members` besides its name and paths.
    static func load(_ members: String) throws -> Result<MappingSpec, ConfigError> {
        let dir = try TempDir()
        let path = dir.file("c.json5")
        try writeText("{ inputs: [{ name: \"app\", paths: [\"\(dir.path)/*.log\"], \(members) }] }", to: path)
        do {
            let config = try ConfigLoader.load(path: path, environment: [:])
            return .success(config.inputs[0].mapping)
        } catch {
            return .failure(error)
        }
    }

    static func mapping(_ members: String) throws -> MappingSpec {
        try load(members).get()
    }

    /// The problems of a config that must not load.
    static func problems(_ members: String) throws -> [String] {
        switch try load(members) {
        case .success: return []
        case .failure(let error): return error.problems.map(\.description)
        }
    }

    @Test("multiline: a preset by name, or a pattern with its options")
    func multilineForms() throws {
        #expect(try Self.mapping(#"multiline: "python""#).multiline == MultilineSpec.preset("python"))
        var java = try #require(MultilineSpec.preset("java"))
        java.maxLines = 50
        #expect(try Self.mapping(#"multiline: { preset: "java", maxLines: 50 }"#).multiline == java)

        let start = try #require(try Self.mapping(
            #"multiline: { start: "^\\[", negate: true, maxLines: 10, maxBytes: 2048, flushTimeoutMs: 250 }"#
        ).multiline)
        #expect(start.mode == .start && start.pattern == #"^\["# && start.negate)
        #expect(start.maxLines == 10 && start.maxBytes == 2048 && start.flushTimeout == 0.25)

        let continuation = try #require(try Self.mapping(#"multiline: { continuation: "^\\s" }"#).multiline)
        #expect(continuation.mode == .continuation && !continuation.negate)
        #expect(continuation.maxLines == 500 && continuation.maxBytes == 1 << 20 && continuation.flushTimeout == 1)
    }

    @Test("multiline mistakes are named by key path", arguments: [
        (#"multiline: { start: "a", continuation: "b" }"#, "inputs[0].multiline: give exactly one of preset"),
        (#"multiline: {}"#, "inputs[0].multiline: give exactly one of preset"),
        (#"multiline: "ruby""#, "inputs[0].multiline: unknown preset 'ruby'; the presets are java, python, go"),
        (#"multiline: { preset: "ruby" }"#, "inputs[0].multiline.preset: unknown preset 'ruby'"),
        (#"multiline: { preset: "java", negate: true }"#, "inputs[0].multiline.negate: a preset's pattern"),
        (#"multiline: { start: "(" }"#, "inputs[0].multiline.start: regex does not compile"),
        (#"multiline: { continuation: "" }"#, "inputs[0].multiline.continuation: the pattern is empty"),
        (#"multiline: { start: "x", maxLines: 0 }"#, "inputs[0].multiline.maxLines: must be at least 1"),
        (#"multiline: { start: "x", flushTimeoutMs: -1 }"#, "inputs[0].multiline.flushTimeoutMs: must be at least 0"),
        (#"multiline: { start: "x", pattern: "y" }"#, "inputs[0].multiline.pattern: unknown key"),
    ])
    func multilineMistakes(members: String, problem: String) throws {
        let problems = try Self.problems(members)
        #expect(problems.contains { $0.hasPrefix(problem) }, "\(problems)")
    }

    @Test("container: a format's name, or an object that renames or leaves out stream and time")
    func containerForms() throws {
        let docker = try #require(try Self.mapping(#"container: "docker""#).container)
        #expect(docker.format == .docker && docker.streamField == "stream" && docker.timeField == "time")
        let cri = try #require(try Self.mapping(
            #"container: { format: "cri", streamField: "source", timeField: false }, "#
                + "partialLineTimeoutMs: 2500, maxLineBytes: 4096"
        ).container)
        #expect(cri.format == .cri && cri.streamField == "source" && cri.timeField == nil)
        #expect(cri.partialTimeout == 2.5 && cri.maxBytes == 4096)
    }

    @Test("container mistakes are named by key path", arguments: [
        (#"container: "podman""#, "inputs[0].container: expected one of docker, cri, found 'podman'"),
        (#"container: { streamField: "s" }"#, "inputs[0].container.format: missing"),
        (#"container: { format: "cri", timeField: "" }"#, "inputs[0].container.timeField: the field name is empty"),
        (#"container: "cri", addFields: { stream: "x" }"#, "inputs[0].container.streamField: field \"stream\""),
    ])
    func containerMistakes(members: String, problem: String) throws {
        let problems = try Self.problems(members)
        #expect(problems.contains { $0.hasPrefix(problem) }, "\(problems)")
    }

    @Test("metadata: each field by a name of its own, or true for its usual name")
    func metadataForms() throws {
        let none = try Self.mapping("").metadata
        #expect(none.isEmpty)
        let all = try Self.mapping(#"metadata: { host: true, path: "file", input: true, offset: "at", "#
                                   + #"ingestTime: true, eventId: "id", hostName: "web-1" }"#).metadata
        #expect(all.host == "host" && all.hostName == "web-1" && all.path == "file" && all.input == "input")
        #expect(all.inputName == "app" && all.offset == "at" && all.ingestTime == "ingest_time" && all.eventID == "id")
        let named = try Self.mapping("metadata: { host: \"h\" }").metadata
        #expect(named.hostName == MetadataTests.hostName())
        #expect(named.path == nil && named.eventID == nil)
    }

    @Test("metadata mistakes are named by key path", arguments: [
        (#"metadata: { hostName: "x" }"#, "inputs[0].metadata.hostName: only used with metadata.host"),
        (#"metadata: { offset: "" }"#, "inputs[0].metadata.offset: the field name is empty"),
        (#"metadata: { path: "env" }, addFields: { env: "prod" }"#, "inputs[0].metadata.path: field \"env\""),
        (#"metadata: { eventID: true }"#, "inputs[0].metadata.eventID: unknown key (did you mean 'eventId'?)"),
    ])
    func metadataMistakes(members: String, problem: String) throws {
        let problems = try Self.problems(members)
        #expect(problems.contains { $0.hasPrefix(problem) }, "\(problems)")
    }
}
