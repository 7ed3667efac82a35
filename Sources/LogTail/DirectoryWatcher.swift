import AtomBase
import CSystem
import Glibc

/// Wakes the tailer when something changes in the watched directories (inotify), or when another
/// thread asks it to (an eventfd). The tailer also rescans on a timer, so a missed event costs
/// latency, never data.
final class DirectoryWatcher {
    private let inotifyFD: Int32
    private let wakeFD: Int32
    private var watched: [String: Int32] = [:]
    private let buffer = UnsafeMutableRawPointer.allocate(byteCount: 64 * 1024, alignment: 8)

    struct Changes {
        /// Files appeared, moved or vanished: run discovery.
        var structure = false
        /// Files were written: read them.
        var content = false
        /// The kernel dropped events: rescan everything.
        var overflow = false
        /// Another thread called `wake()`.
        var woken = false
    }

    init() {
        inotifyFD = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        wakeFD = atom_eventfd(0, atom_efd_nonblock() | atom_efd_cloexec())
    }

    deinit {
        if inotifyFD >= 0 { close(inotifyFD) }
        if wakeFD >= 0 { close(wakeFD) }
        buffer.deallocate()
    }

    var isActive: Bool { inotifyFD >= 0 }

    /// Watches `directory` if it exists and is not watched yet. Returns false when it cannot be watched.
    @discardableResult
    func watch(_ directory: String) -> Bool {
        guard inotifyFD >= 0 else { return false }
        if watched[directory] != nil { return true }
        let mask = UInt32(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE
                          | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)
        let wd = inotify_add_watch(inotifyFD, directory, mask)
        guard wd >= 0 else { return false }
        watched[directory] = wd
        return true
    }

    /// Forgets directories that were removed (their watch ended), so a rescan re-adds them.
    func forget(_ directory: String) { watched[directory] = nil }

    /// Wakes a thread blocked in `wait` (safe from any thread).
    func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// Waits up to `timeoutMillis` for changes, then drains and summarises them.
    func wait(timeoutMillis: Int32) -> Changes {
        var fds = [pollfd(fd: inotifyFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
        var changes = Changes()
        let rc = poll(&fds, inotifyFD >= 0 ? 2 : 1, timeoutMillis)
        if inotifyFD < 0 { fds.swapAt(0, 1) }
        guard rc > 0 else { return changes }
        if fds[1].revents != 0 || (inotifyFD < 0 && fds[0].revents != 0) {
            var value: UInt64 = 0
            _ = read(wakeFD, &value, 8)
            changes.woken = true
        }
        if inotifyFD >= 0 && fds[0].revents != 0 { drain(into: &changes) }
        return changes
    }

    private func drain(into changes: inout Changes) {
        while true {
            let n = read(inotifyFD, buffer, 64 * 1024)
            if n <= 0 { return }
            var position = 0
            while position + MemoryLayout<inotify_event>.size <= n {
                let event = buffer.load(fromByteOffset: position, as: inotify_event.self)
                let mask = Int32(bitPattern: event.mask)
                if mask & Int32(IN_Q_OVERFLOW) != 0 { changes.overflow = true; changes.structure = true }
                if mask & Int32(IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB) != 0 { changes.content = true }
                if mask & Int32(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) != 0 { changes.structure = true }
                if mask & Int32(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED) != 0 {
                    changes.structure = true
                    if let entry = watched.first(where: { $0.value == event.wd }) { watched[entry.key] = nil }
                }
                position += MemoryLayout<inotify_event>.size + Int(event.len)
            }
        }
    }
}
