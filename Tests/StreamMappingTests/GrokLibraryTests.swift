import StreamMapping
import Testing

/// A mapper for grok `patterns` with the user's `definitions`.
func grokMapper(
    _ patterns: [String], _ definitions: [GrokDefinition] = []
) throws(MappingError) -> EventMapper {
    try EventMapper(spec: MappingSpec(
        parser: .grok(GrokSpec(patterns: patterns, definitions: definitions)), defaultStream: "s"
    ))
}

/// Whether built-in pattern `name` matches the whole of `text` (anchored at both ends).
func grokMatchesWhole(_ name: String, _ text: String) throws -> Bool {
    let mapper = try grokMapper(["^%{\(name):value}$"])
    return decodedEvent(mapper, text)?["value"] as? String == text
}

@Suite("Grok built-in patterns")
struct GrokLibraryTests {
    static let names = [
        "WORD", "NOTSPACE", "SPACE", "DATA", "GREEDYDATA", "QUOTEDSTRING", "QS", "QUOTEDTEXT", "INT", "POSINT",
        "NONNEGINT", "NUMBER", "BASE10NUM", "BASE16NUM", "BASE16FLOAT", "UUID", "USERNAME", "USER",
        "EMAILLOCALPART", "EMAILADDRESS", "UNIXPATH", "WINPATH", "PATH", "TTY", "JAVACLASS", "JAVAMETHOD",
        "JAVAFILE", "JAVASTACKTRACEPART", "JAVAEXCEPTION", "JAVACAUSEDBY", "JAVAMORE", "LOGLEVEL", "IPV4OCTET",
        "IPV4", "IPV6", "IP", "HOSTNAME", "IPORHOST", "HOSTPORT", "MAC", "URIPROTO", "URIHOST", "URIPATH",
        "URIQUERY", "URIPARAM", "URIPATHPARAM", "URI", "MONTH", "MONTHNUM", "MONTHNUM2", "MONTHDAY", "MONTHDAY2",
        "DAY", "YEAR", "HOUR", "MINUTE", "SECOND", "TIME", "TZOFFSET", "ISO8601_TIMEZONE", "TZ",
        "TIMESTAMP_ISO8601", "DATE_US", "DATE_EU", "DATE", "DATESTAMP", "HTTPDATE", "HTTPHEADERDATE",
        "RFC2822_DATE", "HTTPDERROR_DATE", "NGINX_ERROR_DATE", "SYSLOGTIMESTAMP", "HTTPDUSER", "COMMONAPACHELOG",
        "COMBINEDAPACHELOG", "HTTPD_COMMONLOG", "HTTPD_COMBINEDLOG", "NGINXACCESS", "HTTPD20_ERRORLOG",
        "HTTPD24_ERRORLOG", "HTTPD_ERRORCODE", "HTTPD_ERRORLOG", "NGINX_ERRORLOG", "PROG", "SYSLOGPROG",
        "SYSLOGHOST", "SYSLOGPRI", "SYSLOGBASE", "SYSLOGLINE", "SYSLOG5424SD", "SYSLOG5424LINE",
    ]

    @Test("every built-in pattern expands and compiles")
    func allCompile() throws {
        #expect(GrokSpec.builtInPatternNames == Self.names.sorted())
        for name in Self.names {
            #expect(throws: Never.self, "\(name)") { _ = try grokMapper(["%{\(name):x}"]) }
        }
    }

    @Test(
        "matching values",
        arguments: [
            ("IPV4", ["0.0.0.0", "83.149.9.216", "255.255.255.255", "10.1.2.3"]),
            ("IPV6", [
                "::", "::1", "2001:db8::8a2e:370:7334", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "fe80::1%eth0",
                "::ffff:192.0.2.128", "1::", "1:2:3:4:5:6:7::", "1::8", "1:2:3:4:5:6::8", "64:ff9b::192.0.2.33",
                "1:2:3:4:5:6:1.2.3.4",
            ]),
            ("IP", ["127.0.0.1", "::1"]),
            ("HOSTNAME", ["localhost", "www.example.com", "a-b.c", "example.com.", "x1"]),
            ("IPORHOST", ["host-1.example.org", "192.168.0.1", "2001:db8::1"]),
            ("HOSTPORT", ["example.com:8080", "10.0.0.1:443"]),
            ("MAC", ["00:1a:2B:3c:4d:5e", "00-1A-2B-3C-4D-5E", "001a.2b3c.4d5e"]),
            ("INT", ["0", "-17", "+42"]),
            ("NUMBER", ["1", "-1.5", "3.", ".25", "6.02e23", "1E-9"]),
            ("BASE16NUM", ["0x1F", "ff", "-0XAB"]),
            ("QUOTEDSTRING", [#""a \"b\" c""#, "'it\\'s'", "`x`", #""""#]),
            ("UUID", ["123e4567-e89b-12d3-a456-426614174000", "A987FBC9-4BED-3078-CF07-9141BA07C9F3"]),
            ("UNIXPATH", ["/", "/var/log/nginx/access.log", "/a/./b/../c~d"]),
            ("WINPATH", [#"C:\Windows\System32\drivers"#, #"\\server\share\file.txt"#]),
            ("PATH", ["/usr/bin/env", #"D:\logs\app.log"#]),
            ("URI", [
                "http://example.com", "https://user:pw@example.com:8443/a/b.html?x=1&y=%20#frag",
                "ftp://10.0.0.1/pub",
            ]),
            ("EMAILADDRESS", ["contact1@example.org", "a.b+c@sub.example.com"]),
            ("LOGLEVEL", ["INFO", "info", "Warning", "WARN", "error", "ERR", "crit", "FATAL", "debug", "trace6",
                          "notice", "emerg", "SEVERE", "alert"]),
            ("TIMESTAMP_ISO8601", [
                "2024-03-10T06:00:00Z", "2024-03-10T06:00:00.123+01:00", "2016-12-19 18:14:40,211",
                "2018-03-24T08:59:37-07:00", "2024-03-10T0600", "2024-03-10 06:00",
            ]),
            ("HTTPDATE", ["17/May/2015:10:05:03 +0000", "10/Oct/2000:13:55:36 -0700"]),
            ("HTTPHEADERDATE", ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT"]),
            ("HTTPDERROR_DATE", ["Sun Dec 04 04:47:44 2005", "Wed Oct 11 14:32:52.123456 2000"]),
            ("NGINX_ERROR_DATE", ["2016/10/25 14:49:34"]),
            ("SYSLOGTIMESTAMP", ["Jun  9 06:06:20", "Dec 10 06:55:46"]),
            ("DATESTAMP", ["12/31/2024 23:59:59", "31.12.2024 23:59"]),
            ("JAVACLASS", ["kafka.controller.KafkaController", "Foo", "a.b$Inner", "java.lang.Thread"]),
            ("JAVASTACKTRACEPART", [
                "\tat kafka.utils.NetworkClientBlockingOps$.awaitReady$1(NetworkClientBlockingOps.scala:84)",
                "    at java.lang.Thread.run(Thread.java:745)", "\tat sun.misc.Unsafe.park(Native Method)",
                "\tat com.example.Foo.<init>(Unknown Source)",
                "\tat org.a.B.c(B.java:12) ~[app.jar:1.0]",
            ]),
            ("JAVAEXCEPTION", [
                "java.io.IOException: Connection to kafka1:9092 (id: 1 rack: null) failed",
                "java.lang.NullPointerException",
            ]),
        ]
    )
    func matches(name: String, values: [String]) throws {
        for value in values {
            #expect(try grokMatchesWhole(name, value), "\(name) should match \(value)")
        }
    }

    @Test(
        "values that do not match",
        arguments: [
            ("IPV4", ["256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4x", "a.b.c.d"]),
            ("IPV6", ["1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::1", ":"]),
            ("HOSTNAME", ["-leading.example", "under_score", "a..b"]),
            ("INT", ["1.5", "", "-"]),
            ("NUMBER", ["-", ".", "1e", "NaN"]),
            ("UUID", ["123e4567-e89b-12d3-a456-42661417400", "123e4567e89b12d3a456426614174000"]),
            ("LOGLEVEL", ["informational", "warnings", "-"]),
            ("TIMESTAMP_ISO8601", ["2024-13-01T00:00:00", "2024-03-10", "2024-03-10T25:00"]),
            ("HTTPDATE", ["17/Mai/2015:10:05:03 +0000", "17/May/2015 10:05:03 +0000"]),
            ("SYSLOGTIMESTAMP", ["Jux  9 06:06:20", "Jun 9 6:6:20"]),
            ("JAVACLASS", ["1abc", "a..b", ".a"]),
            ("MAC", ["00:1a:2b:3c:4d", "001a2b3c4d5e"]),
        ]
    )
    func rejects(name: String, values: [String]) throws {
        for value in values {
            #expect(try !grokMatchesWhole(name, value), "\(name) should not match \(value)")
        }
    }
}
