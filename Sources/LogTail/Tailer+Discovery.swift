import AtomBase
import Glibc

extension Tailer {
    /// Walks the patterns: tracks files not seen before, notes renames, marks files whose path no
    /// longer leads to them as rotated, and queues files whose size or time changed unseen.
    func discover() {
        let now = Clock.nanos()
        let scan = discovery.scan { path, problem in
            report("cannot read a path of the input", path: path, error: problem, failure: false)
        }
        for folder in scan.folders where !watcher.watchFolder(folder) && watcher.isActive && !degraded {
            degraded = true
            logger.warning("a folder cannot be watched with inotify; polling the input's files",
                           ["input": options.input, "folder": folder,
                            "intervalMs": String(Int(options.pollInterval * 1000))])
        }
        if scan.files.isEmpty && firstDiscovery {
            logger.warning("no file matches the input's paths yet", ["input": options.input,
                                                                      "paths": options.paths.joined(separator: ",")])
        }
        var present = Set<FileKey>(minimumCapacity: scan.files.count)
        var paths: [String: FileKey] = [:]
        paths.reserveCapacity(scan.files.count)
        var ignored = 0
        for entry in scan.files {
            let key = FileKey(device: entry.stat.device, inode: entry.stat.inode)
            present.insert(key)
            if observe(entry, now: now) { ignored += 1 }
            if files[key] != nil { paths[entry.path] = key }
        }
        for (key, file) in files where !present.contains(key) { lostPath(file, now: now) }
        byPath = paths
        if ignored > 0 {
            logger.info("files older than ignoreOlderThan are not read until they change",
                        ["input": options.input, "files": String(ignored)])
        }
        firstDiscovery = false
        lastDiscovery = now
    }

    /// Takes note of a file a pattern matches. Returns true when it is new and ignored as older
    /// than `ignoreOlderThan`.
    @discardableResult
    func observe(_ entry: Discovery.Found, now: UInt64) -> Bool {
        let key = FileKey(device: entry.stat.device, inode: entry.stat.inode)
        if let file = files[key] {
            let changed = entry.stat.size != file.lastSize || entry.stat.modifiedNanos != file.lastModified
            if file.state == .done {
                // Unchanged, it stays finished; otherwise its inode now belongs to a new file.
                if file.path == entry.path && !changed { return false }
                forget(file)
            } else {
                if file.path != entry.path { renamed(file, to: entry.path) }
                if file.isRotated {
                    file.state = .following
                    updateAttention(file)
                }
                if changed { markChanged(file) }
                return false
            }
        }
        return track(entry, now: now)
    }

    /// Starts tracking a new file: opens it at once when a descriptor is free (so that it is
    /// held even if it is deleted soon) and queues it to be read.
    private func track(_ entry: Discovery.Found, now: UInt64) -> Bool {
        let key = FileKey(device: entry.stat.device, inode: entry.stat.inode)
        let file = TailedFile(path: entry.path, stat: entry.stat, now: now)
        files[key] = file
        byPath[entry.path] = key
        file.foundAtStart = firstDiscovery
        if firstDiscovery && options.startAt == .end { file.startOffset = entry.stat.size }
        let ageSeconds = Clock.unixTime() - Double(entry.stat.modifiedNanos) / 1e9
        if options.ignoreOlderThan > 0 && ageSeconds > options.ignoreOlderThan
            && !checkpointedInodes.contains(key) {
            file.ignored = true
            file.startOffset = entry.stat.size
            if let wd = watcher.watchFile(path: entry.path) { adoptWatch(wd, for: file) }
            logger.debug("file older than ignoreOlderThan; not read until it changes",
                         ["input": options.input, "path": entry.path])
            return true
        }
        if openDescriptor(file) == .gone {
            forget(file)
            return false
        }
        enqueue(file)
        return false
    }

    /// Acts on what inotify reported.
    func handle(_ events: FileWatcher.Events, once: Bool) {
        if events.overflow {
            counters.overflows.add(1, ordering: .relaxed)
            logger.warning("inotify queue overflowed; rescanning", ["input": options.input])
        }
        for wd in events.files {
            if let key = byWatch[wd], let file = files[key] { markChanged(file) }
        }
        for wd in events.endedFiles {
            guard let key = byWatch.removeValue(forKey: wd), let file = files[key] else { continue }
            file.watch = -1
            updateAttention(file)
        }
        if events.rescan {
            if !once { discover() }
            if events.overflow { markAllChanged() }
            return
        }
        if once { return }
        let now = Clock.nanos()
        for entry in events.entries {
            switch entry {
            case .appeared(let path):
                checkPath(path, now: now)
            case .vanished(let path):
                if byPath[path] != nil { checkPath(path, now: now, anyName: true) }
            case .moved(let from, let to):
                moved(from: from, to: to, now: now)
            }
        }
    }

    /// A rename inside the watched folders: the file keeps being read under its new name, even
    /// when that name matches no pattern (then it is rotated away, read to its end and released).
    private func moved(from: String, to: String, now: UInt64) {
        if let key = byPath[from], let file = files[key], file.path == from {
            byPath[from] = nil
            if discovery.includes(to) {
                claim(to, for: key)
                renamed(file, to: to)
                if file.isRotated { file.state = .following }
                updateAttention(file)
            } else {
                logger.info("file renamed", ["input": options.input, "from": from, "to": to])
                file.path = to
                progressLock.withLock { file.progress?.path = to }
                lostPath(file, now: now, reopenable: true)
            }
        }
        checkPath(to, now: now)
    }

    /// Looks at one path: a new file is tracked, a known one renamed, and the file the path led to
    /// before, if another, has lost it. `anyName` checks a path even if no pattern matches it.
    func checkPath(_ path: String, now: UInt64, anyName: Bool = false) {
        guard anyName || discovery.includes(path) else { return }
        let previous = byPath[path]
        guard let st = try? Sys.stat(path: path), st.isRegular, discovery.includes(path) else {
            if let key = previous, let file = files[key], file.path == path {
                byPath[path] = nil
                lostPath(file, now: now)
            }
            return
        }
        let key = FileKey(device: st.device, inode: st.inode)
        if let old = previous, old != key, let file = files[old], file.path == path {
            byPath[path] = nil
            lostPath(file, now: now)
        }
        observe(Discovery.Found(path: path, stat: st), now: now)
        if files[key] != nil { byPath[path] = key }
    }

    /// `path` now leads to `key`; a different file that had it loses it.
    private func claim(_ path: String, for key: FileKey) {
        if let prior = byPath[path], prior != key, let file = files[prior], file.path == path {
            lostPath(file, now: Clock.nanos())
        }
        byPath[path] = key
    }

    private func renamed(_ file: TailedFile, to path: String) {
        logger.info("file renamed", ["input": options.input, "from": file.path, "to": path])
        if byPath[file.path] == FileKey(device: file.device, inode: file.inode) { byPath[file.path] = nil }
        file.path = path
        byPath[path] = FileKey(device: file.device, inode: file.inode)
        progressLock.withLock { file.progress?.path = path }
    }

    /// The file's path no longer leads to it. An open file is rotated away: read to its end and
    /// released once quiet. A closed one can only be followed when its new name is known
    /// (`reopenable`); otherwise it is forgotten, with a warning if it had changed unread.
    func lostPath(_ file: TailedFile, now: UInt64, reopenable: Bool = false) {
        switch file.state {
        case .done:
            forget(file)
        case .rotated:
            break
        case .following:
            if !file.isOpen && !reopenable {
                if !file.ignored && (file.changedWhileParked || file.progress == nil) {
                    logger.warning("file went away before it could be opened; lines written to it since it was "
                                   + "last read are lost (raise maxOpenFiles?)",
                                   ["input": options.input, "path": file.path])
                }
                forget(file)
                return
            }
            if file.ignored {
                forget(file)
                return
            }
            logger.info("file rotated away; reading it to the end", ["input": options.input, "path": file.path])
            file.state = .rotated(since: now)
            updateAttention(file)
            enqueue(file)
        }
    }

    /// Stops tracking the file: closes it, ends its watch and detaches its progress.
    func forget(_ file: TailedFile) {
        let key = FileKey(device: file.device, inode: file.inode)
        closeFile(file)
        if file.watch >= 0 {
            watcher.unwatchFile(file.watch)
            if byWatch[file.watch] == key { byWatch[file.watch] = nil }
            file.watch = -1
        }
        if byPath[file.path] == key { byPath[file.path] = nil }
        attention.remove(key)
        if let progress = file.progress { progressLock.withLock { progress.detached = true } }
        if files[key] === file { files[key] = nil }
    }

    /// Something changed in the file: read it (opening it again if it was closed).
    func markChanged(_ file: TailedFile) {
        guard file.state != .done else { return }
        file.ignored = false
        if !file.isOpen { file.changedWhileParked = true }
        enqueue(file)
    }

    /// Events may have been lost (overflow) or cannot be had (polling): look at every file.
    func markAllChanged() {
        for file in files.values { markChanged(file) }
    }

    func adoptWatch(_ wd: Int32, for file: TailedFile) {
        file.watch = wd
        byWatch[wd] = FileKey(device: file.device, inode: file.inode)
    }

    /// Keeps `attention` in step with the file: it holds the files looked at on every pass.
    func updateAttention(_ file: TailedFile, retry: Bool = false) {
        let key = FileKey(device: file.device, inode: file.inode)
        let needed = file.state != .done && !file.ignored
            && (retry || file.isRotated || file.hasPendingTail || (file.isOpen && file.watch < 0))
        if needed { attention.insert(key) } else { attention.remove(key) }
    }

    /// Reads inotify's news (and runs the rescan when due) between reads of a long file, so that a
    /// file created and deleted meanwhile is still opened and held.
    func keepUp() {
        handle(watcher.wait(timeoutMillis: 0), once: false)
        if Clock.nanos() &- lastDiscovery >= UInt64(rescanInterval * 1e9) { discover() }
    }
}
