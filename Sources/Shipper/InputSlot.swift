import AtomBase
import AtomSDK
import LogTail
import Synchronization

/// One input as it runs: its tailer, its pipeline, and the slot number they carry in the top byte
/// of every acknowledgement token (`InputPipeline.token`).
final class InputSlot: Sendable {
    /// Slot numbers fit in the token's top byte.
    static let maxSlots = 255

    let index: Int
    let input: ShipperConfig.Input
    let tailer: Tailer
    let pipeline: InputPipeline
    /// Signalled when the tailer's thread has returned.
    let done = Completion()
    private let committing = Atomic<Bool>(true)

    init(index: Int, input: ShipperConfig.Input, tailer: Tailer, pipeline: InputPipeline) {
        self.index = index
        self.input = input
        self.tailer = tailer
        self.pipeline = pipeline
    }

    /// Whether this slot's tailer still writes its checkpoints (false once a changed input's new
    /// tailer owns them).
    var commits: Bool {
        get { committing.load(ordering: .relaxed) }
        set { committing.store(newValue, ordering: .relaxed) }
    }
}

/// Sends each batch's acknowledgements to the tailer of the slot its token names.
///
/// A slot stopped by a reload stays attached until every event it handed out is settled, and its
/// number is not given to another input before that (`Shipper.freeSlot`), so a late
/// acknowledgement always reaches the tailer that read the lines, never another input's.
final class AckRouter: Sendable {
    private let table = Mutex<[Tailer?]>(Array(repeating: nil, count: InputSlot.maxSlots))

    func attach(_ slot: InputSlot) {
        table.withLock { $0[slot.index] = slot.tailer }
    }

    func detach(_ slot: InputSlot) {
        table.withLock { table in
            if table[slot.index] === slot.tailer { table[slot.index] = nil }
        }
    }

    func route(_ report: BatchReport) {
        let tailers = table.withLock { $0 }
        for run in report.tokens {
            let (input, chunk) = InputPipeline.split(run.token)
            guard input < tailers.count, let tailer = tailers[input] else { continue }
            tailer.acknowledge(token: chunk, count: run.count)
        }
    }
}
