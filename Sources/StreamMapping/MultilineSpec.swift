/// How the lines of one file are grouped into multiline events (stack traces, tracebacks).
///
/// A pattern sorts each line: in `start` mode a line that matches begins a new event and every
/// other line joins the event before it; in `continuation` mode a line that matches joins the
/// event before it and every other line begins one. `negate` swaps matching and not matching.
/// Lines are joined with LF, the terminator of each but the last dropped.
public struct MultilineSpec: Sendable, Equatable {
    /// What a match of `pattern` says about a line.
    public enum Mode: String, Sendable, Equatable {
        /// The line begins an event.
        case start
        /// The line continues the event before it.
        case continuation
    }

    public var mode: Mode
    /// PCRE2, searched anywhere in the line (anchor it with `^` as a rule).
    public var pattern: String
    public var negate = false
    /// An event reaching this many lines is emitted; the next line begins a new one.
    public var maxLines = 500
    /// An event whose joined text would pass this many bytes is emitted without the line, which
    /// begins a new one; a line that alone reaches it is emitted on its own at once.
    public var maxBytes = 1 << 20
    /// Seconds without new data in the file after which a pending event is emitted.
    public var flushTimeout = 1.0
    /// A blank line (empty, or only spaces and tabs) continues the event before it, whatever the
    /// pattern says (the python and go presets: blank lines inside a traceback or between
    /// goroutines). Kept out of the pattern so that the pattern cannot match an empty line, which
    /// lets lines be ruled out by their first byte (`MultilineRule`).
    public internal(set) var blankLinesContinue = false
    /// A line that starts with spaces or tabs and holds more continues the event before it,
    /// whatever the pattern says (every preset: frames and source lines), without a regex match.
    public internal(set) var indentedLinesContinue = false

    public init(mode: Mode, pattern: String, negate: Bool = false) {
        self.mode = mode
        self.pattern = pattern
        self.negate = negate
    }

    /// The named presets, each a continuation pattern with indented lines continuing too.
    public static let presetNames = ["java", "python", "go"]

    /// The preset called `name`, or nil when there is none.
    public static func preset(_ name: String) -> MultilineSpec? {
        switch name {
        case "java":
            // Indented frames (`\tat ...`, `\t... 5 more`), `Caused by:` and `Suppressed:`, and
            // the exception line itself: a package-qualified class ending in Exception, Error
            // or Throwable, then `:` or the end of the line.
            var spec = MultilineSpec(mode: .continuation, pattern: #"^(?:(?:Caused by|Suppressed): "#
                + #"|(?:[A-Za-z_$][\w$]*\.)+[A-Za-z_$][\w$]*(?:Exception|Error|Throwable)(?::|$))"#)
            spec.indentedLinesContinue = true
            return spec
        case "python":
            // `Traceback (most recent call last):`, indented `File ...` and source lines, blank
            // lines and the sentences between chained tracebacks, and the final
            // `SomeError: message` (a name ending in Error, Exception, Warning, Exit, Interrupt or
            // Iteration, possibly dotted).
            var spec = MultilineSpec(mode: .continuation, pattern: #"^(?:Traceback \(most recent call last\):"#
                + #"|During handling of the above exception|The above exception was the direct cause"#
                + #"|(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?:Error|Exception|Warning|Exit|Interrupt|Iteration)(?::|$))"#)
            spec.blankLinesContinue = true
            spec.indentedLinesContinue = true
            return spec
        case "go":
            // After `panic: ...` or `fatal error: ...`: blank lines, `goroutine N [state]:`,
            // function lines such as `main.main()` or `net/http.(*conn).serve(0xc000...)`,
            // indented file lines, `created by ...`, `[signal ...` and `exit status N`.
            var spec = MultilineSpec(mode: .continuation, pattern: #"^(?:goroutine \d+ \[[^\]]*\]:$"#
                + #"|created by |\[signal |exit status \d+$|[A-Za-z_][\w./*\-]*\(.*\)(?: \+0x[0-9a-f]+)?$)"#)
            spec.blankLinesContinue = true
            spec.indentedLinesContinue = true
            return spec
        default:
            return nil
        }
    }
}
