import AtomBase

extension LineFramer {
    /// Rewrites the recorded lines as UTF-8 from Latin-1 (ISO 8859-1): each byte from 0x80 up
    /// becomes two bytes. The converted lines are written into `out`, and the line tables are
    /// pointed there; offsets still count the file's own bytes.
    func convertLatin1(into out: ByteBuffer) {
        out.removeAll()
        let source = lineBase
        var total = 0
        for i in 0..<lineCount { total += 2 * (ends.base[i] - starts.base[i]) }
        out.reserve(total)
        var written = 0
        let target = out.base
        for i in 0..<lineCount {
            let start = written
            for p in starts.base[i]..<ends.base[i] {
                let byte = source[p]
                if byte < 0x80 {
                    target[written] = byte
                    written += 1
                } else {
                    target[written] = 0xC0 | (byte >> 6)
                    target[written + 1] = 0x80 | (byte & 0x3F)
                    written += 2
                }
            }
            starts.base[i] = start
            ends.base[i] = written
        }
        out.count = written
        rebase(to: target)
    }
}
