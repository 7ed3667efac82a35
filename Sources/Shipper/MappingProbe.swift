import AtomBase
import LogTail
import StreamMapping

/// Runs lines through one input's mapping the way `run` does, and sends nothing: the container
/// envelope and multiline grouping (`EventAssembler`), the source fields, then the parser,
/// field operations and routes (`EventMapper`). Each event goes to a handler with its stream and
/// what decided it. For `atom-shipper preview` and the config's `tests`.
///
/// Feed it with a `PipeReader` (it is a `LineConsumer`), one file at a time, and call
/// `endFile()` after each, which emits what multiline grouping still holds.
final class MappingProbe: LineConsumer {
    /// What the mapping made of one event; the bytes are valid only during the handler's call.
    struct Outcome {
        /// The stream's name, or nil when the event was dropped (by a route or the json
        /// parser's `nonObject: drop`).
        var stream: String?
        /// The event's JSON, empty when it was dropped.
        var event: UnsafeRawBufferPointer
        /// The text the parser was given: the line, or the lines a multiline event joined.
        var text: UnsafeRawBufferPointer
        var decision: RoutingDecision
        /// Why the parser rejected it, when it did.
        var failure: String?
    }

    let mapper: EventMapper
    private let assembler: EventAssembler?
    private let sourceFields: SourceFieldWriter
    private let handler: (Outcome) -> Void
    private let out = ByteBuffer(capacity: 1 << 16)
    private var path = ""

    /// Compiles `spec`; `handler` gets every event.
    ///
    /// - Throws: `MappingError` as `EventMapper` and `EventAssembler` do.
    init(spec: MappingSpec, handler: @escaping (Outcome) -> Void) throws(MappingError) {
        mapper = try EventMapper(spec: spec)
        assembler = EventAssembler.isNeeded(for: spec) ? try EventAssembler(spec: spec) : nil
        sourceFields = SourceFieldWriter(mapper: mapper)
        self.handler = handler
    }

    func consume(_ chunk: LineChunk) -> Int {
        path = chunk.file.path
        sourceFields.begin(path: path, fingerprint: chunk.file.fingerprint, readAt: Clock.unixTime())
        guard let assembler else {
            let none = UnsafeRawBufferPointer(start: nil, count: 0)
            for i in 0..<chunk.count {
                let event = AssembledEvent(text: chunk.line(i), offset: chunk.offset(i), stream: none, time: none)
                place(event, truncated: chunk.isTruncated(i))
            }
            return 0
        }
        assembler.begin(file: chunk.file.id)
        for i in 0..<chunk.count {
            assembler.push(chunk.line(i), offset: chunk.offset(i)) { place($0, truncated: false) }
        }
        assembler.endChunk()
        return 0
    }

    func caughtUp() {}

    /// The file read last has ended: emits what the assembler still holds of it.
    func endFile() {
        guard let assembler else { return }
        sourceFields.begin(path: path, fingerprint: "", readAt: Clock.unixTime())
        assembler.flush(file: 0, quietSeconds: nil) { place($0, truncated: false) }
    }

    /// Maps one event as `InputPipeline` does and hands the outcome to the handler.
    private func place(_ event: AssembledEvent, truncated: Bool) {
        sourceFields.set(offset: event.offset, stream: event.stream, time: event.time)
        let decision: RoutingDecision
        if event.isRejected, let assembler {
            decision = mapper.explainRejected(event.text, reason: assembler.rejection)
        } else {
            decision = mapper.explain(event.text)
        }
        out.removeAll()
        if decision.target != nil {
            mapper.encode(into: out)
            if truncated { _ = InputPipeline.markTruncated(out) }
        }
        handler(Outcome(
            stream: decision.target.map { mapper.streams[$0].name }, event: out.bytes, text: event.text,
            decision: decision, failure: decision.parseFailed ? mapper.failureReason : nil
        ))
    }
}
