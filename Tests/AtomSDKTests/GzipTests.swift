import AtomSDK
import CZlib
import Foundation
import Testing
import TestSupport

/// Inflates a gzip body with zlib, for the receiver (independent of the SDK's compressor).
@Sendable func gunzip(_ input: [UInt8]) -> [UInt8]? {
    var stream = z_stream()
    guard atom_inflate_init2(&stream, 15 + 16) == Z_OK else { return nil }
    defer { inflateEnd(&stream) }
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16 * 1024)
    var source = input
    return source.withUnsafeMutableBufferPointer { inputBuffer -> [UInt8]? in
        stream.next_in = inputBuffer.baseAddress
        stream.avail_in = uInt(inputBuffer.count)
        while true {
            let result = chunk.withUnsafeMutableBufferPointer { out -> Int32 in
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                return inflate(&stream, Z_NO_FLUSH)
            }
            output += chunk[0..<(chunk.count - Int(stream.avail_out))]
            if result == Z_STREAM_END { return output }
            if result != Z_OK { return nil }
        }
    }
}

@Suite("gzip request bodies")
struct GzipTests {
    @Test("with gzip on, bodies are compressed and decode to the vector body",
          arguments: WireVector.all.filter(\.bulk))
    func gzipBodies(_ vector: WireVector) throws {
        let receiver = try AtomReceiver(keys: vector.authKey.isEmpty ? [:] : [vector.stream: vector.authKey],
                                        decoders: ["gzip": gunzip])
        var http = HTTPOptions()
        http.gzip = true
        let transport = AtomHTTPTransport(endpoint: receiver.endpoint, options: http)

        let result = transport.send(EventBatch(stream: vector.stream, authKey: vector.authKey, events: vector.events))

        #expect(result == .delivered)
        let request = try #require(receiver.requests.first)
        #expect(request.headers["content-encoding"] == "gzip")
        #expect(Array(request.body.prefix(2)) == [0x1F, 0x8B])
        #expect(request.jsonText == vector.body)
        #expect(receiver.events(stream: vector.stream) == vector.events)
    }
}
