import AtomBase

/// What an `EventAssembler` holds of one file: the multiline event being grouped and, per
/// container stream, the first parts of a line being joined.
final class FileAssembly {
    /// The first parts of one container stream's line.
    final class Partial {
        let text = PendingText()
        let stream = ByteBuffer(capacity: 16)
        let time = ByteBuffer(capacity: 48)
    }

    let group = PendingText()
    /// The container stream and time of the group's first line.
    let groupStream = ByteBuffer(capacity: 16)
    let groupTime = ByteBuffer(capacity: 48)
    private(set) var partials: [Partial] = []
    /// How many of `partials` are active (behind a pointer: read for every container line).
    private let active: UnsafeMutablePointer<Int>

    init() {
        active = .allocate(capacity: 1)
        active.initialize(to: 0)
    }

    deinit { active.deallocate() }

    var activePartials: Int {
        get { active.pointee }
        set { active.pointee = newValue }
    }

    var holdsNothing: Bool { !group.isActive && activePartials == 0 }

    /// Offset of the first line held, if any.
    var heldOffset: Int64? {
        var first: Int64? = group.isActive ? group.offset : nil
        if activePartials > 0 {
            for partial in partials where partial.text.isActive {
                first = min(first ?? partial.text.offset, partial.text.offset)
            }
        }
        return first
    }

    /// The partial-line slot of container stream `stream` (made on first use).
    func partial(for stream: UnsafeRawBufferPointer) -> Partial {
        for partial in partials where partial.stream.bytes.elementsEqual(stream) { return partial }
        let made = Partial()
        made.stream.append(stream)
        partials.append(made)
        return made
    }

    /// The end of a chunk: copies what is held out of its bytes.
    func detach() {
        group.detach()
    }

    /// Forgets everything (the file is gone); keeps the buffers for reuse.
    func reset() {
        group.clear()
        for partial in partials { partial.text.clear() }
        activePartials = 0
    }
}

/// Copies `bytes` into `buffer` in place of what it held.
@inline(__always)
func replaceContents(of buffer: ByteBuffer, with bytes: UnsafeRawBufferPointer) {
    buffer.removeAll()
    buffer.append(bytes)
}
