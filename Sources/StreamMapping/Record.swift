/// The fields parsed from one line, reused from line to line without allocating.
///
/// A value is a byte range of the line (text, escaped when the event is written), text or a
/// JSON fragment held in the record's own scratch bytes, or a JSON fragment in the line, copied
/// as it is. Setting a field that is already set replaces its value and keeps its place.
///
/// Field names are numbered by the record (`field(_:)`), so that a parser looks a name up once
/// and then sets values by number.
///
/// It cannot be copied: its buffers are its own (`RecordBuffer`), so that the hot path reads and
/// writes them without reference counting or uniqueness checks, and it frees them when it ends.
public struct Record: ~Copyable {
    /// One field's value: `count` bytes at `start` of the line or of the scratch bytes, either
    /// text (escaped when written) or a JSON value (copied as it is).
    struct Entry {
        var field: Int
        var start: Int
        var count: Int
        var isText: Bool
        var inLine: Bool
    }

    /// A JSON line that passes through as the event: the object's bytes in the line.
    struct Object {
        var range: Range<Int>
        var hasInvalidUTF8: Bool
        /// The `"`, `\\` and control bytes in `range`: its escaped length is its count plus this.
        var specials: Int
    }

    /// A top-level member of a pass-through object: its bytes from the key's opening quote to
    /// the value's end, and the field its key names (-1 when the mapping does not know the key).
    struct Member {
        var field: Int
        var range: Range<Int>
    }

    private(set) var names: FieldNames
    /// Per field index, the name as the encoder writes it.
    private(set) var chunks: NameChunkTable
    /// The line being parsed (without its terminator).
    public private(set) var line: UnsafeRawBufferPointer
    /// Why the parser rejected the line; set it (or call `reject(_:)`) before returning false.
    public var failure: String?
    /// The parser asked for the line to be dropped (no event), as csv's `skipHeader` does.
    public private(set) var isDropped = false
    /// The fields set, in order: the first `entryCount` of `entries` (the rest is spare room,
    /// kept so that a new line costs no allocation).
    var entries: RecordBuffer<Entry>
    var entryCount = 0
    /// Entry index per field index, -1 when the field is not set.
    var slots: RecordBuffer<Int32>
    private(set) var scratch: ScratchBytes
    var object: Object?
    var members: [Member] = []

    /// Creates an empty record (for trying a parser on its own).
    public init() {
        self.init(names: FieldNames())
    }

    init(names: FieldNames) {
        self.names = names
        self.line = UnsafeRawBufferPointer(start: nil, count: 0)
        entries = RecordBuffer(count: 32, repeating: Entry(field: 0, start: 0, count: 0, isText: true,
                                                           inLine: true))
        scratch = ScratchBytes(capacity: 1024)
        members.reserveCapacity(32)
        slots = RecordBuffer(count: max(names.count, 16), repeating: -1)
        chunks = NameChunkTable(capacity: names.count)
        addChunks()
    }

    deinit {
        entries.deallocate()
        slots.deallocate()
        scratch.deallocate()
        chunks.deallocate()
    }

    /// Clears the fields and starts on `line`; keeps every buffer's capacity.
    @inline(__always)
    mutating func reset(line: UnsafeRawBufferPointer) {
        for index in 0..<entryCount { slots[entries[index].field] = -1 }
        entryCount = 0
        scratch.truncate(to: 0)
        if !members.isEmpty { members.removeAll(keepingCapacity: true) }
        object = nil
        failure = nil
        isDropped = false
        self.line = line
    }

    /// Adds the chunks of names interned since the last call.
    private mutating func addChunks() {
        while chunks.count < names.count {
            let index = chunks.count
            names.withChunk(index) { chunks.append($0, specials: names.nameSpecials[index],
                                                    isAdded: names.isAdded[index]) }
        }
    }

    /// The number of fields set.
    public var count: Int { entryCount }

    /// The id of the field called `name`, registering the name on first use (a dictionary
    /// lookup: a parser on a hot path looks its names up once and keeps the ids).
    public mutating func field(_ name: String) -> FieldID {
        let index = names.intern(name)
        if index >= chunks.count { addChunks() }
        if index >= slots.count { growSlots(to: index + 1) }
        return FieldID(index: index)
    }

    /// Sets `field` to the text in `range` of the line.
    public mutating func set(_ field: FieldID, lineBytes range: Range<Int>) {
        check(field, range)
        store(field.index, range.lowerBound, range.count, isText: true, inLine: true)
    }

    /// Sets `field` to the JSON value written in `range` of the line, which must be valid JSON.
    public mutating func set(_ field: FieldID, lineJSON range: Range<Int>) {
        check(field, range)
        store(field.index, range.lowerBound, range.count, isText: false, inLine: true)
    }

    /// Sets `field` to a copy of `text` (UTF-8, escaped when written).
    public mutating func set(_ field: FieldID, text: UnsafeRawBufferPointer) {
        check(field)
        let start = scratch.count
        scratch.append(text)
        store(field.index, start, text.count, isText: true, inLine: false)
    }

    /// Sets `field` to a copy of `text`.
    public mutating func set(_ field: FieldID, text: String) {
        check(field)
        let start = scratch.count
        var text = text
        text.withUTF8 { scratch.append(UnsafeRawBufferPointer($0)) }
        store(field.index, start, scratch.count - start, isText: true, inLine: false)
    }

    /// Sets `field` to a copy of `json`, which must be one valid JSON value.
    public mutating func set(_ field: FieldID, json: UnsafeRawBufferPointer) {
        check(field)
        let start = scratch.count
        scratch.append(json)
        store(field.index, start, json.count, isText: false, inLine: false)
    }

    /// Sets `field` to a constant; a double that JSON cannot express (NaN, infinity) becomes null.
    public mutating func set(_ field: FieldID, _ value: FieldValue) {
        if case .string(let text) = value { return set(field, text: text) }
        check(field)
        let start = scratch.count
        scratch.append(contentsOf: value.jsonText ?? Array("null".utf8))
        store(field.index, start, scratch.count - start, isText: false, inLine: false)
    }

    /// Traps on a parser bug: an id this record did not issue, or a range outside the line.
    private func check(_ field: FieldID, _ range: Range<Int> = 0..<0) {
        precondition(field.index >= 0 && field.index < names.count, "field id from another record")
        precondition(range.lowerBound >= 0 && range.upperBound <= line.count, "range outside line")
    }

    /// Records why the line does not fit and returns false, for `return record.reject("...")`.
    public mutating func reject(_ reason: String) -> Bool {
        failure = reason
        return false
    }

    /// Marks the line to be dropped: no event is made of it, as for a drop route. Returns true
    /// (the line was understood), for `return record.drop()` in a parser.
    public mutating func drop() -> Bool {
        isDropped = true
        return true
    }

    /// Whether `field` is set.
    public func contains(_ field: FieldID) -> Bool {
        field.index < slots.count && slots[field.index] >= 0
    }

    /// Removes `field` from the record; the fields after it keep their order. Nothing happens
    /// when the field is not set.
    public mutating func remove(_ field: FieldID) {
        guard field.index < slots.count else { return }
        let slot = Int(slots[field.index])
        guard slot >= 0 else { return }
        slots[field.index] = -1
        var index = slot
        while index + 1 < entryCount {
            entries[index] = entries[index + 1]
            slots[entries[index].field] = Int32(index)
            index += 1
        }
        entryCount -= 1
    }

    /// Whether the field at `index` is text (nil when it is not set).
    @inline(__always)
    func isText(ofIndex index: Int) -> Bool? {
        guard index < slots.count, slots[index] >= 0 else { return nil }
        return entries[Int(slots[index])].isText
    }

    /// The byte count of the field at `index` (nil when it is not set).
    func count(ofIndex index: Int) -> Int? {
        guard index < slots.count, slots[index] >= 0 else { return nil }
        return entries[Int(slots[index])].count
    }

    /// Marks the set field at `index` as text (escaped when written) or as JSON (copied), its
    /// bytes unchanged: a captured `200` becomes the number 200 without a copy.
    @inline(__always)
    mutating func setKind(ofIndex index: Int, isText: Bool) {
        guard index < slots.count, slots[index] >= 0 else { return }
        entries[Int(slots[index])].isText = isText
    }

    /// Calls `body` with the text of `field` (a string's bytes, or a JSON value's text), or
    /// returns nil when the field is not set. The bytes are valid only inside `body`.
    public func withText<R>(of field: FieldID, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        withText(ofIndex: field.index, body)
    }

    @inline(__always)
    func withText<R>(ofIndex index: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        guard index < slots.count else { return nil }
        let slot = Int(slots[index])
        guard slot >= 0 else { return nil }
        let entry = entries[slot]
        let base = entry.inLine ? line.baseAddress : UnsafeRawPointer(scratch.base)
        return body(UnsafeRawBufferPointer(start: base.map { $0 + entry.start }, count: entry.count))
    }

    /// `withText(of:_:)` through a pointer, for the hot path.
    @inline(__always)
    static func withText<R>(
        in record: UnsafePointer<Record>, ofIndex index: Int, _ body: (UnsafeRawBufferPointer) -> R
    ) -> R? {
        record.pointee.withText(ofIndex: index, body)
    }

    // MARK: - Building values in place (for the parsers of this module)

    /// Appends a byte to the scratch area, for a value built piece by piece (an unescaped string).
    mutating func appendScratch(_ byte: UInt8) { scratch.append(byte) }

    var scratchCount: Int { scratch.count }

    /// The field named by the scratch bytes from `start` to the end (an unescaped JSON key).
    func lookupScratchKey(from start: Int) -> Int? {
        names.lookup(UnsafeRawBufferPointer(rebasing: scratch.bytes[start...]))
    }

    /// Drops the scratch bytes from `count` on (a temporary that no field refers to).
    mutating func truncateScratch(to count: Int) {
        scratch.truncate(to: count)
    }

    /// Sets `field` to scratch bytes `start..<scratchCount` as text.
    mutating func setScratchText(_ field: Int, from start: Int) {
        store(field, start, scratch.count - start, isText: true, inLine: false)
    }

    mutating func setLineText(_ field: Int, _ start: Int, _ count: Int) {
        store(field, start, count, isText: true, inLine: true)
    }

    mutating func setLineJSON(_ field: Int, _ start: Int, _ count: Int) {
        store(field, start, count, isText: false, inLine: true)
    }

    @inline(__always)
    mutating func store(
        _ field: Int, _ start: Int, _ count: Int, isText: Bool, inLine: Bool
    ) {
        if field >= slots.count { growSlots(to: field + 1) }
        let slot = Int(slots[field])
        let entry = Entry(field: field, start: start, count: count, isText: isText, inLine: inLine)
        if slot >= 0 {
            entries[slot] = entry
            return
        }
        slots[field] = Int32(entryCount)
        if entryCount == entries.count { entries.grow(to: entryCount + 1, repeating: entry) }
        entries[entryCount] = entry
        entryCount += 1
    }

    mutating func growSlots(to needed: Int) {
        slots.grow(to: max(needed, names.count), repeating: -1)
    }
}
