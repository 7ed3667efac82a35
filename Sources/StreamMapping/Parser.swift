/// A line format: turns the bytes of one line into fields of a `Record`.
///
/// One instance serves one mapper and is called from one thread at a time, so it may keep
/// state between lines (match buffers, field ids from `Record.field(_:)`).
public protocol Parser: AnyObject {
    /// Parses one line; fills `record` with fields whose values point into `line` where possible.
    /// Returns false (with `record.failure` set) when the line does not fit the format.
    func parse(_ line: UnsafeRawBufferPointer, into record: inout Record) -> Bool
}
