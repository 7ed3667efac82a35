#!/usr/bin/env python3
"""A loopback Atom-compatible HTTP receiver for the benchmarks (Python stdlib only).

It accepts any POST (single or `bulk`), answers `200 OK` with an empty body, and discards
what it got. It is a raw socket server, not `http.server` (far too slow): one thread per
connection, HTTP/1.1 keep-alive, bodies read by Content-Length (chunked bodies are accepted
too), the whole response written in one send, TCP_NODELAY on every connection.

Modes:
  count    (default) count requests and body bytes only: the cheapest, for throughput runs
  verify   also decode every body and count the events in it (the elements of a bulk
           `data` array, or 1 for a single event), and bodies that did not decode
  latency  as verify, and for each event take (arrival time - send time) where the send
           time is the first word of the event's `message` field, in time.monotonic_ns()
           units (CLOCK_MONOTONIC is system-wide on Linux, so writer and receiver agree);
           the final report has p50, p90, p99 and max in milliseconds

Protocol with the driver: the first stdout line is `PORT <n>` (bound to 127.0.0.1 on a port
the OS picked, unless --port is given). Each `stats` line on stdin is answered with one JSON
line of the counters so far. End of stdin (or a `quit` line) waits for bodies still being
decoded, prints the final JSON line and exits 0.

  python3 Benchmarks/receiver.py --mode verify
"""

import argparse
import gzip
import json
import math
import os
import socket
import sys
import threading
import time

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
RECV_BYTES = 1 << 18


class Stats:
    """Counters shared by the connection threads (one lock, taken once per request)."""

    def __init__(self, mode):
        self.mode = mode
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.connections = 0
        self.requests = 0
        self.body_bytes = 0
        self.events = 0
        self.bad_bodies = 0
        self.busy = 0          # bodies answered but still being decoded
        self.latencies = []    # nanoseconds, latency mode only
        self.no_send_time = 0  # events whose message did not start with a send time

    def snapshot(self, final=False):
        with self.lock:
            out = {"mode": self.mode, "connections": self.connections, "requests": self.requests,
                   "body_bytes": self.body_bytes, "seconds": round(time.monotonic() - self.started, 3)}
            if self.mode != "count":
                out["events"] = self.events
                out["bad_bodies"] = self.bad_bodies
            if self.mode == "latency":
                out["no_send_time"] = self.no_send_time
                if final:
                    out.update(percentiles(self.latencies))
        return out


def percentiles(values_ns):
    """Nearest-rank percentiles, in milliseconds."""
    if not values_ns:
        return {"samples": 0}
    ordered = sorted(values_ns)
    n = len(ordered)

    def rank(p):
        index = max(0, min(n - 1, math.ceil(p * n - 1e-9) - 1))
        return round(ordered[index] / 1e6, 3)

    return {"samples": n, "p50_ms": rank(0.50), "p90_ms": rank(0.90), "p99_ms": rank(0.99),
            "max_ms": round(ordered[-1] / 1e6, 3), "min_ms": round(ordered[0] / 1e6, 3)}


def parse_head(head):
    """(content_length or None, chunked, expect_continue, gzip_body) from the request head."""
    length, chunked, expect, gz = None, False, False, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        value = value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value
        elif name == b"expect":
            expect = value == b"100-continue"
        elif name == b"content-encoding":
            gz = value == b"gzip"
    return length, chunked, expect, gz


class Connection:
    """Buffered reads from one client socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()

    def fill(self):
        chunk = self.sock.recv(RECV_BYTES)
        if not chunk:
            raise EOFError
        self.buf += chunk

    def read_until(self, marker):
        start = 0
        while True:
            i = self.buf.find(marker, start)
            if i >= 0:
                out = bytes(self.buf[:i])
                del self.buf[:i + len(marker)]
                return out
            start = max(0, len(self.buf) - len(marker) + 1)
            self.fill()

    def read_exact(self, n):
        while len(self.buf) < n:
            self.fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_chunked(self):
        parts = []
        while True:
            size = int(self.read_until(b"\r\n").split(b";")[0], 16)
            if size == 0:
                while self.read_until(b"\r\n"):  # trailers up to the empty line
                    pass
                return b"".join(parts)
            parts.append(self.read_exact(size))
            self.read_exact(2)


def decode_events(body):
    """The events' JSON strings in one Atom request body."""
    request = json.loads(body)
    data = request["data"]
    if request.get("bulk"):
        events = json.loads(data)
        if not isinstance(events, list):
            raise ValueError("bulk data is not an array")
        return events
    return [data]


def send_time(event):
    """The send time (monotonic ns) a latency-mode line starts with, or None."""
    message = json.loads(event).get("message")
    if not isinstance(message, str):
        return None
    first = message.split(" ", 1)[0]
    return int(first) if first.isdigit() else None


def handle(sock, stats):
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn = Connection(sock)
    with stats.lock:
        stats.connections += 1
    try:
        while True:
            head = conn.read_until(b"\r\n\r\n")
            if not head:
                continue
            try:
                length, chunked, expect, gz = parse_head(head)
            except ValueError:
                sock.sendall(BAD_REQUEST)
                return
            if expect:
                sock.sendall(CONTINUE)
            if chunked:
                body = conn.read_chunked()
            else:
                body = conn.read_exact(length or 0)
            arrived = time.monotonic_ns()
            with stats.lock:
                stats.requests += 1
                stats.body_bytes += len(body)
                if stats.mode != "count":
                    stats.busy += 1
            # Answer first, so that decoding here never delays the shipper's next request.
            sock.sendall(RESPONSE)
            if stats.mode != "count":
                account(stats, body, gz, arrived)
    except (EOFError, ConnectionError, OSError):
        pass
    finally:
        sock.close()


def account(stats, body, gz, arrived):
    events, bad, latencies, no_time = 0, 0, [], 0
    try:
        items = decode_events(gzip.decompress(body) if gz else body)
        events = len(items)
        if stats.mode == "latency":
            for item in items:
                sent = send_time(item)
                if sent is None:
                    no_time += 1
                else:
                    latencies.append(arrived - sent)
    except (ValueError, KeyError, TypeError, AttributeError, OSError, EOFError):
        bad = 1
    with stats.lock:
        stats.events += events
        stats.bad_bodies += bad
        stats.latencies.extend(latencies)
        stats.no_send_time += no_time
        stats.busy -= 1


def serve(listener, stats):
    while True:
        try:
            sock, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=handle, args=(sock, stats), daemon=True).start()


def emit(obj):
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--mode", choices=("count", "verify", "latency"), default="count")
    ap.add_argument("--port", type=int, default=0, help="default: a port the OS picks")
    args = ap.parse_args(argv)

    stats = Stats(args.mode)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(128)
    threading.Thread(target=serve, args=(listener, stats), daemon=True).start()
    sys.stdout.write("PORT %d\n" % listener.getsockname()[1])
    sys.stdout.flush()

    for line in sys.stdin:
        command = line.strip()
        if command == "stats":
            emit(stats.snapshot())
        elif command == "quit":
            break
    listener.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with stats.lock:
            if stats.busy == 0:
                break
        time.sleep(0.01)
    emit(stats.snapshot(final=True))
    os._exit(0)  # connection threads may still be blocked in recv


if __name__ == "__main__":
    sys.exit(main())
