import AtomBase
@testable import AtomSDK
import Foundation
import Testing
import TestSupport

@Suite("Atom wire format")
struct WireTests {
    @Test("the embedded vectors match shared/atom-wire-vectors.json",
          .disabled(if: ProcessInfo.processInfo.environment["ATOM_SKIP_SHARED"] == "1", "ATOM_SKIP_SHARED=1"))
    func embeddedVectorsMatchTheSharedFile() throws {
        let shared = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().appendingPathComponent("../../../shared/atom-wire-vectors.json")
            .standardizedFileURL
        #expect(WireVector.all.count == 5)
        guard let data = FileManager.default.contents(atPath: shared.path) else {
            Issue.record("\(shared.path) is missing; set ATOM_SKIP_SHARED=1 to skip the tests that read ../shared")
            return
        }
        let file = try JSONSerialization.jsonObject(with: data) as? NSDictionary
        let embedded = try JSONSerialization.jsonObject(with: Data(atomWireVectorsJSON.utf8)) as? NSDictionary
        #expect(file != nil)
        #expect(file == embedded)
    }

    @Test("the HMAC of each vector's data string is the vector's auth",
          arguments: WireVector.all.filter { $0.auth != nil })
    func hmacMatchesVector(_ vector: WireVector) {
        var data = vector.data
        let hmac = data.withUTF8 { AtomWire.hmacSHA256Hex(key: vector.authKey, data: UnsafeRawBufferPointer($0)) }
        #expect(hmac == vector.auth)
        #expect(AtomReceiver.hmacHex(key: vector.authKey, data: Array(vector.data.utf8)) == vector.auth)
    }

    @Test("bodies built from the events are byte-equal to the vectors", arguments: WireVector.all)
    func bodyMatchesVector(_ vector: WireVector) {
        let key = vector.authKey.isEmpty ? nil : vector.authKey
        let body: [UInt8]
        if vector.bulk {
            body = AtomWire.bulkBody(stream: vector.stream, events: vector.events, authKey: key)
        } else {
            body = AtomWire.singleBody(stream: vector.stream, data: vector.events[0], authKey: key)
        }
        #expect(String(decoding: body, as: UTF8.self) == vector.body)
    }

    @Test("an empty key leaves auth out just like no key", arguments: WireVector.all.filter(\.bulk))
    func emptyKeyIsNoKey(_ vector: WireVector) {
        let none = AtomWire.bulkBody(stream: vector.stream, events: vector.events, authKey: nil)
        let empty = AtomWire.bulkBody(stream: vector.stream, events: vector.events, authKey: "")
        #expect(none == empty)
        #expect(!String(decoding: none, as: UTF8.self).contains("\"auth\""))
    }

    @Test("the hot-path bulk body of a batch equals the vector", arguments: WireVector.all.filter(\.bulk))
    func batchBodyMatchesVector(_ vector: WireVector) {
        let batch = EventBatch(stream: vector.stream, authKey: vector.authKey, events: vector.events)
        let out = ByteBuffer()
        out.append(string: "leftover")
        out.removeAll()
        AtomWire.bulkBody(batch, into: out)
        #expect(out.string == vector.body)
        #expect(batch.dataBytes == vector.data.utf8.count)
    }

    @Test("the GET query carries the vector's base64", arguments: WireVector.all)
    func getQueryMatchesVector(_ vector: WireVector) {
        let body = Array(vector.body.utf8)
        #expect(AtomWire.base64(body) == vector.getQueryData)
        let query = AtomWire.getQuery(body: body)
        #expect(query.hasPrefix("data="))
        #expect(String(query.dropFirst(5)).removingPercentEncoding == vector.getQueryData)
    }

    @Test("base64 of every short length matches Foundation's")
    func base64MatchesFoundation() {
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(AtomWire.base64(bytes) == Data(bytes).base64EncodedString(), "length \(length)")
        }
    }

    @Test("the escaped length equals what JSON.appendEscaped writes, for awkward bytes")
    func escapedLengthMatchesTheEscaper() {
        var generator = SystemRandomNumberGenerator()
        let pieces: [[UInt8]] = [[0x22], [0x5C], [0x0A], [0x01], [0x1F], [0x7F], [0xC3, 0xA9], [0xE2, 0x80, 0x93],
                                 [0xF0, 0x9F, 0x98, 0x80], [0xC3], [0xFF], [0xED, 0xA0, 0x80], [0x61]]
        for _ in 0..<500 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0..<20, using: &generator) {
                bytes += pieces[Int.random(in: 0..<pieces.count, using: &generator)]
            }
            let out = ByteBuffer()
            _ = bytes.withUnsafeBytes { JSON.appendEscaped($0, to: out) }
            let length = bytes.withUnsafeBytes { AtomWire.escapedLength($0) }
            #expect(length == out.count, "bytes \(bytes)")
        }
    }

    @Test("a slab keeps committed events, drops rolled-back bytes and run-length encodes tokens")
    func slabCommitAndRollback() {
        let slab = EventSlab(capacity: 16)
        slab.data.append(string: "{\"a\":1}")
        slab.commit(token: 7)
        slab.data.append(string: "{\"half\":")
        slab.rollback()
        slab.data.append(string: "{\"b\":2}")
        slab.commit(token: 7)
        slab.data.append(string: "{\"c\":3}")
        slab.commit(token: 9)
        #expect(slab.count == 3)
        #expect(slab.byteCount == 21 + 3, "three events of 7 bytes, each stored with its line feed")
        #expect(String(decoding: slab.event(at: 1), as: UTF8.self) == "{\"b\":2}")
        #expect(slab.tokens == [TokenRun(token: 7, count: 2), TokenRun(token: 9, count: 1)])
        slab.removeAll()
        #expect(slab.count == 0 && slab.byteCount == 0 && slab.tokens.isEmpty)
    }

    @Test("splitting a batch halves its events and tokens")
    func batchSplit() {
        let events = (0..<5).map { event($0) }
        let batch = EventBatch(stream: "s", authKey: nil, events: events, token: 3)
        let (first, second) = batch.split()
        #expect(first.count == 2 && second.count == 3)
        #expect(String(decoding: second.event(at: 0), as: UTF8.self) == events[2])
        #expect(first.tokens == [TokenRun(token: 3, count: 2)])
        #expect(second.tokens == [TokenRun(token: 3, count: 3)])
        #expect(first.byteCount + second.byteCount == batch.byteCount)
    }
}
