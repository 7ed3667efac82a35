import Foundation
import Glibc
import Synchronization

/// SplitMix64: a seeded generator, so the crash test kills at the same moments on every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Appends numbered, unique lines to `<folder>/app.log` at a steady rate on a thread of its own,
/// the way an application logs (O_APPEND, one `write` per line), and rotates the file by rename
/// when asked: `app.log.N` → `app.log.N+1`, `app.log` → `app.log.1`, a few late lines through
/// the old descriptor, then a new `app.log` is created and the writer reopens it.
final class CrashWriter: Sendable {
    struct State {
        var written = 0
        var rotationsRequested = 0
        /// Number of the first line written after each rename (the late lines included).
        var rotationLines: [Int] = []
        /// Renames that failed, with errno.
        var renameFailures: [String] = []
        var stopRequested = false
        var finished = false
    }

    /// Lines written through the old descriptor after each rename, before the reopen.
    static let lateLines = 3

    let folder: String
    let linesPerSecond: Double
    private let state = Mutex(State())

    init(folder: String, linesPerSecond: Double) {
        self.folder = folder
        self.linesPerSecond = linesPerSecond
    }

    /// The text of line `number` (without its newline): unique, of varying length.
    static func line(_ number: Int) -> String {
        let digits = String(number)
        let padded = String(repeating: "0", count: max(0, 6 - digits.count)) + digits
        return "crash line \(padded) " + String(repeating: "p", count: 20 + number * 7 % 60)
    }

    /// The number of a line this writer made, or nil.
    static func number(of line: String) -> Int? {
        let parts = line.split(separator: " ")
        guard parts.count == 4, parts[0] == "crash", parts[1] == "line", let n = Int(parts[2]),
              line == Self.line(n) else { return nil }
        return n
    }

    /// Lines written so far.
    var written: Int { state.withLock { $0.written } }

    /// Line numbers at which each rotation's rename happened.
    var rotationLines: [Int] { state.withLock { $0.rotationLines } }

    /// Renames that failed during rotations.
    var renameFailures: [String] { state.withLock { $0.renameFailures } }

    /// Starts the writing thread.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "crash-writer"
        thread.start()
    }

    /// Asks for a rotation and waits (up to `timeout`) until it is done; returns whether it was.
    func rotate(timeout: Double = 10) -> Bool {
        let target = state.withLock { state -> Int in
            state.rotationsRequested += 1
            return state.rotationsRequested
        }
        return poll(timeout: timeout) { state.withLock { $0.rotationLines.count >= target } }
    }

    /// Stops the writing thread and waits for it; returns the number of lines written.
    func stop(timeout: Double = 10) -> Int {
        state.withLock { $0.stopRequested = true }
        _ = poll(timeout: timeout) { state.withLock { $0.finished } }
        return written
    }

    private func run() {
        let log = folder + "/app.log"
        let writer = AppendingWriter(path: log)
        let started = Self.monotonicSeconds()
        var number = 0
        while true {
            let (stop, rotations, done) = state.withLock {
                ($0.stopRequested, $0.rotationsRequested, $0.rotationLines.count)
            }
            if stop { break }
            if rotations > done {
                // Shift the older files, rename the live one, let the application write a few
                // more lines to it (it has not noticed yet), then create and reopen app.log.
                var failures: [String] = []
                for index in stride(from: done, through: 1, by: -1)
                where rename("\(log).\(index)", "\(log).\(index + 1)") != 0 {
                    failures.append("app.log.\(index): errno \(errno)")
                }
                if rename(log, log + ".1") != 0 { failures.append("app.log: errno \(errno)") }
                state.withLock {
                    $0.rotationLines.append(number)
                    $0.renameFailures += failures
                }
                for _ in 0..<Self.lateLines {
                    writer.write(Self.line(number))
                    number += 1
                }
                writer.reopen()
                state.withLock { $0.written = number }
                continue
            }
            writer.write(Self.line(number))
            number += 1
            state.withLock { $0.written = number }

            // A steady rate: line n is due n / rate seconds after the start.
            let wait = started + Double(number) / linesPerSecond - Self.monotonicSeconds()
            if wait > 0 { usleep(UInt32(wait * 1e6)) }
        }
        state.withLock { $0.finished = true }
    }

    /// Seconds on the monotonic clock (the wall clock may be stepped while the test runs).
    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    private func poll(timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Self.monotonicSeconds() + timeout
        while Self.monotonicSeconds() < deadline {
            if condition() { return true }
            usleep(5_000)
        }
        return condition()
    }
}
