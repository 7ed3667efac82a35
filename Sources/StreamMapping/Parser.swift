/// A line format: turns the bytes of one line into fields of a `Record`.
///
/// One instance serves one mapper and is called from one thread at a time, so it may keep
/// state between lines (match buffers, field ids from `Record.field(_:)`).
public protocol Parser: AnyObject {
    /// Parses one line; fills `record` with fields whose values point into `line` where possible.
    /// Returns false (with `record.failure` set) when the line does not fit the format.
    func parse(_ line: UnsafeRawBufferPointer, into record: inout Record) -> Bool
}

/// A parser whose fields are known once it is made (regex groups, dissect placeholders, csv
/// columns, syslog's fixed set, grok captures), so that a mapping's `fieldTypes` can be checked
/// against them, and that can give fields a type itself (grok's `%{NUMBER:bytes:int}`).
public protocol FieldDeclaring: Parser {
    /// Every field the parser can set.
    var declaredFields: [String] { get }
    /// Types the parser's own pattern gives its fields, in pattern order.
    var declaredTypes: [(String, ValueConversion.Target)] { get }
}

extension FieldDeclaring {
    public var declaredTypes: [(String, ValueConversion.Target)] { [] }
}
