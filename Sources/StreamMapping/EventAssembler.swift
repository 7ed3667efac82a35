import AtomBase

/// One event put together by an `EventAssembler`; its bytes are valid only during `emit`.
public struct AssembledEvent {
    /// What the parser gets: the message out of its container envelope, parts joined; for a
    /// multiline event its lines joined with LF.
    public var text: UnsafeRawBufferPointer
    /// File offset of the event's first line.
    public var offset: Int64
    /// The container envelope's stream and time (empty without a container format).
    public var stream: UnsafeRawBufferPointer
    public var time: UnsafeRawBufferPointer
    /// The line is not in the container format: `text` is the whole line, and
    /// `EventAssembler.rejection` says why. (A flag rather than the reason itself, so that
    /// passing an event on costs no reference counting.)
    public var isRejected: Bool

    public init(text: UnsafeRawBufferPointer, offset: Int64, stream: UnsafeRawBufferPointer,
                time: UnsafeRawBufferPointer, isRejected: Bool = false) {
        self.text = text
        self.offset = offset
        self.stream = stream
        self.time = time
        self.isRejected = isRejected
    }
}

/// Turns the lines of an input's files into event texts before parsing: takes container lines
/// out of their envelope and joins their parts, then groups multiline events. State is kept per
/// file; what a file's last lines began is held until a later line, a quiet spell (`flush`) or
/// the file's release completes it.
///
/// Per chunk of one file: `begin(file:)`, `push` for each line, then `endChunk()`, which copies
/// what is held out of the chunk's bytes (bounded by the maximum bytes of an event). Not
/// thread-safe: one per input, on its tailer's thread.
public final class EventAssembler {
    private let decoder: ContainerDecoder?
    private let rule: MultilineRule?
    private let maxLines: Int
    private let maxBytes: Int
    private let flushTimeout: Double
    private let partialTimeout: Double
    private let partialMaxBytes: Int
    private let keepsEnvelope: Bool
    private var files: [UInt32: FileAssembly] = [:]
    private var spare: [FileAssembly] = []
    /// The selected file's state; `cursor` holds it unretained for the per-line path (a stored
    /// `var` of a class pays a dynamic exclusivity check on every access).
    private var current = FileAssembly()
    private var currentID: UInt32 = 0
    private let cursor: UnsafeMutablePointer<Unmanaged<FileAssembly>>
    private static var empty: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: nil, count: 0) }

    /// Why the last event with `isRejected` is not in the container format.
    public var rejection: String { decoder?.failure ?? "" }

    /// Events emitted early because they reached the maximum lines or bytes (multiline), or a
    /// joined container line its maximum bytes.
    public private(set) var eventsCut = 0

    /// Whether `spec` needs an assembler (a container format or multiline grouping).
    public static func isNeeded(for spec: MappingSpec) -> Bool {
        spec.container != nil || spec.multiline != nil
    }

    /// Compiles the multiline pattern.
    ///
    /// - Throws: `MappingError` at `multiline.pattern` when it does not compile, or at
    ///   `multiline.maxLines` / `multiline.maxBytes` when below 1.
    public init(spec: MappingSpec) throws(MappingError) {
        cursor = .allocate(capacity: 1)
        decoder = spec.container.map { ContainerDecoder(format: $0.format) }
        partialTimeout = spec.container?.partialTimeout ?? 5
        partialMaxBytes = max(1, spec.container?.maxBytes ?? 1 << 20)
        keepsEnvelope = spec.container.map { $0.streamField != nil || $0.timeField != nil } ?? false
        if let multiline = spec.multiline {
            guard multiline.maxLines >= 1 else {
                throw MappingError(keyPath: "multiline.maxLines", message: "must be at least 1")
            }
            guard multiline.maxBytes >= 1 else {
                throw MappingError(keyPath: "multiline.maxBytes", message: "must be at least 1")
            }
            rule = try MultilineRule(multiline)
            maxLines = multiline.maxLines
            maxBytes = multiline.maxBytes
            flushTimeout = multiline.flushTimeout
        } else {
            rule = nil
            maxLines = 1
            maxBytes = Int.max
            flushTimeout = 0
        }
        cursor.initialize(to: .passUnretained(current))
    }

    deinit { cursor.deallocate() }

    private func select(_ state: FileAssembly, id: UInt32) {
        currentID = id
        current = state
        cursor.pointee = .passUnretained(state)
    }

    // MARK: - Lines of one chunk

    /// Selects the file the next lines come from.
    public func begin(file: UInt32) {
        select(files[file] ?? spare.popLast() ?? FileAssembly(), id: file)
    }

    /// Takes one line of the selected file; calls `emit` for each event it completes.
    public func push(_ line: UnsafeRawBufferPointer, offset: Int64, emit: (AssembledEvent) -> Void) {
        cursor.pointee._withUnsafeGuaranteedRef { push(line, offset: offset, into: $0, emit: emit) }
    }

    @inline(__always)
    private func push(_ line: UnsafeRawBufferPointer, offset: Int64, into state: FileAssembly,
                      emit: (AssembledEvent) -> Void) {
        guard let decoder else {
            group(line, offset: offset, inChunk: true, stream: Self.empty, time: Self.empty, into: state, emit: emit)
            return
        }
        guard let content = decoder.decode(line) else {
            emit(AssembledEvent(text: line, offset: offset, stream: Self.empty, time: Self.empty, isRejected: true))
            return
        }
        join(content, offset: offset, into: state, emit: emit)
    }

    /// The end of the chunk: what the file's last lines began is copied out of the chunk's bytes.
    public func endChunk() {
        current.detach()
        keepOrRecycle(current, id: currentID)
    }

    // MARK: - Held lines

    /// Offset of the first line of `file` still held (nil when none is).
    public func heldOffset(file: UInt32) -> Int64? { files[file]?.heldOffset }

    /// Emits what `file` holds: after `quietSeconds` without new data, what has waited long
    /// enough (container parts after their partial timeout, a multiline event after its flush
    /// timeout); with nil (the file is released), everything.
    public func flush(file: UInt32, quietSeconds: Double?, emit: (AssembledEvent) -> Void) {
        guard let state = files[file] else { return }
        let quiet = quietSeconds ?? .infinity
        select(state, id: file)
        if state.activePartials > 0 && quiet >= partialTimeout {
            let waiting = state.partials.filter { $0.text.isActive }.sorted { $0.text.offset < $1.text.offset }
            for partial in waiting { complete(partial, of: state, emit: emit) }
        }
        if state.group.isActive && quiet >= flushTimeout { emitGroup(of: state, emit) }
        state.detach()
        keepOrRecycle(state, id: file)
    }

    /// Keeps the state of a file that holds lines; recycles one that holds none (so that released
    /// files leave nothing behind).
    private func keepOrRecycle(_ state: FileAssembly, id: UInt32) {
        if !state.holdsNothing {
            files[id] = state
            return
        }
        files[id] = nil
        state.reset()
        if spare.count < 64 { spare.append(state) }
    }

    // MARK: - Container parts

    private func join(_ content: ContainerDecoder.Line, offset: Int64, into state: FileAssembly,
                      emit: (AssembledEvent) -> Void) {
        if !content.partial && state.activePartials == 0 {
            group(content.message, offset: offset, inChunk: content.inLine, stream: content.stream,
                  time: content.time, into: state, emit: emit)
            return
        }
        let partial = state.partial(for: content.stream)
        if partial.text.isActive {
            partial.text.append(content.message, separator: nil, inChunk: false)
        } else if content.partial {
            partial.text.begin(content.message, offset: offset, inChunk: false)
            replaceContents(of: partial.time, with: content.time)
            state.activePartials += 1
        } else {
            group(content.message, offset: offset, inChunk: content.inLine, stream: content.stream,
                  time: content.time, into: state, emit: emit)
            return
        }
        if !content.partial {
            complete(partial, of: state, emit: emit)
        } else if partial.text.count >= partialMaxBytes {
            eventsCut += 1
            complete(partial, of: state, emit: emit)
        }
    }

    /// A container line whose parts are all there (or waited long enough) goes on as one line.
    private func complete(_ partial: FileAssembly.Partial, of state: FileAssembly,
                          emit: (AssembledEvent) -> Void) {
        partial.text.detach()
        state.activePartials -= 1
        let text = partial.text.bytes
        let offset = partial.text.offset
        partial.text.clear()
        // `clear` keeps the bytes where they are until the next `begin`.
        group(text, offset: offset, inChunk: false, stream: partial.stream.bytes, time: partial.time.bytes,
              into: state, emit: emit)
    }

    // MARK: - Multiline

    @inline(__always)
    private func group(_ text: UnsafeRawBufferPointer, offset: Int64, inChunk: Bool,
                       stream: UnsafeRawBufferPointer, time: UnsafeRawBufferPointer,
                       into state: FileAssembly, emit: (AssembledEvent) -> Void) {
        guard let rule else {
            emit(AssembledEvent(text: text, offset: offset, stream: stream, time: time))
            return
        }
        let starts = rule.startsEvent(text)
        if state.group.isActive {
            if !starts {
                if state.group.count + 1 + text.count <= maxBytes {
                    state.group.append(text, separator: 0x0A, inChunk: inChunk)
                    if state.group.lines >= maxLines {
                        eventsCut += 1
                        emitGroup(of: state, emit)
                    }
                    return
                }
                eventsCut += 1
            }
            emitGroup(of: state, emit)
        }
        state.group.begin(text, offset: offset, inChunk: inChunk)
        if keepsEnvelope {
            replaceContents(of: state.groupStream, with: stream)
            replaceContents(of: state.groupTime, with: time)
        }
        if text.count >= maxBytes || maxLines == 1 { emitGroup(of: state, emit) }
    }

    private func emitGroup(of state: FileAssembly, _ emit: (AssembledEvent) -> Void) {
        emit(AssembledEvent(text: state.group.bytes, offset: state.group.offset,
                            stream: keepsEnvelope ? state.groupStream.bytes : Self.empty,
                            time: keepsEnvelope ? state.groupTime.bytes : Self.empty))
        state.group.clear()
    }
}
