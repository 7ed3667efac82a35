import AtomBase
import Glibc

/// Finds the files an input's globs match, minus its excludes.
struct Discovery {
    let patterns: [String]
    let excludes: [String]

    struct Found {
        var path: String
        var stat: FileStat
    }

    /// Expands every pattern with glob(3) and stats each match (following symbolic links).
    /// Directories and other non-regular files are skipped; each file appears once.
    func scan(warn: (String, String) -> Void) -> [Found] {
        var seen = Set<String>()
        var found: [Found] = []
        for pattern in patterns {
            var result = glob_t()
            defer { globfree(&result) }
            let rc = glob(pattern, GLOB_NOSORT | GLOB_BRACE, nil, &result)
            guard rc == 0 else { continue }
            for i in 0..<Int(result.gl_pathc) {
                guard let raw = result.gl_pathv[i] else { continue }
                let path = String(cString: raw)
                guard !isExcluded(path), seen.insert(path).inserted else { continue }
                do {
                    let st = try Sys.stat(path: path)
                    if st.isRegular {
                        found.append(Found(path: path, stat: st))
                    } else if st.isDirectory {
                        warn(path, "a directory matches the input's paths; only files are read")
                    }
                } catch {
                    if error.errno != ENOENT { warn(path, error.description) }
                }
            }
        }
        return found
    }

    func isExcluded(_ path: String) -> Bool {
        let base = Path.base(of: path)
        for pattern in excludes {
            let target = pattern.contains("/") ? path : base
            if fnmatch(pattern, target, 0) == 0 { return true }
        }
        return false
    }

    /// The directories to watch: each pattern's longest leading part without wildcards.
    var watchDirectories: [String] {
        var result: [String] = []
        for pattern in patterns {
            var directory = Path.directory(of: pattern)
            while directory.contains(where: { "*?[{".contains($0) }) {
                directory = Path.directory(of: directory)
            }
            if !result.contains(directory) { result.append(directory) }
        }
        return result
    }
}
