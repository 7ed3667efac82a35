import AtomBase

/// Decompresses a gzip archive ahead of its reader on a thread of its own, so that inflating and
/// parsing use both cores: a backfill then runs at about the speed of the slower of the two.
///
/// The prefetcher owns its `GzipReader` until the archive ends (finished, corrupt, or the compressed
/// bytes run out); then its thread stops and `read` hands back the terminal status. A `.needMore`
/// archive (still being written) continues synchronously through `reader` afterwards.
final class GzipPrefetcher: @unchecked Sendable {
    // Safe: `slots`, `terminal` and `stopping` are only touched under `lock`; a slot's bytes are
    // written by the producer before it is published and read by the consumer after, never both.
    static let slotBytes = 256 * 1024
    static let slotCount = 3

    private let reader: GzipReader
    private let lock = ConditionLock()
    private var ready: [(slot: Int, count: Int)] = []
    private var free: [Int]
    private let storage: UnsafeMutablePointer<UInt8>
    private var terminal: GzipReader.Status?
    private var stopping = false
    private let finished = Completion()
    /// Bytes of the slot at the head of `ready` already handed out.
    private var headOffset = 0

    init(reader: GzipReader) {
        self.reader = reader
        storage = .allocate(capacity: Self.slotBytes * Self.slotCount)
        free = Array(0..<Self.slotCount)
        Threads.spawn(name: "gunzip") { [self] in produce() }
    }

    deinit { storage.deallocate() }

    /// Stops the producer and waits for it; call before closing the file.
    func cancel() {
        lock.withLock { stopping = true }
        lock.broadcast()
        finished.wait()
    }

    private func produce() {
        defer { finished.signal() }
        while true {
            var slot = -1
            lock.lock()
            while free.isEmpty && !stopping { lock.wait() }
            if stopping {
                lock.unlock()
                return
            }
            slot = free.removeFirst()
            lock.unlock()

            let status = reader.read(into: storage + slot * Self.slotBytes, capacity: Self.slotBytes)
            lock.lock()
            if case .data(let n) = status {
                ready.append((slot, n))
            } else {
                free.append(slot)
                terminal = status
            }
            lock.unlock()
            lock.broadcast()
            if terminal != nil { return }
        }
    }

    /// Copies up to `capacity` decompressed bytes into `output`, waiting for the producer when it
    /// is behind. After the producer stopped, returns its terminal status once, then reads through
    /// the underlying reader directly.
    func read(into output: UnsafeMutablePointer<UInt8>, capacity: Int) -> GzipReader.Status {
        lock.lock()
        while ready.isEmpty && terminal == nil { lock.wait() }
        if let head = ready.first {
            let n = min(capacity, head.count - headOffset)
            output.update(from: storage + head.slot * Self.slotBytes + headOffset, count: n)
            headOffset += n
            if headOffset == head.count {
                ready.removeFirst()
                free.append(head.slot)
                headOffset = 0
                lock.unlock()
                lock.broadcast()
            } else {
                lock.unlock()
            }
            return .data(n)
        }
        let status = terminal ?? .finished
        lock.unlock()
        finished.wait()
        if status == .needMore {
            // The archive is still growing: from here on the caller reads synchronously.
            return reader.read(into: output, capacity: capacity)
        }
        return status
    }

    var compressedOffset: Int64 {
        finished.isDone ? reader.compressedOffset : -1
    }

    var trailingGarbage: Bool { finished.isDone && reader.trailingGarbage }
}
