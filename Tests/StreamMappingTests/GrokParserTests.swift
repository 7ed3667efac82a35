import StreamMapping
import Testing

@Suite("Grok parser")
struct GrokParserTests {
    /// The error making a grok mapper gives, or nil.
    static func error(_ patterns: [String], _ definitions: [GrokDefinition] = []) -> MappingError? {
        mappingError { () throws(MappingError) in try grokMapper(patterns, definitions) }
    }

    static func define(_ name: String, _ regex: String) -> GrokDefinition {
        GrokDefinition(name: name, regex: regex, keyPath: "parser.patterns.\(name)")
    }

    @Test("a combined access log line: every field, status and bytes as numbers, `-` bytes left out")
    func combined() throws {
        let mapper = try grokMapper(["^%{COMBINEDAPACHELOG}$"])
        let line = #"83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /images/kibana-search.png HTTP/1.1" "#
            + #"200 203023 "http://semicomplete.com/" "Mozilla/5.0 (X11; Linux) \"quoted\"""#
        #expect(map(mapper, line).json
            == #"{"client":"83.149.9.216","ident":"-","user":"-","time":"17/May/2015:10:05:03 +0000","#
            + #""method":"GET","path":"/images/kibana-search.png","protocol":"HTTP/1.1","status":200,"#
            + #""bytes":203023,"referrer":"http://semicomplete.com/","agent":"Mozilla/5.0 (X11; Linux) "#
            + #"\\\"quoted\\\""}"#)
        let dash = #"2001:db8::1 - frank [10/Oct/2000:13:55:36 -0700] "-" 400 - "-" "-""#
        #expect(map(mapper, dash).json
            == #"{"client":"2001:db8::1","ident":"-","user":"frank","time":"10/Oct/2000:13:55:36 -0700","#
            + #""request":"-","status":400,"referrer":"-","agent":"-"}"#)
        #expect(mapper.parseFailures == 0)
    }

    @Test("Apache 2.0 and 2.4 error log lines")
    func apacheErrors() throws {
        let mapper = try grokMapper(["^%{HTTPD_ERRORLOG}$"])
        #expect(map(mapper, "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/w.properties")
            .json == #"{"time":"Sun Dec 04 04:47:44 2005","level":"notice","#
            + #""message":"workerEnv.init() ok /etc/httpd/conf/w.properties"}"#)
        #expect(map(mapper, "[Sun Dec 04 20:47:17 2005] [error] [client 81.199.21.119] Directory index forbidden")
            .json == #"{"time":"Sun Dec 04 20:47:17 2005","level":"error","client":"81.199.21.119","#
            + #""message":"Directory index forbidden"}"#)
        let line = "[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] "
            + "(13)Permission denied: [client 72.15.99.187:57368] AH00132: file permissions deny access"
        #expect(map(mapper, line).json
            == #"{"time":"Wed Oct 11 14:32:52.123456 2000","module":"core","level":"error","pid":35708,"#
            + #""tid":4328636416,"os_error":13,"os_message":"Permission denied","client":"72.15.99.187","#
            + #""client_port":57368,"error_code":"AH00132","message":"file permissions deny access"}"#)
    }

    @Test("nginx error log, syslog and RFC 5424 lines")
    func otherLogs() throws {
        let nginx = try grokMapper(["^%{NGINX_ERRORLOG}$"])
        let line = #"2016/10/25 14:49:34 [error] 54053#0: *1 open() "/x/favicon.ico" failed (2: No such file)"#
        #expect(map(nginx, line).json
            == #"{"time":"2016/10/25 14:49:34","level":"error","pid":54053,"tid":0,"connection":1,"#
            + #""message":"open() \"/x/favicon.ico\" failed (2: No such file)"}"#)
        let syslog = try grokMapper(["^%{SYSLOGLINE}$"])
        #expect(map(syslog, "<38>Mar 10 06:00:00 web-01 nginx[14524]: upstream timed out").json
            == #"{"priority":38,"timestamp":"Mar 10 06:00:00","host":"web-01","app":"nginx","pid":14524,"#
            + #""message":"upstream timed out"}"#)
        #expect(map(syslog, "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster").json
            == #"{"timestamp":"Dec 10 06:55:46","host":"LabSZ","app":"sshd","pid":24200,"#
            + #""message":"Invalid user webmaster"}"#)
        let rfc5424 = try grokMapper(["^%{SYSLOG5424LINE}$"])
        #expect(map(rfc5424, #"<165>1 2003-10-11T22:14:15.003Z host evntslog - ID47 [a b="]"] hi"#).json
            == #"{"priority":165,"version":"1","timestamp":"2003-10-11T22:14:15.003Z","host":"host","#
            + #""app":"evntslog","msgid":"ID47","structured_data":"[a b=\"]\"]","message":"hi"}"#)
    }

    @Test("a Java stack frame and an exception header")
    func java() throws {
        let mapper = try grokMapper(["^%{JAVASTACKTRACEPART}$", "^%{JAVAEXCEPTION}$"])
        #expect(map(mapper, "\tat kafka.network.Processor.run(SocketServer.scala:413)").json
            == #"{"class":"kafka.network.Processor","method":"run","file":"SocketServer.scala","line":413}"#)
        #expect(map(mapper, "java.io.IOException: Connection to kafka1:9092 failed").json
            == #"{"exception":"java.io.IOException","exception_message":"Connection to kafka1:9092 failed"}"#)
    }

    @Test("user patterns refer to each other and to built-ins, and replace a built-in of their name")
    func userPatterns() throws {
        let definitions = [
            Self.define("REQID", "req-%{HEX8}"),
            Self.define("HEX8", "[0-9a-f]{8}"),
            Self.define("LOGLEVEL", "(?:LOW|HIGH)"),
        ]
        let mapper = try grokMapper(["^%{REQID:id} %{LOGLEVEL:level} %{GREEDYDATA:rest}$"], definitions)
        #expect(map(mapper, "req-0badf00d HIGH all good").json
            == #"{"id":"req-0badf00d","level":"HIGH","rest":"all good"}"#)
        #expect(map(mapper, "req-0badf00d INFO x").stream == 0)
        #expect(mapper.parseFailures == 1)
    }

    @Test("types in the pattern, fields that are not group names, named groups, and several patterns")
    func typesAndFields() throws {
        let mapper = try grokMapper([
            "^%{NUMBER:took.ms:float} %{WORD:ok:bool} (?<raw>\\S+)$",
            "^%{INT:n:int}$",
        ])
        #expect(map(mapper, "1.50 yes abc").json == #"{"took.ms":1.50,"ok":true,"raw":"abc"}"#)
        #expect(map(mapper, "+7").json == #"{"n":7}"#)
        #expect(map(mapper, "x").json == #"{"message":"x","parse_error":"line matches none of the 2 patterns"}"#)
        // A mapping type overrides the pattern's.
        var spec = MappingSpec(parser: .grok(GrokSpec(patterns: ["%{INT:n:int}"])), defaultStream: "s")
        spec.fieldTypes = [("n", .string)]
        #expect(map(try EventMapper(spec: spec), "42").json == #"{"n":"42"}"#)
        // One field captured in alternatives.
        let either = try grokMapper(["^(?:%{IP:addr}|\\[%{IPV6:addr}\\]):%{POSINT:port:int}$"])
        #expect(map(either, "[::1]:80").json == #"{"addr":"::1","port":80}"#)
        #expect(map(either, "10.0.0.1:80").json == #"{"addr":"10.0.0.1","port":80}"#)
    }

    @Test("unknown names, cycles and bad references are named by key path and pattern")
    func errors() throws {
        let unknown = Self.error(["%{IPV5:x}"])
        #expect(unknown?.keyPath == "parser.pattern")
        #expect(unknown?.message == "unknown grok pattern %{IPV5} (did you mean IPV4?)")

        let cycle = Self.error(
            ["%{A:x}"], [Self.define("A", "a%{B}"), Self.define("B", "b|%{C}"), Self.define("C", "%{A}")]
        )
        #expect(cycle?.keyPath == "parser.patterns.C")
        #expect(cycle?.message == "C: pattern A refers to itself: A → B → C → A")

        let inner = Self.error(["%{OUTER:x}"], [Self.define("OUTER", "%{NOPE}")])
        #expect(inner?.keyPath == "parser.patterns.OUTER")
        #expect(inner?.message == "OUTER: unknown grok pattern %{NOPE}")

        let fromFile = Self.error(["%{WORD:x}"], [
            GrokDefinition(name: "BAD", regex: "(unclosed", keyPath: "parser.patternsFiles[0]", line: 3),
        ])
        #expect(fromFile?.keyPath == "parser.patternsFiles[0]")
        #expect(fromFile?.message.hasPrefix("line 3, BAD: regex does not compile at offset") == true)

        let twice = Self.error(["%{A:x}"], [Self.define("A", "a"), Self.define("A", "b")])
        #expect(twice?.message == "A: the pattern is already defined at parser.patterns.A")

        #expect(Self.error(["%{WORD:x:long}"])?.message
            == #"%{WORD:x:long}: unknown type "long" (types: int, float, bool, string)"#)
        #expect(Self.error(["%{INT:x:int} %{INT:x:float}"])?.message
            == "%{INT:x:float}: field x is already typed int")
        #expect(Self.error(["%{WORD:}"])?.message == "%{WORD:} names an empty field")
        #expect(Self.error(["%{WORD"])?.message == #""%{" is not closed"#)
        #expect(Self.error(["%{WO-RD}"])?.message
            == "%{WO-RD} is not %{NAME}, %{NAME:field} or %{NAME:field:type}")
        #expect(Self.error(["%{WORD}"])?.message
            == "the pattern captures nothing, such as %{NUMBER:status}; events would be empty")
        #expect(Self.error(["%{WORD:x}", "%{NOPE:y}"])?.keyPath == "parser.pattern[1]")
        #expect(Self.error(["(%{WORD:x}"])?.message.hasPrefix("regex does not compile") == true)
    }
}
