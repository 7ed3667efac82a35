import AtomBase
import CSystem
import Glibc

/// Tells the tailer what changed, through inotify: names that appeared, moved or vanished in the
/// watched folders, and writes to the watched files themselves (by inode, so a file keeps being
/// watched when it is renamed or deleted). Another thread can wake a waiting tailer (an eventfd).
///
/// Watching each file rather than its folder's writes means that writes to files the input does
/// not read wake nobody, and an idle file costs nothing between events. When inotify cannot be
/// used (`isActive` false) or a watch cannot be added, the tailer falls back to polling.
final class FileWatcher {
    /// -1 until `start()`: a `--once` run watches nothing (see `start()`).
    private var inotifyFD: Int32 = -1
    private let wakeFD: Int32
    /// Folder watches by path, with the folder's device and inode (a path that now leads to
    /// another folder, through a changed link, gets a new watch).
    private var folders: [String: (wd: Int32, device: UInt64, inode: UInt64)] = [:]
    private var folderPaths: [Int32: String] = [:]
    private let buffer = UnsafeMutableRawPointer.allocate(byteCount: 64 * 1024, alignment: 8)

    /// What happened since the last `wait`.
    struct Events {
        /// Watches of files that were written, truncated or had their attributes changed.
        var files: [Int32] = []
        /// File watches the kernel ended (the file is gone).
        var endedFiles: [Int32] = []
        /// Names in watched folders, in order, as full paths.
        var entries: [Entry] = []
        /// A folder appeared, moved or went away, or events were lost: rescan everything.
        var rescan = false
        /// The kernel's queue overflowed (a subset of `rescan`).
        var overflow = false
        /// Another thread called `wake()`.
        var woken = false

        var isEmpty: Bool { files.isEmpty && endedFiles.isEmpty && entries.isEmpty && !rescan }
    }

    enum Entry {
        /// A name was created or moved in from outside the watched folders.
        case appeared(String)
        /// A name was deleted or moved out of the watched folders.
        case vanished(String)
        /// A rename within the watched folders.
        case moved(from: String, to: String)
    }

    init() {
        wakeFD = atom_eventfd(0, atom_efd_nonblock() | atom_efd_cloexec())
    }

    /// Creates the inotify instance; false when inotify cannot be used. A run that only reads what
    /// exists does not call it: ending an instance that holds watches makes the kernel wait for a
    /// grace period (about 15 ms here), which a short `--once` run would pay at exit.
    func start() -> Bool {
        if inotifyFD < 0 { inotifyFD = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) }
        return inotifyFD >= 0
    }

    deinit {
        if inotifyFD >= 0 { close(inotifyFD) }
        if wakeFD >= 0 { close(wakeFD) }
        buffer.deallocate()
    }

    var isActive: Bool { inotifyFD >= 0 }

    /// Watches `folder` for names that appear, move or vanish. Returns false when it cannot.
    @discardableResult
    func watchFolder(_ folder: String) -> Bool {
        guard inotifyFD >= 0, let st = try? Sys.stat(path: folder) else { return false }
        if let known = folders[folder] {
            if known.device == st.device && known.inode == st.inode { return true }
            // The path leads to another folder now (a link was changed): watch that one instead.
            inotify_rm_watch(inotifyFD, known.wd)
            folderPaths[known.wd] = nil
        }
        let mask = UInt32(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF
                          | IN_ONLYDIR)
        let wd = inotify_add_watch(inotifyFD, folder, mask)
        guard wd >= 0 else { return false }
        folders[folder] = (wd, st.device, st.inode)
        folderPaths[wd] = folder
        return true
    }

    /// Watches the file open on `fd` for writes (through `/proc/self/fd`, so it is the open file's
    /// inode whatever its path leads to now). Returns the watch, or nil when it cannot be added.
    func watchFile(fd: Int32) -> Int32? {
        guard inotifyFD >= 0 else { return nil }
        let wd = inotify_add_watch(inotifyFD, "/proc/self/fd/\(fd)", UInt32(IN_MODIFY | IN_ATTRIB))
        guard wd >= 0, folderPaths[wd] == nil else { return nil }
        return wd
    }

    /// Watches the file `path` leads to now (for a file that is not open).
    func watchFile(path: String) -> Int32? {
        guard inotifyFD >= 0 else { return nil }
        let wd = inotify_add_watch(inotifyFD, path, UInt32(IN_MODIFY | IN_ATTRIB))
        guard wd >= 0, folderPaths[wd] == nil else { return nil }
        return wd
    }

    /// Ends a file watch.
    func unwatchFile(_ wd: Int32) {
        if inotifyFD >= 0 && wd >= 0 { inotify_rm_watch(inotifyFD, wd) }
    }

    /// Wakes a thread blocked in `wait` (safe from any thread).
    func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// Waits up to `timeoutMillis` for changes, then drains them.
    func wait(timeoutMillis: Int32) -> Events {
        var fds = [pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: inotifyFD, events: Int16(POLLIN), revents: 0)]
        var events = Events()
        let rc = poll(&fds, inotifyFD >= 0 ? 2 : 1, timeoutMillis)
        guard rc > 0 else { return events }
        if fds[0].revents != 0 {
            var value: UInt64 = 0
            _ = read(wakeFD, &value, 8)
            events.woken = true
        }
        if inotifyFD >= 0 && fds[1].revents != 0 { drain(into: &events) }
        return events
    }

    private func drain(into events: inout Events) {
        var movedFrom: (cookie: UInt32, path: String)?
        func flushMove() {
            if let pending = movedFrom { events.entries.append(.vanished(pending.path)) }
            movedFrom = nil
        }
        while true {
            let n = read(inotifyFD, buffer, 64 * 1024)
            if n <= 0 { break }
            var position = 0
            while position + MemoryLayout<inotify_event>.size <= n {
                let event = buffer.load(fromByteOffset: position, as: inotify_event.self)
                let nameStart = position + MemoryLayout<inotify_event>.size
                position = nameStart + Int(event.len)
                let mask = Int32(bitPattern: event.mask)
                if mask & Int32(IN_Q_OVERFLOW) != 0 {
                    events.overflow = true
                    events.rescan = true
                    continue
                }
                guard let folder = folderPaths[event.wd] else {
                    // A file watch.
                    if mask & Int32(IN_IGNORED) != 0 {
                        events.endedFiles.append(event.wd)
                    } else {
                        events.files.append(event.wd)
                    }
                    continue
                }
                if mask & Int32(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED) != 0 {
                    forgetFolder(event.wd)
                    events.rescan = true
                    continue
                }
                if mask & Int32(IN_ISDIR) != 0 {
                    events.rescan = true
                    continue
                }
                guard event.len > 0 else { continue }
                let name = String(cString: (buffer + nameStart).assumingMemoryBound(to: CChar.self))
                let path = Path.join(folder, name)
                if mask & Int32(IN_MOVED_FROM) != 0 {
                    flushMove()
                    movedFrom = (event.cookie, path)
                } else if mask & Int32(IN_MOVED_TO) != 0 {
                    if let pending = movedFrom, pending.cookie == event.cookie {
                        events.entries.append(.moved(from: pending.path, to: path))
                        movedFrom = nil
                    } else {
                        flushMove()
                        events.entries.append(.appeared(path))
                    }
                } else if mask & Int32(IN_CREATE) != 0 {
                    flushMove()
                    events.entries.append(.appeared(path))
                } else if mask & Int32(IN_DELETE) != 0 {
                    flushMove()
                    events.entries.append(.vanished(path))
                }
            }
        }
        flushMove()
    }

    private func forgetFolder(_ wd: Int32) {
        guard let path = folderPaths.removeValue(forKey: wd) else { return }
        if folders[path]?.wd == wd { folders[path] = nil }
    }
}
