/// How far apart two words are, for "did you mean" hints.
public enum EditDistance {
    /// The Levenshtein distance: the fewest insertions, deletions and substitutions that turn
    /// `a` into `b`. O(`a.count` × `b.count`) time, O(`b.count`) memory.
    public static func levenshtein<Element: Equatable>(_ a: [Element], _ b: [Element]) -> Int {
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in 1...b.count {
                let saved = row[j]
                row[j] = Swift.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = saved
            }
        }
        return row[b.count]
    }
}
