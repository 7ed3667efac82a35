extension ParserRegistry {
    /// The names of the built-in parsers that `registerBuiltIns()` adds.
    public static let builtInNames = ["csv", "dissect", "logfmt", "syslog"]

    /// Registers the built-in parsers, replacing anything registered under their names:
    /// `dissect` (`DissectParser`), `logfmt` (`LogfmtParser`), `csv` (`CSVParser`) and
    /// `syslog` (`SyslogParser`). `ParserRegistry.shared` starts with them.
    public func registerBuiltIns() {
        register("dissect") { options throws(MappingError) in try DissectParser(options: options) }
        register("logfmt") { options throws(MappingError) in try LogfmtParser(options: options) }
        register("csv") { options throws(MappingError) in try CSVParser(options: options) }
        register("syslog") { options throws(MappingError) in try SyslogParser(options: options) }
    }
}
