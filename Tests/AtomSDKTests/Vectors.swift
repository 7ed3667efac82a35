// shared/atom-wire-vectors.json (request bodies and HMACs computed independently of this
// project), embedded so that clones without shared/ still pass. Long lines are wrapped with the
// raw string's line continuation (a backslash, hash at a line end), which adds no characters.

let atomWireVectorsJSON = #"""
{
  "note": "Each body is one valid encoding; any encoding is valid if auth is the HMAC-SHA256 (hex) o\#
f exactly the data string sent.",
  "cases": [
    {
      "name": "single event",
      "stream": "web",
      "authKey": "k3y",
      "bulk": false,
      "events": [
        "{\"a\":1}"
      ],
      "data": "{\"a\":1}",
      "auth": "32db719f172c48e89dbfa56ed20d9e19cdbfdbe9f652ccdf5fa03494d2444853",
      "path": "",
      "body": "{\"table\":\"web\",\"data\":\"{\\\"a\\\":1}\",\"auth\":\"32db719f172c48e89dbfa56ed20d\#
9e19cdbfdbe9f652ccdf5fa03494d2444853\"}",
      "getQueryData": "eyJ0YWJsZSI6IndlYiIsImRhdGEiOiJ7XCJhXCI6MX0iLCJhdXRoIjoiMzJkYjcxOWYxNzJjNDhlO\#
DlkYmZhNTZlZDIwZDllMTljZGJmZGJlOWY2NTJjY2RmNWZhMDM0OTRkMjQ0NDg1MyJ9"
    },
    {
      "name": "bulk of two",
      "stream": "web",
      "authKey": "k3y",
      "bulk": true,
      "events": [
        "{\"a\":1}",
        "{\"b\":\"x\"}"
      ],
      "data": "[\"{\\\"a\\\":1}\",\"{\\\"b\\\":\\\"x\\\"}\"]",
      "auth": "fe0572bf02a3ae7c5bfa83cf61c90d8a714800c23d5a0c615c9b82be743b78cd",
      "path": "bulk",
      "body": "{\"table\":\"web\",\"data\":\"[\\\"{\\\\\\\"a\\\\\\\":1}\\\",\\\"{\\\\\\\"b\\\\\\\":\#
\\\\\\\"x\\\\\\\"}\\\"]\",\"auth\":\"fe0572bf02a3ae7c5bfa83cf61c90d8a714800c23d5a0c615c9b82be743b78c\#
d\",\"bulk\":true}",
      "getQueryData": "eyJ0YWJsZSI6IndlYiIsImRhdGEiOiJbXCJ7XFxcImFcXFwiOjF9XCIsXCJ7XFxcImJcXFwiOlxcX\#
CJ4XFxcIn1cIl0iLCJhdXRoIjoiZmUwNTcyYmYwMmEzYWU3YzViZmE4M2NmNjFjOTBkOGE3MTQ4MDBjMjNkNWEwYzYxNWM5YjgyY\#
mU3NDNiNzhjZCIsImJ1bGsiOnRydWV9"
    },
    {
      "name": "no key: auth left out",
      "stream": "web",
      "authKey": "",
      "bulk": true,
      "events": [
        "{\"a\":1}",
        "{\"b\":\"x\"}"
      ],
      "data": "[\"{\\\"a\\\":1}\",\"{\\\"b\\\":\\\"x\\\"}\"]",
      "auth": null,
      "path": "bulk",
      "body": "{\"table\":\"web\",\"data\":\"[\\\"{\\\\\\\"a\\\\\\\":1}\\\",\\\"{\\\\\\\"b\\\\\\\":\#
\\\\\\\"x\\\\\\\"}\\\"]\",\"bulk\":true}",
      "getQueryData": "eyJ0YWJsZSI6IndlYiIsImRhdGEiOiJbXCJ7XFxcImFcXFwiOjF9XCIsXCJ7XFxcImJcXFwiOlxcX\#
CJ4XFxcIn1cIl0iLCJidWxrIjp0cnVlfQ=="
    },
    {
      "name": "escapes and unicode",
      "stream": "app_logs",
      "authKey": "s3cr3t",
      "bulk": true,
      "events": [
        "{\"msg\":\"quote \\\" backslash \\\\ tab \\t newline \\n\",\"u\":\"héllo – 日本\"}",
        "{\"nested\":{\"arr\":[1,2.5,true,null]},\"ctl\":\"\\u0001\"}"
      ],
      "data": "[\"{\\\"msg\\\":\\\"quote \\\\\\\" backslash \\\\\\\\ tab \\\\t newline \\\\n\\\",\#
\\\"u\\\":\\\"héllo – 日本\\\"}\",\"{\\\"nested\\\":{\\\"arr\\\":[1,2.5,true,null]},\\\"ctl\\\":\\\"\#
\\\\u0001\\\"}\"]",
      "auth": "5da1ba6c5a9bcd48b4068a962a5838ae615ead04d5002e64893f71d2ecd23179",
      "path": "bulk",
      "body": "{\"table\":\"app_logs\",\"data\":\"[\\\"{\\\\\\\"msg\\\\\\\":\\\\\\\"quote\#
 \\\\\\\\\\\\\\\" backslash \\\\\\\\\\\\\\\\ tab \\\\\\\\t newline \\\\\\\\n\\\\\\\",\\\\\\\"u\#
\\\\\\\":\\\\\\\"héllo – 日本\\\\\\\"}\\\",\\\"{\\\\\\\"nested\\\\\\\":{\\\\\\\"arr\\\\\\\":[1,2.5,tru\#
e,null]},\\\\\\\"ctl\\\\\\\":\\\\\\\"\\\\\\\\u0001\\\\\\\"}\\\"]\",\"auth\":\"5da1ba6c5a9bcd48b4068a\#
962a5838ae615ead04d5002e64893f71d2ecd23179\",\"bulk\":true}",
      "getQueryData": "eyJ0YWJsZSI6ImFwcF9sb2dzIiwiZGF0YSI6IltcIntcXFwibXNnXFxcIjpcXFwicXVvdGUgXFxcX\#
FxcXCIgYmFja3NsYXNoIFxcXFxcXFxcIHRhYiBcXFxcdCBuZXdsaW5lIFxcXFxuXFxcIixcXFwidVxcXCI6XFxcImjDqWxsbyDig\#
JMg5pel5pysXFxcIn1cIixcIntcXFwibmVzdGVkXFxcIjp7XFxcImFyclxcXCI6WzEsMi41LHRydWUsbnVsbF19LFxcXCJjdGxcX\#
FwiOlxcXCJcXFxcdTAwMDFcXFwifVwiXSIsImF1dGgiOiI1ZGExYmE2YzVhOWJjZDQ4YjQwNjhhOTYyYTU4MzhhZTYxNWVhZDA0Z\#
DUwMDJlNjQ4OTNmNzFkMmVjZDIzMTc5IiwiYnVsayI6dHJ1ZX0="
    },
    {
      "name": "raw line kept as text",
      "stream": "raw",
      "authKey": "k",
      "bulk": true,
      "events": [
        "{\"message\":\"GET /index.html HTTP/1.1\"}"
      ],
      "data": "[\"{\\\"message\\\":\\\"GET /index.html HTTP/1.1\\\"}\"]",
      "auth": "9dcd134ae07a4471e2d3621bfcbd5647bff236da65f97f7092685d8b2c7ccd20",
      "path": "bulk",
      "body": "{\"table\":\"raw\",\"data\":\"[\\\"{\\\\\\\"message\\\\\\\":\\\\\\\"GET /index.html H\#
TTP/1.1\\\\\\\"}\\\"]\",\"auth\":\"9dcd134ae07a4471e2d3621bfcbd5647bff236da65f97f7092685d8b2c7ccd20\#
\",\"bulk\":true}",
      "getQueryData": "eyJ0YWJsZSI6InJhdyIsImRhdGEiOiJbXCJ7XFxcIm1lc3NhZ2VcXFwiOlxcXCJHRVQgL2luZGV4L\#
mh0bWwgSFRUUC8xLjFcXFwifVwiXSIsImF1dGgiOiI5ZGNkMTM0YWUwN2E0NDcxZTJkMzYyMWJmY2JkNTY0N2JmZjIzNmRhNjVmO\#
TdmNzA5MjY4NWQ4YjJjN2NjZDIwIiwiYnVsayI6dHJ1ZX0="
    }
  ]
}
"""#
