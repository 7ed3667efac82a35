import AtomBase
import Glibc

/// A field name's number within one mapper, from `Record.field(_:)`; stable for the life of
/// the record (and so of the mapper) that issued it.
public struct FieldID: Hashable, Sendable {
    /// The position in the mapper's name table.
    public let index: Int
}

/// The field names one mapper knows, each escaped once: stored as raw bytes (to find a JSON key)
/// and as a ready-made chunk of event text that starts its member.
///
/// Names are only ever added, so an index never changes meaning.
struct FieldNames {
    private var indexByName: [String: Int] = [:]
    /// Raw UTF-8 of every name, back to back; `rawRanges[i]` is name i.
    private(set) var rawBytes: [UInt8] = []
    private(set) var rawRanges: [Range<Int>] = []
    /// Per name, `","name":"`: the quote that closes a string value before it, the comma, the
    /// escaped name with its colon, and the quote that opens a string value. A member is written
    /// as one slice of it (see `EventMapper.encode(into:)`).
    private(set) var chunkBytes: [UInt8] = []
    private(set) var chunkRanges: [Range<Int>] = []
    /// Per name: true when the mapping adds this field itself, so a parsed value is not written.
    private(set) var isAdded: [Bool] = []
    /// Per name: the `"`, `\\` and control bytes its chunk holds besides the four structural
    /// quotes, i.e. inside the escaped name (what escaping the chunk once more adds for the name).
    private(set) var nameSpecials: [Int] = []

    var count: Int { rawRanges.count }

    /// The index of `name`, adding it when new.
    mutating func intern(_ name: String) -> Int {
        if let index = indexByName[name] { return index }
        let index = rawRanges.count
        indexByName[name] = index
        let raw = Array(name.utf8)
        rawRanges.append(rawBytes.count..<(rawBytes.count + raw.count))
        rawBytes.append(contentsOf: raw)
        let chunk = Array(("\"," + JSON.quoted(name) + ":\"").utf8)
        chunkRanges.append(chunkBytes.count..<(chunkBytes.count + chunk.count))
        nameSpecials.append(chunk.withUnsafeBytes { JSON.specialCount($0) } - 4)
        chunkBytes.append(contentsOf: chunk)
        isAdded.append(false)
        return index
    }

    mutating func markAdded(_ index: Int) { isAdded[index] = true }

    /// Calls `body` with name `index`'s chunk bytes.
    func withChunk<R>(_ index: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        chunkBytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[chunkRanges[index]])) }
    }

    /// The index of the name whose raw bytes equal `key`, if any: a short linear scan, as a
    /// mapping knows few names (its routes' fields, added fields, the parse-failure fields).
    func lookup(_ key: UnsafeRawBufferPointer) -> Int? {
        let count = key.count
        return rawBytes.withUnsafeBytes { raw -> Int? in
            for (index, range) in rawRanges.enumerated() where range.count == count {
                guard count > 0 else { return index }
                guard let base = raw.baseAddress, let keyBase = key.baseAddress else { continue }
                if memcmp(base + range.lowerBound, keyBase, count) == 0 { return index }
            }
            return nil
        }
    }
}
