extension GrokLibrary {
    /// Whole log lines: web server access and error logs, syslog.
    ///
    /// Field names match the other parsers' (the dissect example's access-log fields, the syslog
    /// parser's): `client`, `ident`, `user`, `time`, `method`, `path`, `protocol`, `status`,
    /// `bytes`, `referrer`, `agent`; `time`, `level`, `pid`, `client`, `message`; `timestamp`,
    /// `host`, `app`, `pid`, `message`. Numbers that are always numbers (status, byte counts,
    /// pids, ports) are typed `int`; a `types` option in the mapping overrides that.
    static let logs: [String: String] = [
        // Access logs (Apache and nginx write the same formats). A request line that is not
        // `METHOD PATH [PROTOCOL]` (such as "-") is kept whole as `request`; a byte count of
        // `-` leaves `bytes` out.
        "HTTPDUSER": #"\S+"#,
        "COMMONAPACHELOG": #"%{IPORHOST:client} %{HTTPDUSER:ident} %{HTTPDUSER:user} "#
            + #"\[%{HTTPDATE:time}\] "#
            + #""(?:%{WORD:method} %{NOTSPACE:path}(?: %{NOTSPACE:protocol})?|%{QUOTEDTEXT:request})" "#
            + #"%{NONNEGINT:status:int} (?:%{NONNEGINT:bytes:int}|-)"#,
        "COMBINEDAPACHELOG": #"%{COMMONAPACHELOG} "%{QUOTEDTEXT:referrer}" "%{QUOTEDTEXT:agent}""#,
        "HTTPD_COMMONLOG": "%{COMMONAPACHELOG}",
        "HTTPD_COMBINEDLOG": "%{COMBINEDAPACHELOG}",
        "NGINXACCESS": "%{COMBINEDAPACHELOG}",

        // Apache's error log: 2.0/2.2 `[date] [level] [client ip] message` and 2.4
        // `[date] [module:level] [pid N:tid M] (errno)text: [client ip:port] AH00123: message`.
        "HTTPD20_ERRORLOG": #"\[%{HTTPDERROR_DATE:time}\] \[%{LOGLEVEL:level}\] "#
            + #"(?:\[client %{IPORHOST:client}\] )?%{GREEDYDATA:message}"#,
        "HTTPD24_ERRORLOG": #"\[%{HTTPDERROR_DATE:time}\] \[(?:%{WORD:module})?:%{LOGLEVEL:level}\] "#
            + #"\[pid %{POSINT:pid:int}(?::tid %{NONNEGINT:tid:int})?\] "#
            + #"(?:\(%{POSINT:os_error:int}\)%{DATA:os_message}: )?"#
            + #"(?:\[client %{IPORHOST:client}(?::%{POSINT:client_port:int})?\] )?"#
            + #"(?:%{HTTPD_ERRORCODE:error_code}: )?%{GREEDYDATA:message}"#,
        "HTTPD_ERRORCODE": #"[A-Z]{2}\d{5}"#,
        "HTTPD_ERRORLOG": "(?:%{HTTPD24_ERRORLOG}|%{HTTPD20_ERRORLOG})",

        // nginx's error log: `2016/10/25 14:49:34 [error] 54053#0: *1 message`.
        "NGINX_ERRORLOG": #"%{NGINX_ERROR_DATE:time} \[%{LOGLEVEL:level}\] "#
            + #"%{POSINT:pid:int}#%{NONNEGINT:tid:int}: (?:\*%{NONNEGINT:connection:int} )?"#
            + #"%{GREEDYDATA:message}"#,

        // BSD syslog lines (RFC 3164): `<PRI>Mmm dd hh:mm:ss host app[pid]: message`.
        "PROG": #"[\x21-\x39\x3b-\x5a\x5c\x5e-\x7e]+"#,
        "SYSLOGPROG": #"%{PROG:app}(?:\[%{POSINT:pid:int}\])?"#,
        "SYSLOGHOST": "%{IPORHOST}",
        "SYSLOGPRI": "<%{NONNEGINT:priority:int}>",
        "SYSLOGBASE": "(?:%{SYSLOGPRI})?%{SYSLOGTIMESTAMP:timestamp} %{SYSLOGHOST:host} %{SYSLOGPROG}:",
        "SYSLOGLINE": "%{SYSLOGBASE} ?%{GREEDYDATA:message}",
        // RFC 5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`, `-` values left out.
        "SYSLOG5424SD": #"(?:\[(?:[^\]"]|"[^"\\]*(?:\\.[^"\\]*)*")*\])+"#,
        "SYSLOG5424LINE": #"<%{NONNEGINT:priority:int}>%{POSINT:version} "#
            + #"(?:-|%{TIMESTAMP_ISO8601:timestamp}) (?:-|%{NOTSPACE:host}) (?:-|%{NOTSPACE:app}) "#
            + #"(?:-|%{NOTSPACE:procid}) (?:-|%{NOTSPACE:msgid}) (?:-|%{SYSLOG5424SD:structured_data})"#
            + #"(?: %{GREEDYDATA:message})?"#,
    ]
}
