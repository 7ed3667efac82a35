#!/usr/bin/env python3
"""Soak test of atom-shipper (not part of the suite): for --minutes (60 by default) a writer appends
numbered lines to app.log and rotates it (rename, then gzip of the older file, keeping --keep
files), the loopback receiver goes away for a while now and then (connections refused), and the
shipper is restarted now and then, gracefully (SIGTERM) or by SIGKILL. Every event carries a
deterministic id (metadata.eventId), so repeats are counted both by line and by id.

At the end the writer stops, the shipper gets time to deliver everything, and the script prints
(and writes to <folder>/report.json): lines written, delivered (distinct), missing, repeated
(events received minus distinct lines; and after dropping repeated ids), peak resident memory
and peak open descriptors of the shipper, and the counts of rotations, outages and restarts.

    python3 scripts/soak.py --binary .build/release/atom-shipper --minutes 60

Everything stays in a temporary folder and on 127.0.0.1; the script stops by itself."""
import argparse
import gzip
import http.server
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time


class Receiver:
    """Atom bulk endpoint on 127.0.0.1: records every event's message and id; can go away."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = {}  # line number -> times received
        self.ids = {}  # event id -> line number
        self.id_conflicts = 0
        self.events = 0
        self.server = None
        self.port = None
        self.connections = set()
        self.start()

    def handler(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def setup(self):
                super().setup()
                with receiver.lock:
                    receiver.connections.add(self.connection)

            def finish(self):
                with receiver.lock:
                    receiver.connections.discard(self.connection)
                super().finish()

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    request = json.loads(body)
                    events = [json.loads(e) for e in json.loads(request["data"])]
                except (ValueError, KeyError, TypeError):
                    self.answer(400)
                    return
                receiver.record(events)
                self.answer(200)

            def answer(self, status):
                reply = b"{}"
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        return Handler

    def record(self, events):
        with self.lock:
            for event in events:
                self.events += 1
                parts = event.get("message", "").split(" ")
                number = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else -1
                self.messages[number] = self.messages.get(number, 0) + 1
                event_id = event.get("event_id")
                if event_id is not None:
                    if event_id in self.ids and self.ids[event_id] != number:
                        self.id_conflicts += 1
                    self.ids[event_id] = number

    def start(self):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port or 0), self.handler())
        server.daemon_threads = True
        server.handle_error = lambda request, address: None
        self.port = server.server_address[1]
        self.server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        # Kept-alive connections too: an outage refuses everything.
        with self.lock:
            for connection in list(self.connections):
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class Writer(threading.Thread):
    """Appends numbered lines to app.log at a steady rate; rotates when asked."""

    def __init__(self, folder, rate, keep):
        super().__init__(daemon=True)
        self.folder, self.rate, self.keep = folder, rate, keep
        self.written = 0
        self.rotations = 0
        self.rotate_requested = False
        self.stop_requested = False
        self.lock = threading.Lock()

    @staticmethod
    def line(number):
        return "soak line %08d %s\n" % (number, "s" * (20 + number * 7 % 90))

    def run(self):
        path = os.path.join(self.folder, "app.log")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        started = time.monotonic()
        while not self.stop_requested:
            if self.rotate_requested:
                self.rotate(path)
                os.close(fd)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                self.rotate_requested = False
            os.write(fd, self.line(self.written).encode())
            with self.lock:
                self.written += 1
            wait = started + self.written / self.rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        os.close(fd)

    def rotate(self, path):
        # app.log.N.gz -> N+1 (the oldest deleted), app.log.1 -> app.log.2.gz, app.log -> app.log.1
        oldest = "%s.%d.gz" % (path, self.keep)
        if os.path.exists(oldest):
            os.unlink(oldest)
        for n in range(self.keep - 1, 1, -1):
            if os.path.exists("%s.%d.gz" % (path, n)):
                os.rename("%s.%d.gz" % (path, n), "%s.%d.gz" % (path, n + 1))
        if os.path.exists(path + ".1"):
            os.rename(path + ".1", path + ".2")
            subprocess.run(["gzip", "-f", path + ".2"], check=True)
        os.rename(path, path + ".1")
        self.rotations += 1


def sample(pid):
    rss, fds = 0, 0
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) * 1024
        fds = len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        pass
    return rss, fds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--binary", default=os.path.join(here, "..", ".build", "release", "atom-shipper"))
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--rate", type=float, default=300, help="lines per second")
    parser.add_argument("--rotate-every", type=float, default=60, help="seconds between rotations")
    parser.add_argument("--outage-every", type=float, default=240, help="mean seconds between outages")
    parser.add_argument("--outage-length", type=float, default=45, help="longest outage, seconds")
    parser.add_argument("--restart-every", type=float, default=300, help="mean seconds between restarts")
    parser.add_argument("--keep", type=int, default=40, help="rotated files kept")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--folder", default=None, help="work folder (default: a new temporary one)")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        sys.exit("no binary at %s: build one with swift build -c release" % binary)

    rng = random.Random(args.seed)
    folder = args.folder or tempfile.mkdtemp(prefix="atom-soak.")
    receiver = Receiver()
    config = os.path.join(folder, "shipper.json5")
    with open(config, "w") as f:
        f.write("""{
  atom: { endpoint: "http://127.0.0.1:%d/", connectTimeoutMs: 2000 },
  checkpoints: { path: "state/cp.sqlite" },
  deadLetter: { path: "state/dead.jsonl" },
  metrics: { path: "metrics.prom", intervalMs: 5000 },
  shutdownTimeoutMs: 10000,
  tracker: { retry: { backoffBaseMs: 200, backoffMaxMs: 5000 } },
  inputs: [{ name: "app", paths: ["app.log*"], stream: "soak", metadata: { eventId: true } }],
}
""" % receiver.port)

    def start_shipper(generation):
        log = open(os.path.join(folder, "shipper-%03d.log" % generation), "wb")
        return subprocess.Popen([binary, "run", "--config", config], stdout=log, stderr=log, cwd=folder)

    writer = Writer(folder, args.rate, args.keep)
    writer.start()
    generation = 0
    shipper = start_shipper(generation)
    counts = {"rotations": 0, "outages": 0, "graceful_restarts": 0, "kills": 0, "unclean_exits": 0}
    peak_rss, peak_fds = 0, 0
    end = time.monotonic() + args.minutes * 60
    next_rotation = time.monotonic() + args.rotate_every
    next_outage = time.monotonic() + rng.expovariate(1 / args.outage_every)
    next_restart = time.monotonic() + rng.expovariate(1 / args.restart_every)
    outage_over = None
    last_print = 0
    while time.monotonic() < end:
        now = time.monotonic()
        rss, fds = sample(shipper.pid)
        peak_rss, peak_fds = max(peak_rss, rss), max(peak_fds, fds)
        if now >= next_rotation:
            writer.rotate_requested = True
            next_rotation = now + args.rotate_every
        if outage_over is None and now >= next_outage:
            receiver.stop()
            counts["outages"] += 1
            outage_over = now + rng.uniform(5, args.outage_length)
        if outage_over is not None and now >= outage_over:
            receiver.start()
            outage_over = None
            next_outage = now + rng.expovariate(1 / args.outage_every)
        if now >= next_restart:
            if rng.random() < 0.5:
                shipper.send_signal(signal.SIGTERM)
                if shipper.wait(60) != 0:
                    counts["unclean_exits"] += 1
                counts["graceful_restarts"] += 1
            else:
                shipper.kill()
                shipper.wait()
                counts["kills"] += 1
            time.sleep(rng.uniform(0, 2))
            generation += 1
            shipper = start_shipper(generation)
            next_restart = now + rng.expovariate(1 / args.restart_every)
        if now - last_print >= 60:
            last_print = now
            with receiver.lock:
                received = receiver.events
            print("%5.0f s: %d written, %d received, rss %.1f MB, fds %d" % (
                args.minutes * 60 - (end - now), writer.written, received, rss / 1e6, fds), flush=True)
        time.sleep(0.5)

    # The end: no more writing, the endpoint back, time to deliver the rest.
    writer.stop_requested = True
    writer.join()
    counts["rotations"] = writer.rotations
    if receiver.server is None:
        receiver.start()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        rss, fds = sample(shipper.pid)
        peak_rss, peak_fds = max(peak_rss, rss), max(peak_fds, fds)
        with receiver.lock:
            if all(n in receiver.messages for n in range(writer.written)):
                break
        time.sleep(1)
    time.sleep(3)
    shipper.send_signal(signal.SIGTERM)
    if shipper.wait(60) != 0:
        counts["unclean_exits"] += 1
    receiver.stop()

    with receiver.lock:
        written = writer.written
        delivered = sum(1 for n in range(written) if n in receiver.messages)
        unexpected = sum(1 for n in receiver.messages if not 0 <= n < written)
        repeated = receiver.events - len(receiver.messages)
        after_ids = len(receiver.ids) - delivered
        report = {
            "minutes": args.minutes, "lines_written": written, "lines_delivered": delivered,
            "lines_missing": written - delivered, "events_received": receiver.events,
            "repeated_events": repeated, "repeats_left_after_dropping_repeated_ids": after_ids,
            "event_id_conflicts": receiver.id_conflicts, "unexpected_lines": unexpected,
            "peak_rss_bytes": peak_rss, "peak_open_fds": peak_fds, **counts, "folder": folder,
        }
    with open(os.path.join(folder, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(json.dumps(report, indent=2))
    ok = report["lines_missing"] == 0 and unexpected == 0 and report["unclean_exits"] == 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
