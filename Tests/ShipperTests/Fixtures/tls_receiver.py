#!/usr/bin/env python3
"""A loopback HTTPS endpoint for the TLS tests: answers every POST with 200 and appends each
request body, one per line, to RECORDS. Binds 127.0.0.1 on a port the OS picks and writes it to
PORTFILE. Stops after LIFETIME seconds (so it never outlives a test) or when stdin closes."""
import http.server
import os
import ssl
import sys
import threading

cert, key, portfile, records, lifetime = sys.argv[1:6]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(records, "ab") as f:
            f.write(body.replace(b"\n", b" ") + b"\n")
        reply = b"{}"
        self.send_response(200)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
threading.Timer(float(lifetime), server.shutdown).start()
threading.Thread(target=lambda: (sys.stdin.read(), server.shutdown()), daemon=True).start()
server.serve_forever()
