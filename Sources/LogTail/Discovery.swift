import AtomBase
import Glibc

/// Finds the files an input's patterns match, minus its excludes, and the folders inotify must
/// watch so that new matches are seen.
///
/// The walk starts at each pattern's leading folders without wildcards and reads only the
/// folders the pattern can lead through (`**` walks the whole tree below it, skipping hidden
/// folders and folders seen before, so a symbolic link loop ends).
struct Discovery {
    let patterns: [GlobPattern]
    let excludes: [String]

    init(patterns: [String], excludes: [String]) {
        self.patterns = patterns.map(GlobPattern.init)
        self.excludes = excludes
    }

    struct Found {
        var path: String
        var stat: FileStat
    }

    struct Scan {
        var files: [Found] = []
        /// Folders to watch: every folder the walk read, and for a pattern whose leading folders
        /// do not exist yet, the nearest one that does (so that their creation is seen).
        var folders: [String] = []
    }

    /// Walks every pattern. Directories and other non-regular files are skipped (a directory
    /// named by a pattern's last component is reported through `warn`); each file appears once.
    func scan(warn: (String, String) -> Void) -> Scan {
        var walk = Walk(discovery: self)
        for pattern in patterns {
            for components in pattern.alternatives where !components.isEmpty {
                var folder = ""
                var rest = components[...]
                while rest.count > 1, case .literal(let name) = rest.first {
                    folder += "/" + name
                    rest = rest.dropFirst()
                }
                if folder.isEmpty { folder = "/" }
                if (try? Sys.stat(path: folder))?.isDirectory == true {
                    walk.visit(rest, in: folder)
                } else {
                    walk.noteMissing(folder)
                }
            }
        }
        for (path, problem) in walk.problems { warn(path, problem) }
        return walk.scan
    }

    /// Whether `path` is one of the input's files by name: it matches a pattern and no exclude.
    func includes(_ path: String) -> Bool {
        patterns.contains { $0.matches(path) } && !isExcluded(path)
    }

    /// Whether a new folder at `path` may hold the input's files (then a rescan must walk it).
    func mayContainMatches(_ folder: String) -> Bool {
        patterns.contains { $0.mayContainMatches(folder) }
    }

    func isExcluded(_ path: String) -> Bool {
        if excludes.isEmpty { return false }
        let base = Path.base(of: path)
        for pattern in excludes {
            let target = pattern.contains("/") ? path : base
            if fnmatch(pattern, target, 0) == 0 { return true }
        }
        return false
    }

    /// Whether any file matches `pattern` now (for the config check's warning).
    static func anyFileMatches(_ pattern: String) -> Bool {
        !Discovery(patterns: [pattern], excludes: []).scan { _, _ in }.files.isEmpty
    }
}

/// The state of one walk: what was found, which folders were read, and which were entered
/// (by device and inode, so that a `**` walk through a link loop ends).
private struct Walk {
    let discovery: Discovery
    var scan = Discovery.Scan()
    var problems: [(String, String)] = []
    var seenPaths = Set<String>()
    var seenFolders = Set<String>()
    var entered = Set<[UInt64]>()

    init(discovery: Discovery) { self.discovery = discovery }

    mutating func warn(_ path: String, _ problem: String) { problems.append((path, problem)) }

    mutating func noteFolder(_ folder: String) {
        if seenFolders.insert(folder).inserted { scan.folders.append(folder) }
    }

    /// A pattern's leading folder does not exist: watch the nearest ancestor that does.
    mutating func noteMissing(_ folder: String) {
        var ancestor = Path.directory(of: folder)
        while ancestor != "/" && (try? Sys.stat(path: ancestor))?.isDirectory != true {
            ancestor = Path.directory(of: ancestor)
        }
        noteFolder(ancestor)
    }

    /// Matches `rest` (at least one component) inside `folder`, which exists.
    mutating func visit(_ rest: ArraySlice<GlobPattern.Component>, in folder: String) {
        guard let first = rest.first else { return }
        noteFolder(folder)
        let isLast = rest.count == 1
        switch first {
        case .literal(let name):
            let path = Path.join(folder, name)
            if isLast {
                consider(path, namedByPattern: true)
            } else if (try? Sys.stat(path: path))?.isDirectory == true {
                visit(rest.dropFirst(), in: path)
            }
        case .wildcard:
            for entry in entries(of: folder) where GlobPattern.matchComponent(first, entry.name) {
                let path = Path.join(folder, entry.name)
                if isLast {
                    consider(path, namedByPattern: true)
                } else if entry.mayBeFolder, (try? Sys.stat(path: path))?.isDirectory == true {
                    visit(rest.dropFirst(), in: path)
                }
            }
        case .recursive:
            guard let here = try? Sys.stat(path: folder),
                  entered.insert([here.device, here.inode]).inserted else { return }
            if !isLast { visit(rest.dropFirst(), in: folder) }
            for entry in entries(of: folder) where !entry.name.hasPrefix(".") {
                let path = Path.join(folder, entry.name)
                if entry.mayBeFolder, (try? Sys.stat(path: path))?.isDirectory == true {
                    visit(rest, in: path)
                } else if isLast {
                    consider(path, namedByPattern: false)
                }
            }
        }
    }

    /// A candidate file: kept when it is a regular file (links followed) and not excluded.
    mutating func consider(_ path: String, namedByPattern: Bool) {
        guard !discovery.isExcluded(path), seenPaths.insert(path).inserted else { return }
        do {
            let st = try Sys.stat(path: path)
            if st.isRegular {
                scan.files.append(Discovery.Found(path: path, stat: st))
            } else if st.isDirectory && namedByPattern {
                warn(path, "a directory matches the input's paths; only files are read")
            }
        } catch {
            if error.errno != ENOENT { warn(path, error.description) }
        }
    }

    struct Entry {
        var name: String
        var type: UInt8
        /// A folder, a link (perhaps to one), or a file system that does not say.
        var mayBeFolder: Bool { type == UInt8(DT_DIR) || type == UInt8(DT_LNK) || type == UInt8(DT_UNKNOWN) }
    }

    /// The entries of `folder` except `.` and `..`; an unreadable folder is reported and empty.
    mutating func entries(of folder: String) -> [Entry] {
        guard let handle = opendir(folder) else {
            if errno != ENOENT { warn(folder, SystemError("opendir", path: folder).description) }
            return []
        }
        defer { closedir(handle) }
        var result: [Entry] = []
        while let raw = readdir(handle) {
            let type = raw.pointee.d_type
            let name = withUnsafePointer(to: &raw.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            result.append(Entry(name: name, type: type))
        }
        return result
    }
}
