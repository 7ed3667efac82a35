/// The built-in grok patterns, by name: PCRE2 regex text that may refer to other patterns as
/// `%{NAME}` (or capture them as `%{NAME:field}`, `%{NAME:field:type}`).
///
/// Written for this project. The names follow the ones grok users know (`IP`, `NUMBER`,
/// `COMBINEDAPACHELOG`...), so that their patterns carry over; the field names the composite
/// patterns capture are this project's (see the README). None of them anchors itself, and none
/// has a capturing group of its own except through `%{NAME:field}`, so they compose freely.
enum GrokLibrary {
    /// Every built-in pattern.
    static let patterns: [String: String] = basics
        .merging(network) { first, _ in first }
        .merging(dates) { first, _ in first }
        .merging(GrokLibrary.logs) { first, _ in first }

    /// Words, numbers, strings, identifiers and paths.
    static let basics: [String: String] = [
        "WORD": #"\w+"#,
        "NOTSPACE": #"\S+"#,
        "SPACE": #"\s*"#,
        "DATA": #".*?"#,
        "GREEDYDATA": #".*"#,
        "QUOTEDSTRING": #"(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`)"#,
        "QS": "%{QUOTEDSTRING}",
        // The inside of a double-quoted string whose quotes inside are escaped with a backslash.
        "QUOTEDTEXT": #"[^"\\]*(?:\\.[^"\\]*)*"#,

        "INT": #"[+-]?\d+"#,
        "POSINT": #"[1-9]\d*"#,
        "NONNEGINT": #"\d+"#,
        "NUMBER": #"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"#,
        "BASE10NUM": "%{NUMBER}",
        "BASE16NUM": #"[+-]?(?:0[xX])?[0-9A-Fa-f]+"#,
        "BASE16FLOAT": #"[+-]?(?:0[xX])?(?:[0-9A-Fa-f]+(?:\.[0-9A-Fa-f]*)?|\.[0-9A-Fa-f]+)"#,

        "UUID": #"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"#,
        "USERNAME": #"[A-Za-z0-9._-]+"#,
        "USER": "%{USERNAME}",
        "EMAILLOCALPART": #"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"#,
        "EMAILADDRESS": "%{EMAILLOCALPART}@%{HOSTNAME}",

        // Paths: a Unix path is one or more /segments; a Windows one starts with a drive or \\host.
        "UNIXPATH": #"(?:/[^/\s?#"]*)+"#,
        "WINPATH": #"(?:[A-Za-z]:|\\\\[^\\\s]+)(?:\\[^\\\s?*"<>|]*)+"#,
        "PATH": "(?:%{UNIXPATH}|%{WINPATH})",
        "TTY": #"/dev/(?:pts|tty(?:[pq])?)(?:\w*)?/?\d*"#,

        // Java: a dotted class name, a method, a source file, and one stack frame line.
        "JAVACLASS": #"(?:[A-Za-z_$][A-Za-z0-9_$]*\.)*[A-Za-z_$][A-Za-z0-9_$]*"#,
        "JAVAMETHOD": #"(?:<(?:cl)?init>|[A-Za-z_$][A-Za-z0-9_$]*)"#,
        "JAVAFILE": #"[A-Za-z0-9_$. -]+"#,
        "JAVASTACKTRACEPART": #"\s*at %{JAVACLASS:class}\.%{JAVAMETHOD:method}\("#
            + #"(?:%{JAVAFILE:file}(?::%{NONNEGINT:line:int})?|Native Method|Unknown Source)\)"#
            + #"(?: ~?\[[^\]]*\])?"#,
        "JAVAEXCEPTION": #"%{JAVACLASS:exception}(?:: %{GREEDYDATA:exception_message})?"#,
        "JAVACAUSEDBY": #"Caused by: %{JAVAEXCEPTION}"#,
        "JAVAMORE": #"\s*\.\.\. %{NONNEGINT:more:int} (?:more|common frames omitted)"#,

        // Levels as loggers write them, in any case; longer words first so that `warning` is not
        // taken as `warn`.
        "LOGLEVEL": #"(?i:emergency|emerg|alert|critical|crit|fatal|severe|error|err|warning|warn|"#
            + #"notice|information|info|debug|trace[1-8]?|verbose|fine(?:st|r)?|panic)(?![A-Za-z])"#,
    ]

    /// Addresses, hosts and URLs.
    static let network: [String: String] = [
        "IPV4OCTET": #"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"#,
        "IPV4": #"(?<![0-9.])%{IPV4OCTET}(?:\.%{IPV4OCTET}){3}(?![0-9])"#,
        "IPV6": ipv6,
        "IP": "(?:%{IPV6}|%{IPV4})",
        // A name of dot-separated labels of letters, digits and inner hyphens.
        "HOSTNAME": #"(?<![A-Za-z0-9-])[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"#
            + #"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?(?![A-Za-z0-9-])"#,
        "IPORHOST": "(?:%{IP}|%{HOSTNAME})",
        "HOSTPORT": "%{IPORHOST}:%{POSINT}",
        "MAC": #"(?:[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})"#,

        "URIPROTO": #"[A-Za-z][A-Za-z0-9+.-]*"#,
        "URIHOST": "%{IPORHOST}(?::%{POSINT})?",
        "URIPATH": #"(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%&_\-]*)+"#,
        "URIQUERY": #"[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\-\[\]<>]*"#,
        "URIPARAM": #"\?%{URIQUERY}"#,
        "URIPATHPARAM": "%{URIPATH}(?:%{URIPARAM})?",
        "URI": #"%{URIPROTO}://(?:%{USER}(?::[^@]*)?@)?%{URIHOST}(?:%{URIPATHPARAM})?"#,
    ]

    /// IPv6 in every RFC 4291 form: eight groups, `::` compression anywhere, an IPv4 tail, and a
    /// `%zone` suffix; not followed by another hex digit, colon, or a dot and a digit (so that the
    /// start of `::ffff:192.0.2.1` is not taken alone).
    private static let ipv6: String = {
        let h = "[0-9A-Fa-f]{1,4}"
        let v4 = "%{IPV4OCTET}(?:\\.%{IPV4OCTET}){3}"
        let forms = [
            "(?:\(h):){7}\(h)",
            "(?:\(h):){6}\(v4)",
            "(?:\(h):){1,7}:",
            "(?:\(h):){1,6}:\(h)",
            "(?:\(h):){1,5}(?::\(h)){1,2}",
            "(?:\(h):){1,4}(?::\(h)){1,3}",
            "(?:\(h):){1,3}(?::\(h)){1,4}",
            "(?:\(h):){1,2}(?::\(h)){1,5}",
            "\(h):(?::\(h)){1,6}",
            ":(?:(?::\(h)){1,7}|:)",
            "(?:\(h):){1,5}:\(v4)",
            "(?:\(h):){0,4}\(h)::(?:\(h):){0,4}\(v4)",
            "::(?:\(h):){0,5}\(v4)",
        ]
        return "(?<![0-9A-Fa-f:])(?:" + forms.joined(separator: "|") + ")(?:%[0-9A-Za-z]+)?(?![0-9A-Fa-f:]|\\.\\d)"
    }()

    /// Parts of dates and times, and whole timestamps.
    static let dates: [String: String] = [
        "MONTH": #"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"#
            + #"Sep(?:tember)?|Sept|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)(?![A-Za-z])"#,
        "MONTHNUM": #"(?:1[0-2]|0?[1-9])"#,
        "MONTHNUM2": #"(?:0[1-9]|1[0-2])"#,
        "MONTHDAY": #"(?:3[01]|[12]\d|0?[1-9])"#,
        "MONTHDAY2": #"(?:3[01]|[12]\d|0[1-9])"#,
        "DAY": #"(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|"#
            + #"Sat(?:urday)?|Sun(?:day)?)(?![A-Za-z])"#,
        "YEAR": #"(?:\d\d){1,2}"#,
        "HOUR": #"(?:2[0-3]|[01]?\d)"#,
        "MINUTE": #"[0-5]\d"#,
        "SECOND": #"(?:60|[0-5]?\d)(?:[.,]\d+)?"#,
        "TIME": "%{HOUR}:%{MINUTE}(?::%{SECOND})?(?![0-9])",
        "TZOFFSET": #"[+-](?:2[0-3]|[01]\d):?[0-5]\d"#,
        "ISO8601_TIMEZONE": "(?:Z|%{TZOFFSET})",
        "TZ": #"(?:[A-Z]{2,5}|%{TZOFFSET})"#,

        // 2024-03-10T06:00:00.123+01:00, 2024-03-10 06:00:00,123 and the like.
        "TIMESTAMP_ISO8601": #"%{YEAR}-%{MONTHNUM2}-%{MONTHDAY2}[T ]%{HOUR}:?%{MINUTE}"#
            + "(?::?%{SECOND})?%{ISO8601_TIMEZONE}?",
        "DATE_US": #"%{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR}"#,
        "DATE_EU": #"%{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR}"#,
        "DATE": "(?:%{DATE_US}|%{DATE_EU})",
        "DATESTAMP": #"%{DATE}[- ]%{TIME}"#,
        // The access log's 10/Oct/2000:13:55:36 -0700.
        "HTTPDATE": "%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT}",
        // HTTP's own date (RFC 9110 IMF-fixdate and the RFC 850 form): Sun, 06 Nov 1994 08:49:37 GMT.
        "HTTPHEADERDATE": "%{DAY}, %{MONTHDAY}[ -]%{MONTH}[ -]%{YEAR} %{TIME} (?:GMT|%{TZ})",
        "RFC2822_DATE": "(?:%{DAY}, )?%{MONTHDAY} %{MONTH} %{YEAR} %{TIME}(?: %{TZ})?",
        // Apache's error log: Sun Dec 04 04:47:44 2005, with microseconds since 2.4.
        "HTTPDERROR_DATE": "%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{YEAR}",
        // nginx's error log: 2016/10/25 14:49:34.
        "NGINX_ERROR_DATE": "%{YEAR}/%{MONTHNUM2}/%{MONTHDAY2} %{TIME}",
        // syslog: Jun  9 06:06:20.
        "SYSLOGTIMESTAMP": "%{MONTH} +%{MONTHDAY} %{TIME}",
    ]
}
