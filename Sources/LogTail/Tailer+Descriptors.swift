import AtomBase
import Glibc

extension Tailer {
    enum OpenOutcome: Equatable {
        case opened
        /// `maxOpenFiles` are open and none is idle enough to close.
        case noSlot
        /// The path no longer leads to this file.
        case gone
        /// It cannot be opened (reported); the file is marked done until it changes.
        case failed
    }

    /// Opens `file` by its path unless it is open, first closing the idle file used longest ago
    /// when `maxOpenFiles` are open, and checks that the path still leads to the same inode.
    func openDescriptor(_ file: TailedFile) -> OpenOutcome {
        if file.isOpen { return .opened }
        guard freeSlot(for: file) else { return .noSlot }
        let fd: Int32
        do {
            fd = try Sys.open(file.path, O_RDONLY | O_NONBLOCK)
        } catch {
            if error.errno == ENOENT { return .gone }
            report("cannot open file", path: file.path, error: error.description)
            file.state = .done
            return .failed
        }
        guard let st = try? Sys.fstat(fd, path: file.path), st.device == file.device, st.inode == file.inode else {
            Sys.close(fd)
            return .gone
        }
        file.adopt(fd)
        let key = FileKey(device: file.device, inode: file.inode)
        openFiles[key] = file
        counters.openFiles.store(openFiles.count, ordering: .relaxed)
        if openFiles.count > counters.peakOpenFiles.load(ordering: .relaxed) {
            counters.peakOpenFiles.store(openFiles.count, ordering: .relaxed)
        }
        if !file.everOpened { counters.filesOpened.add(1, ordering: .relaxed) }
        file.everOpened = true
        file.changedWhileParked = false
        file.lastUsed = Clock.nanos()
        if file.watch < 0, let wd = watcher.watchFile(fd: fd) { adoptWatch(wd, for: file) }
        if file.watch < 0 && watcher.isActive && !degraded {
            degraded = true
            logger.warning("a file cannot be watched with inotify (max_user_watches?); polling the input's files",
                           ["input": options.input, "path": file.path,
                            "intervalMs": String(Int(options.pollInterval * 1000))])
        }
        return .opened
    }

    /// Closes the file's descriptor; the file stays known.
    func closeFile(_ file: TailedFile) {
        guard file.isOpen else { return }
        file.closeDescriptor()
        openFiles[FileKey(device: file.device, inode: file.inode)] = nil
        counters.openFiles.store(openFiles.count, ordering: .relaxed)
    }

    /// Makes room for one more descriptor: true when fewer than `maxOpenFiles` are open, or an
    /// idle file could be closed.
    private func freeSlot(for wanted: TailedFile) -> Bool {
        if openFiles.count < options.maxOpenFiles { return true }
        var victim: TailedFile?
        for file in openFiles.values where file !== wanted && canPark(file) {
            if victim.map({ file.lastUsed < $0.lastUsed }) ?? true { victim = file }
        }
        guard let victim else { return false }
        logger.debug("idle file closed to stay within maxOpenFiles; it is opened again when it changes",
                     ["input": options.input, "path": victim.path])
        closeFile(victim)
        return true
    }

    /// An idle plain file read to its end (as far as anyone has said) may be closed and opened again
    /// by its path when it changes. Rotated files, archives being read and files with a partial
    /// line stay open.
    private func canPark(_ file: TailedFile) -> Bool {
        guard file.state == .following, !file.queued, !file.hasPendingTail, file.prefetch == nil,
              file !== reading else { return false }
        guard file.kind != .gzip else { return false }
        return !attention.contains(FileKey(device: file.device, inode: file.inode))
    }
}
