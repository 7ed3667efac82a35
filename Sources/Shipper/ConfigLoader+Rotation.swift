import AtomSDK

extension ConfigLoader {
    /// The keys of a file rotation, allowed in `output` and `deadLetter`.
    static let rotationKeys = ["maxFileBytes", "maxTotalBytes"]

    /// `maxFileBytes` and `maxTotalBytes` of an object as a `FileRotation` (none when absent).
    /// `maxTotalBytes` needs `maxFileBytes`, and at least as many bytes.
    static func readRotation(_ m: Members?, walker w: inout ConfigWalker) -> FileRotation {
        var rotation = FileRotation()
        if m?["maxFileBytes"] != nil {
            rotation.maxFileBytes = w.int(m, "maxFileBytes", default: 0, min: 1024)
        }
        guard m?["maxTotalBytes"] != nil else { return rotation }
        let total = w.int(m, "maxTotalBytes", default: 0, min: 1024)
        let path = (m?.path ?? "") + ".maxTotalBytes"
        if let fileBytes = rotation.maxFileBytes {
            if total < fileBytes { w.fail(path, "must be at least maxFileBytes (\(fileBytes)), found \(total)") }
        } else {
            w.fail(path, "needs maxFileBytes: files are only rotated when it is set")
        }
        rotation.maxTotalBytes = total
        return rotation
    }
}
