import AtomBase
import CZlib

/// gzip compression of request bodies (zlib `deflate` with a gzip wrapper).
enum Gzip {
    /// Replaces the contents of `out` with `input` compressed as one gzip member.
    /// Returns false when zlib fails (out of memory), leaving `out` unspecified.
    static func compress(_ input: UnsafeRawBufferPointer, into out: ByteBuffer) -> Bool {
        var stream = z_stream()
        guard atom_deflate_init2(&stream, Z_DEFAULT_COMPRESSION, 15 + 16) == Z_OK else { return false }
        defer { deflateEnd(&stream) }

        out.removeAll()
        out.reserve(Int(deflateBound(&stream, uLong(input.count))) + 16)
        var empty: UInt8 = 0
        return withUnsafeMutablePointer(to: &empty) { fallback in
            let source = input.baseAddress?.assumingMemoryBound(to: Bytef.self) ?? UnsafePointer(fallback)
            stream.next_in = UnsafeMutablePointer(mutating: source)
            stream.avail_in = uInt(input.count)
            stream.next_out = out.base
            stream.avail_out = uInt(out.capacity)
            guard deflate(&stream, Z_FINISH) == Z_STREAM_END else { return false }
            out.count = Int(stream.total_out)
            return true
        }
    }
}
