import AtomBase
import CSystem
import Glibc
import Synchronization

/// Reads the lines of a stream that is not a file (standard input, a pipe) until its end, framed
/// as a file's lines are (LF or CRLF, `maxLineBytes`, NUL bytes skipped, Latin-1 converted when
/// configured), and hands them to a consumer. Nothing is checkpointed: a stream cannot be read
/// again, so a line is delivered at most as often as the stream is piped in.
public final class PipeReader: @unchecked Sendable {
    // Safe: the framing state and buffers are touched only by the thread inside `run`; the
    // counters and `stopping` are atomic, and `wakeFD` is only written by `stop`.
    public let options: TailOptions
    /// The name chunks carry as their file's path.
    public let name: String
    private let fd: Int32
    private let logger: Logger
    private let framer: LineFramer
    private let framing = FramingState(offset: 0)
    private let work: UnsafeMutablePointer<UInt8>
    private let workCapacity: Int
    private let converted: ByteBuffer?
    private let stopping = Atomic<Bool>(false)
    private let wakeFD: Int32
    private let outstanding = Atomic<Int>(0)
    public let counters = TailCounters()

    /// - Parameters:
    ///   - fd: the descriptor to read (not closed by the reader).
    ///   - name: what the chunks name as their path, e.g. `-` for standard input.
    public init(fd: Int32, name: String, options: TailOptions, logger: Logger) {
        self.fd = fd
        self.name = name
        self.options = options
        self.logger = logger
        framer = LineFramer(maxLineBytes: options.maxLineBytes)
        workCapacity = framer.maxLineBytes + 1 + options.readBufferBytes
        work = .allocate(capacity: workCapacity)
        converted = options.encoding == .latin1 ? ByteBuffer(capacity: 2 * workCapacity) : nil
        wakeFD = atom_eventfd(0, atom_efd_nonblock() | atom_efd_cloexec())
    }

    deinit {
        work.deallocate()
        if wakeFD >= 0 { close(wakeFD) }
    }

    /// Makes `run` return soon, as if the stream had ended (any thread).
    public func stop() {
        stopping.store(true, ordering: .releasing)
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// Events handed out and not acknowledged yet.
    public var pendingEvents: Int { outstanding.load(ordering: .relaxed) }

    /// Records that `count` events of a chunk are settled (any thread).
    public func acknowledge(token: UInt64, count: Int) {
        outstanding.subtract(count, ordering: .relaxed)
    }

    /// Reads until the end of the stream (or `stop()`); the last line is emitted even without a
    /// newline. Returns an error message when the stream could not be read.
    @discardableResult
    public func run(consumer: any LineConsumer) -> String? {
        var sequence: UInt64 = 0
        var position: Int64 = 0
        var failure: String?
        while !stopping.load(ordering: .acquiring) {
            if !consumer.hasRoom() {
                _ = consumer.waitForRoom(timeout: 0.05)
                continue
            }
            guard waitReadable() else { continue }
            let prefix = framing.carry.count
            if prefix > 0 { work.update(from: framing.carry.base, count: prefix) }
            let n: Int
            do {
                n = try Sys.read(fd, work + prefix, min(options.readBufferBytes, workCapacity - prefix), path: name)
            } catch {
                if error.errno == EAGAIN { continue }
                failure = error.description
                logger.error("cannot read the input stream", ["input": options.input, "error": error.description])
                break
            }
            if n == 0 { break }
            counters.bytes.add(n, ordering: .relaxed)
            framer.frame(work, prefix: prefix, count: prefix + n, dataOffset: position, state: framing,
                         flushTail: false)
            position += Int64(n)
            deliver(consumer: consumer, sequence: &sequence)
        }
        let prefix = framing.carry.count
        if prefix > 0 {
            work.update(from: framing.carry.base, count: prefix)
            framer.frame(work, prefix: prefix, count: prefix, dataOffset: position, state: framing, flushTail: true)
            deliver(consumer: consumer, sequence: &sequence)
        }
        consumer.caughtUp()
        return failure
    }

    /// Waits until the stream has bytes (or has ended) or `stop()` was called.
    private func waitReadable() -> Bool {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
        let rc = poll(&fds, 2, 250)
        return rc > 0 && fds[0].revents != 0
    }

    private func deliver(consumer: any LineConsumer, sequence: inout UInt64) {
        let lineCount = framer.lineCount
        guard lineCount > 0 else { return }
        counters.lines.add(lineCount, ordering: .relaxed)
        var cutLines = 0
        for i in 0..<lineCount where framer.truncated.base[i] {
            cutLines += 1
            counters.truncatedLines.add(1, ordering: .relaxed)
            logger.warning("line longer than maxLineBytes was cut",
                           ["input": options.input, "path": name, "maxLineBytes": String(options.maxLineBytes)])
        }
        if let converted { framer.convertLatin1(into: converted) }
        let chunk = LineChunk(file: FileDescription(id: 0, path: name, fingerprint: "", isGzip: false),
                              token: Progress.token(id: 0, sequence: sequence), framer: framer, cutLines: cutLines)
        sequence &+= 1
        outstanding.add(consumer.consume(chunk), ordering: .relaxed)
    }
}
