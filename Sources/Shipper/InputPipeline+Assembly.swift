import AtomBase
import LogTail
import StreamMapping

/// The path of inputs with a container format, multiline grouping or per-event metadata: lines
/// go through the `EventAssembler` (when there is one) and each event gets its source fields
/// before it is mapped. Inputs without any of these never come here.
extension InputPipeline {
    func consumeAssembled(_ chunk: LineChunk) -> Int {
        let timing = StageClock.shared.enabled
        let started = timing ? StageClock.threadNanos() : 0
        let token = Self.token(input: index, chunk: chunk.token)
        sourceFields.begin(path: chunk.file.path, fingerprint: chunk.file.fingerprint, readAt: Clock.unixTime())
        var produced = 0
        var dropped = 0
        let cutBefore = assembler?.eventsCut ?? 0
        if let assembler {
            assembler.begin(file: chunk.file.id)
            for i in 0..<chunk.count {
                assembler.push(chunk.line(i), offset: chunk.offset(i)) { event in
                    if place(event, token: token) { produced += 1 } else { dropped += 1 }
                }
            }
            assembler.endChunk()
        } else {
            let none = UnsafeRawBufferPointer(start: nil, count: 0)
            for i in 0..<chunk.count {
                let event = AssembledEvent(text: chunk.line(i), offset: chunk.offset(i), stream: none, time: none)
                if place(event, token: token) { produced += 1 } else { dropped += 1 }
            }
        }
        // Grouping, parsing and encoding are not told apart on this path: all of it counts as parse.
        if timing { StageClock.shared.add(.parse, nanos: StageClock.threadNanos() &- started) }
        submitExpired()
        noteCutEvents(since: cutBefore, path: chunk.file.path)
        counters.lines.add(chunk.count, ordering: .relaxed)
        counters.events.add(produced, ordering: .relaxed)
        counters.dropped.add(dropped, ordering: .relaxed)
        counters.parseFailures.store(mapper.parseFailures, ordering: .relaxed)
        return dueAcknowledgements(produced)
    }

    func heldOffset(of file: FileDescription) -> Int64? {
        assembler?.heldOffset(file: file.id)
    }

    func fileQuiet(_ file: FileDescription, quietSeconds: Double, token: UInt64) -> Int {
        flushHeld(file, quietSeconds: quietSeconds, token: token)
    }

    func fileReleased(_ file: FileDescription, token: UInt64) -> Int {
        flushHeld(file, quietSeconds: nil, token: token)
    }

    /// Emits what the assembler holds of `file` and is due, and submits it at once: the file is
    /// quiet or gone, so nothing else would fill the batch soon.
    private func flushHeld(_ file: FileDescription, quietSeconds: Double?, token: UInt64) -> Int {
        guard let assembler else { return 0 }
        let token = Self.token(input: index, chunk: token)
        sourceFields.begin(path: file.path, fingerprint: file.fingerprint, readAt: Clock.unixTime())
        var produced = 0
        var dropped = 0
        let cutBefore = assembler.eventsCut
        assembler.flush(file: file.id, quietSeconds: quietSeconds) { event in
            if place(event, token: token) { produced += 1 } else { dropped += 1 }
        }
        noteCutEvents(since: cutBefore, path: file.path)
        if produced > 0 { submitAll() }
        counters.events.add(produced, ordering: .relaxed)
        counters.dropped.add(dropped, ordering: .relaxed)
        counters.parseFailures.store(mapper.parseFailures, ordering: .relaxed)
        return dueAcknowledgements(produced)
    }

    /// Maps one event into its stream's slab; false when a route dropped it.
    @inline(__always)
    private func place(_ event: AssembledEvent, token: UInt64) -> Bool {
        sourceFields.set(offset: event.offset, stream: event.stream, time: event.time)
        let routed: Int?
        if event.isRejected, let assembler {
            routed = mapper.routeRejected(event.text, reason: assembler.rejection)
        } else {
            routed = mapper.route(event.text)
        }
        guard let stream = routed else { return false }
        let size = mapper.encode(into: slabs[stream].data)
        commitEvent(stream, size: size, token: token)
        return true
    }

    /// Logs events that the assembler ended early (at the maximum lines or bytes).
    private func noteCutEvents(since before: Int, path: String) {
        guard let assembler, assembler.eventsCut > before else { return }
        logger.warning("event reached the maximum lines or bytes; the lines after it begin another event",
                       ["input": name, "path": path, "events": String(assembler.eventsCut - before)])
    }
}
