import Glibc

/// A path pattern compiled once: `{a,b}` braces expanded, each alternative split into components.
///
/// Components are matched with fnmatch(3) as glob(3) would (`*`, `?`, `[...]`; a leading dot must
/// be written), and `**` as a whole component matches any number of folders, none included (it
/// does not enter folders whose name starts with a dot). The same pattern both walks the file
/// system (`Discovery`) and tells whether one path inotify reported belongs to the input.
struct GlobPattern {
    enum Component: Equatable {
        case literal(String)
        case wildcard(String)
        /// `**`: zero or more folders.
        case recursive
    }

    let source: String
    /// One component list per brace alternative; every pattern is absolute, so none starts empty.
    let alternatives: [[Component]]

    init(_ pattern: String) {
        source = pattern
        var seen = Set<String>()
        alternatives = Self.expandBraces(pattern).filter { seen.insert($0).inserted }.map(Self.components)
    }

    /// Whether `path` (absolute, without `.` or `..` components) matches one of the alternatives.
    func matches(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        return alternatives.contains { Self.match($0[...], parts[...]) }
    }

    /// Whether a folder at `path` could hold matches, at any depth (used for new folders).
    func mayContainMatches(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        return alternatives.contains { Self.prefixMatch($0[...], parts[...]) }
    }

    /// The folders made of the leading literal components of each alternative: the part of the
    /// pattern without wildcards.
    var staticFolders: [String] {
        alternatives.map { components in
            var folder = ""
            for component in components.dropLast() {
                guard case .literal(let name) = component else { break }
                folder += "/" + name
            }
            return folder.isEmpty ? "/" : folder
        }
    }

    // MARK: Matching

    private static func match(_ pattern: ArraySlice<Component>, _ parts: ArraySlice<String>) -> Bool {
        guard let first = pattern.first else { return parts.isEmpty }
        if first == .recursive {
            let rest = pattern.dropFirst()
            if rest.isEmpty { return !parts.isEmpty && !parts.contains { $0.hasPrefix(".") } }
            var remaining = parts
            while true {
                if match(rest, remaining) { return true }
                guard let folder = remaining.first, !folder.hasPrefix("."), remaining.count > 1 else {
                    return false
                }
                remaining = remaining.dropFirst()
            }
        }
        guard let part = parts.first, matchComponent(first, part) else { return false }
        return match(pattern.dropFirst(), parts.dropFirst())
    }

    /// Whether `parts` can be the first folders of a match.
    private static func prefixMatch(_ pattern: ArraySlice<Component>, _ parts: ArraySlice<String>) -> Bool {
        guard let part = parts.first else { return pattern.count > 0 }
        guard let first = pattern.first else { return false }
        if first == .recursive {
            return !part.hasPrefix(".") || prefixMatch(pattern.dropFirst(), parts)
        }
        guard pattern.count > 1, matchComponent(first, part) else { return false }
        return prefixMatch(pattern.dropFirst(), parts.dropFirst())
    }

    static func matchComponent(_ component: Component, _ name: String) -> Bool {
        switch component {
        case .literal(let literal): return literal == name
        case .wildcard(let pattern): return fnmatch(pattern, name, FNM_PERIOD) == 0
        case .recursive: return !name.hasPrefix(".")
        }
    }

    // MARK: Compiling

    private static func components(_ path: String) -> [Component] {
        path.split(separator: "/", omittingEmptySubsequences: true).compactMap { piece -> Component? in
            let text = String(piece)
            if text == "." { return nil }
            if text == "**" { return .recursive }
            return text.contains(where: { "*?[".contains($0) }) ? .wildcard(text) : .literal(unescape(text))
        }
    }

    /// A literal component as the file name it stands for (backslash escapes removed).
    private static func unescape(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var out = ""
        var escaped = false
        for c in text {
            if escaped || c != "\\" {
                out.append(c)
                escaped = false
            } else {
                escaped = true
            }
        }
        return out
    }

    /// `a{b,c}d{e,f}` → `abde abdf acde acdf`; unbalanced or single-item braces stay literal, as
    /// in glob(3) with GLOB_BRACE. Braces nest.
    static func expandBraces(_ pattern: String) -> [String] {
        let chars = Array(pattern)
        var depth = 0
        var open: Int?
        var commas: [Int] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "\\" {
                i += 2
                continue
            }
            if c == "{" {
                if depth == 0 {
                    open = i
                    commas.removeAll()
                }
                depth += 1
            } else if c == "}" && depth > 0 {
                depth -= 1
                if depth == 0, let start = open {
                    guard !commas.isEmpty else {
                        open = nil
                        i += 1
                        continue
                    }
                    let head = String(chars[..<start])
                    let tail = String(chars[(i + 1)...])
                    let bounds = [start] + commas + [i]
                    var results: [String] = []
                    for k in 0..<(bounds.count - 1) {
                        let item = String(chars[(bounds[k] + 1)..<bounds[k + 1]])
                        results += expandBraces(head + item + tail)
                    }
                    return results
                }
            } else if c == "," && depth == 1 {
                commas.append(i)
            }
            i += 1
        }
        return [pattern]
    }
}
