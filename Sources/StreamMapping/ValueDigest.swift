import AtomBase
import CCrypto

/// SHA-256 or HMAC-SHA256 of field values, written as lowercase hex, without allocating: the
/// HMAC's key pads are hashed once and their states copied for each value (libcrypto's
/// low-level SHA-256 on contexts this type owns).
final class ValueDigest {
    /// The state after the inner pad (HMAC) or a fresh state (plain SHA-256).
    private let inner: UnsafeMutablePointer<SHA256_CTX>
    /// The state after the outer pad; nil for plain SHA-256.
    private let outer: UnsafeMutablePointer<SHA256_CTX>?
    private let work: UnsafeMutablePointer<SHA256_CTX>
    private let digest: UnsafeMutablePointer<UInt8>
    /// Hex digits written, 1 to 64.
    let hexLength: Int

    /// Prepares the digest: HMAC-SHA256 under `key` when it is given, else SHA-256.
    init(key: [UInt8]?, hexLength: Int) {
        self.hexLength = min(max(hexLength, 1), 64)
        let inner = Self.newState()
        let work = Self.newState()
        self.inner = inner
        self.work = work
        digest = .allocate(capacity: 32)
        guard let key else {
            outer = nil
            return
        }
        // RFC 2104: a key longer than the block is hashed first; the pads are the key, zero
        // filled to 64 bytes, XORed with 0x36 (inner) and 0x5c (outer).
        var block = [UInt8](repeating: 0, count: 64)
        if key.count > 64 {
            key.withUnsafeBytes { _ = atom_sha256_update(work, $0.baseAddress, $0.count) }
            block.withUnsafeMutableBufferPointer { _ = atom_sha256_final($0.baseAddress, work) }
        } else {
            block.replaceSubrange(0..<key.count, with: key)
        }
        let outer = Self.newState()
        let innerPad = block.map { $0 ^ 0x36 }
        let outerPad = block.map { $0 ^ 0x5C }
        innerPad.withUnsafeBytes { _ = atom_sha256_update(inner, $0.baseAddress, 64) }
        outerPad.withUnsafeBytes { _ = atom_sha256_update(outer, $0.baseAddress, 64) }
        self.outer = outer
    }

    /// A fresh SHA-256 state in memory of its own.
    private static func newState() -> UnsafeMutablePointer<SHA256_CTX> {
        let state = UnsafeMutablePointer<SHA256_CTX>.allocate(capacity: 1)
        state.initialize(to: SHA256_CTX())
        atom_sha256_init(state)
        return state
    }

    deinit {
        inner.deallocate()
        outer?.deallocate()
        work.deallocate()
        digest.deallocate()
    }

    /// Appends the first `hexLength` hex digits of the digest of `value` to `out`.
    func append(digestOf value: UnsafeRawBufferPointer, to out: ByteBuffer) {
        work.pointee = inner.pointee
        atom_sha256_update(work, value.baseAddress, value.count)
        atom_sha256_final(digest, work)
        if let outer {
            work.pointee = outer.pointee
            atom_sha256_update(work, digest, 32)
            atom_sha256_final(digest, work)
        }
        let hex: StaticString = "0123456789abcdef"
        out.reserve(hexLength)
        hex.withUTF8Buffer { digits in
            for position in 0..<hexLength {
                let byte = digest[position >> 1]
                out.append(digits[Int(position & 1 == 0 ? byte >> 4 : byte & 0x0F)])
            }
        }
    }
}
