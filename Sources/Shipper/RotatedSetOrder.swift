/// The order in which `preview` reads the files it is given: each file's rotations oldest first,
/// then the file itself, the way its lines were written.
///
/// Files are grouped by their name without a rotation suffix: `.gz`, then a number (`.1`, `.2`,
/// as logrotate's default) or a date (`-20240101`, `-2024-01-01`, `.20240101`, with `dateext`).
/// In a group, dated files come first, oldest date first, then numbered ones, highest number
/// (the oldest) first, then a compressed one without a number (`app.log.gz`), then the file
/// without a suffix. Groups keep the order in which their
/// first file was given, so `app.log*` as the shell spells it reads `app.log.3.gz`,
/// `app.log.2.gz`, `app.log.1`, `app.log`.
enum RotatedSetOrder {
    /// What a file's name says about its place.
    struct Place: Equatable {
        var base: String
        /// 0 dated, 1 numbered, 2 the live file.
        var kind: Int
        var date: String
        var number: Int
    }

    static func ordered(_ paths: [String]) -> [String] {
        var groups: [String] = []
        var members: [String: [(path: String, place: Place, given: Int)]] = [:]
        for (given, path) in paths.enumerated() {
            let place = place(of: path)
            if members[place.base] == nil { groups.append(place.base) }
            members[place.base, default: []].append((path, place, given))
        }
        return groups.flatMap { base in
            (members[base] ?? []).sorted { a, b in
                if a.place.kind != b.place.kind { return a.place.kind < b.place.kind }
                if a.place.date != b.place.date { return a.place.date < b.place.date }
                if a.place.number != b.place.number { return a.place.number > b.place.number }
                return a.given < b.given
            }.map(\.path)
        }
    }

    static func place(of path: String) -> Place {
        var name = Array(path.utf8)
        let compressed = name.count > 3 && name.suffix(3).elementsEqual(".gz".utf8)
        if compressed { name.removeLast(3) }
        func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }
        func isSeparator(_ byte: UInt8) -> Bool { byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") }
        func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

        // `-2024-01-01` or `.2024-01-01` at the end.
        if name.count > 11 {
            let date = name.suffix(10)
            let dashes = [4, 7].map { date[date.startIndex + $0] == UInt8(ascii: "-") }
            let digits = date.enumerated().filter { ![4, 7].contains($0.offset) }.allSatisfy { isDigit($0.element) }
            if dashes.allSatisfy({ $0 }), digits, isSeparator(name[name.count - 11]) {
                return Place(base: text(name.dropLast(11)), kind: 0,
                             date: String(decoding: date.filter(isDigit), as: UTF8.self), number: 0)
            }
        }
        // Digits after the last `.` or `-`: a date of 8 or 10 digits (`-20240101`, `-2024010112`),
        // or a rotation number of up to 6.
        if let separator = name.lastIndex(where: isSeparator), separator > 0 {
            let suffix = name[(separator + 1)...]
            if !suffix.isEmpty, suffix.allSatisfy(isDigit) {
                let base = text(name[..<separator])
                if suffix.count == 8 || suffix.count == 10 {
                    return Place(base: base, kind: 0, date: text(suffix), number: 0)
                }
                if suffix.count <= 6 {
                    return Place(base: base, kind: 1, date: "", number: Int(text(suffix)) ?? 0)
                }
            }
        }
        // `app.log.gz` beside `app.log` is its archive: before it, after numbered ones.
        return Place(base: text(name[...]), kind: compressed ? 1 : 2, date: "", number: 0)
    }
}
