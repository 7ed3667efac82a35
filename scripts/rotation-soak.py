#!/usr/bin/env python3
"""Rotation soak of atom-shipper (not part of the suite; issue 4, acceptance 3).

For --minutes (10 by default) a writer appends numbered lines at --rate (10,000 lines/s by
default) with O_APPEND, one write per line, round-robin to five logs in logs/, and the real
/usr/sbin/logrotate runs every --rotate-every seconds (15) with its state file in the work folder
and one config that rotates each log in another mode:

    create.log        create, compress, rotate 4
    delay.log         create, compress, delaycompress, rotate 3
    dateext.log       create, dateext (-%Y%m%d-%s), compress, delaycompress, rotate 3
    copytruncate.log  copytruncate, compress, rotate 3
    copyplain.log     copytruncate, rotate 2 (never compressed)

all with missingok. For the create modes a postrotate script asks the writer to reopen the log and
waits until it has (what an application's signal handler does), so logrotate compresses only
files nobody writes to. The shipper follows logs/*.log* (so copytruncate copies and the archives
match the globs too) and delivers to a loopback Atom receiver, with event ids on.

What must be delivered is computed from the files: right after each logrotate run, and once at
the end, every logs/ file is read (gzip decompressed) and the line numbers it holds are marked as
seen. A line that was never seen was lost by logrotate itself, between a copytruncate's copy and
its truncate: the script checks that each such line belongs to a copytruncate log and was written
while logrotate ran. It then checks that every seen line arrived, that no line arrived that was
not written (or was unseen outside such a window), and that nothing arrived twice (the shipper
runs throughout; after dropping repeated event ids too). It prints a report and writes it to
<folder>/report.json; the exit status is 0 when every check passed.

    nice -n 19 python3 scripts/rotation-soak.py --binary .build/release/atom-shipper

The model-based rotation test (Tests/ShipperTests/ModelRotationTests.swift) runs one fixed seed
in the suite; --model-seeds runs it afterwards with more (builds the tests first):

    python3 scripts/rotation-soak.py --model-seeds 1-50 [--scratch-path .build]

or alone: ATOM_MODEL_SEEDS=1,2,3 swift test --filter ModelRotationTests (ATOM_MODEL_OPS sets the
operations per seed, ATOM_MODEL_VERBOSE=1 prints them).

Everything stays in a temporary folder and on 127.0.0.1; the script stops by itself."""
import argparse
import array
import gzip
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soak  # noqa: E402  (the loopback Atom receiver and the /proc sampler)

# (log name, logrotate directives)
LOGS = [
    ("create.log", ["create", "compress", "rotate 4"]),
    ("delay.log", ["create", "compress", "delaycompress", "rotate 3"]),
    ("dateext.log", ["create", "dateext", "dateformat -%Y%m%d-%s", "compress", "delaycompress", "rotate 3"]),
    ("copytruncate.log", ["copytruncate", "compress", "rotate 3"]),
    ("copyplain.log", ["copytruncate", "rotate 2"]),
]


def is_copytruncate(log_index):
    return "copytruncate" in LOGS[log_index][1]


class Counts:
    """A byte per line number (grows on demand)."""

    def __init__(self, size):
        self.data = bytearray(size)

    def ensure(self, n):
        if n >= len(self.data):
            self.data.extend(bytearray(max(n + 1 - len(self.data), len(self.data) // 2)))

    def add(self, n):
        self.ensure(n)
        if self.data[n] < 255:
            self.data[n] += 1

    def get(self, n):
        return self.data[n] if n < len(self.data) else 0


class CountingReceiver(soak.Receiver):
    """soak.py's receiver, counting in arrays rather than dicts (millions of lines): times each
    line arrived, and a CRC of the id it first arrived with, so that repeats with the same id
    (which a receiver dropping repeated ids removes) are told from the others."""

    def __init__(self, capacity):
        self.arrivals = Counts(capacity)
        self.first_id = array.array("I", bytes(4 * capacity))
        self.same_id_repeats = 0
        self.other_id_repeats = 0
        self.without_id = 0
        self.strays = 0
        self.highest = -1
        self.repeat_examples = []  # (line number, its log, the id it came again with)
        super().__init__()

    def record(self, events):
        with self.lock:
            for event in events:
                self.events += 1
                message = event.get("message", "")
                if not message.startswith("rot ") or not message[4:13].isdigit():
                    self.strays += 1
                    continue
                n = int(message[4:13])
                self.highest = max(self.highest, n)
                event_id = event.get("event_id")
                if event_id is None:
                    self.without_id += 1
                crc = (zlib.crc32(event_id.encode()) if event_id else 0) | 1
                if n >= len(self.first_id):
                    self.first_id.extend(bytes(4 * (n + 1 - len(self.first_id) + len(self.first_id) // 2)))
                if self.arrivals.get(n) == 0:
                    self.first_id[n] = crc
                else:
                    if self.first_id[n] == crc:
                        self.same_id_repeats += 1
                    else:
                        self.other_id_repeats += 1
                    if len(self.repeat_examples) < 20:
                        self.repeat_examples.append((n, LOGS[n % len(LOGS)][0], event_id))
                self.arrivals.add(n)


class Writer(threading.Thread):
    """Appends line n to LOGS[n % 5] at a steady rate; reopens a log when logrotate asks."""

    def __init__(self, folder, rate):
        super().__init__(daemon=True)
        self.folder, self.rate = folder, rate
        self.written = 0
        self.reopens = 0
        self.stop_requested = False

    @staticmethod
    def line(n):
        return b"rot %09d %s\n" % (n, b"w" * (20 + n * 7 % 90))

    def path(self, i):
        return os.path.join(self.folder, "logs", LOGS[i][0])

    def flag(self, i):
        return os.path.join(self.folder, "reopen-" + LOGS[i][0])

    def open(self, i):
        return os.open(self.path(i), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def run(self):
        fds = [self.open(i) for i in range(len(LOGS))]
        started = time.monotonic()
        n = 0
        while not self.stop_requested:
            for i in range(len(LOGS)):
                if os.path.exists(self.flag(i)):
                    os.close(fds[i])
                    fds[i] = self.open(i)
                    os.unlink(self.flag(i))
                    self.reopens += 1
            due = int((time.monotonic() - started) * self.rate)
            end = min(due, n + 5000)
            while n < end:
                os.write(fds[n % len(LOGS)], self.line(n))
                n += 1
                self.written = n
            time.sleep(0.002)
        for fd in fds:
            os.close(fd)


class Files:
    """Marks the line numbers every logs/ file holds; reads a file again only when it changed."""

    def __init__(self, folder, capacity):
        self.logs = os.path.join(folder, "logs")
        self.seen = Counts(capacity)
        self.known = {}  # name -> (inode, size, mtime)
        self.bad_lines = 0

    def scan(self):
        for name in sorted(os.listdir(self.logs)):
            path = os.path.join(self.logs, name)
            try:
                st = os.stat(path)
                key = (st.st_ino, st.st_size, st.st_mtime_ns)
                if self.known.get(name) == key:
                    continue
                with open(path, "rb") as f:
                    data = f.read()
            except FileNotFoundError:
                continue
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            self.known[name] = key
            for line in data.split(b"\n")[:-1]:  # the last piece: "" or an unfinished line
                if line[:4] == b"rot " and line[4:13].isdigit():
                    n = int(line[4:13])
                    self.seen.ensure(n)
                    self.seen.data[n] = 1
                else:
                    self.bad_lines += 1


def logrotate_config(folder):
    parts = []
    for i, (name, directives) in enumerate(LOGS):
        body = ["missingok"] + directives
        if "create" in directives:
            flag = os.path.join(folder, "reopen-" + name)
            body += ["postrotate",
                     "  touch %s; n=0; while [ -e %s ] && [ $n -lt 1000 ]; do sleep 0.005; n=$((n+1)); done"
                     % (flag, flag),
                     "endscript"]
        parts.append("%s {\n%s\n}\n" % (os.path.join(folder, "logs", name),
                                        "\n".join("  " + line for line in body)))
    return "".join(parts)


def run_model_seeds(spec, scratch):
    """Runs the model-based test with the seeds in `spec` ("1-50" or "1,2,3"); returns a dict."""
    seeds = []
    for part in spec.split(","):
        if "-" in part:
            low, high = part.split("-")
            seeds += list(range(int(low), int(high) + 1))
        elif part.strip():
            seeds.append(int(part))
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    extra = ["--scratch-path", scratch] if scratch else []
    env = dict(os.environ, ATOM_MODEL_SEEDS=",".join(map(str, seeds)),
               NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    build = subprocess.run(["swift", "build", "--build-tests"] + extra, cwd=root, env=env,
                           capture_output=True, text=True)
    if build.returncode != 0:
        return {"seeds": seeds, "passed": False, "output": build.stdout[-3000:] + build.stderr[-3000:]}
    test = subprocess.run(["swift", "test", "--skip-build", "--filter", "ModelRotationTests"] + extra,
                          cwd=root, env=env, capture_output=True, text=True)
    failed = [line for line in test.stdout.splitlines() if "recorded an issue" in line]
    return {"seeds": seeds, "passed": test.returncode == 0, "failures": failed[:20],
            "output": "" if test.returncode == 0 else test.stdout[-6000:]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--binary", default=os.path.join(here, "..", ".build", "release", "atom-shipper"))
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=10000, help="lines per second, all logs together")
    parser.add_argument("--rotate-every", type=float, default=15, help="seconds between logrotate runs")
    parser.add_argument("--logrotate", default="/usr/sbin/logrotate")
    parser.add_argument("--folder", default=None, help="work folder (default: a new temporary one)")
    parser.add_argument("--drain-timeout", type=float, default=300,
                        help="seconds allowed after the writer stops for the rest to arrive")
    parser.add_argument("--model-seeds", default="", help="afterwards, run the model-based test with these "
                        "seeds, e.g. 1-50 or 3,7,11")
    parser.add_argument("--scratch-path", default="", help="swift build/test scratch path for --model-seeds")
    parser.add_argument("--skip-soak", action="store_true", help="only --model-seeds")
    args = parser.parse_args()

    if args.skip_soak:
        result = run_model_seeds(args.model_seeds, args.scratch_path)
        print(json.dumps(result, indent=2))
        sys.exit(0 if result["passed"] else 1)

    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        sys.exit("no binary at %s: build one with swift build -c release" % binary)
    folder = args.folder or tempfile.mkdtemp(prefix="atom-rotation-soak.")
    os.makedirs(os.path.join(folder, "logs"), exist_ok=True)
    capacity = int(args.rate * args.minutes * 60 * 1.2) + 100000
    receiver = CountingReceiver(capacity)
    files = Files(folder, capacity)
    config = os.path.join(folder, "shipper.json5")
    with open(config, "w") as f:
        f.write("""{
  atom: { endpoint: "http://127.0.0.1:%d/" },
  checkpoints: { path: "state/cp.sqlite" },
  deadLetter: { path: "state/dead.jsonl" },
  inputs: [{ name: "app", paths: ["logs/*.log*"], stream: "rotation", metadata: { eventId: true } }],
}
""" % receiver.port)
    rotate_conf = os.path.join(folder, "logrotate.conf")
    with open(rotate_conf, "w") as f:
        f.write(logrotate_config(folder))
    state = os.path.join(folder, "logrotate.state")

    writer = Writer(folder, args.rate)
    writer.start()
    log = open(os.path.join(folder, "shipper.log"), "wb")
    shipper = subprocess.Popen([binary, "run", "--config", config], stdout=log, stderr=log, cwd=folder)
    windows = []  # (first, last) line numbers written while a logrotate run was going on
    failures = []
    peak_rss, peak_fds = 0, 0
    started = time.monotonic()
    end = started + args.minutes * 60
    next_rotation = started + args.rotate_every
    while time.monotonic() < end:
        rss, fds = soak.sample(shipper.pid)
        peak_rss, peak_fds = max(peak_rss, rss), max(peak_fds, fds)
        if shipper.poll() is not None:
            failures.append("the shipper exited with %s during the run" % shipper.returncode)
            break
        if time.monotonic() >= next_rotation:
            next_rotation += args.rotate_every
            first = writer.written
            rotation = subprocess.run([args.logrotate, "-f", "-s", state, rotate_conf],
                                      capture_output=True, text=True)
            windows.append((first, writer.written))
            if rotation.returncode != 0:
                failures.append("logrotate exited %d: %s" % (rotation.returncode, rotation.stderr.strip()[-500:]))
            files.scan()
            with receiver.lock:
                received = receiver.events
            print("%5.0f s: %d written, %d received, rotation %d, rss %.1f MB, fds %d" % (
                time.monotonic() - started, writer.written, received, len(windows), rss / 1e6, fds), flush=True)
        time.sleep(0.2)

    writer.stop_requested = True
    writer.join()
    elapsed = time.monotonic() - started
    written = writer.written
    files.scan()
    seen = [n for n in range(written) if files.seen.get(n)]
    deadline = time.monotonic() + args.drain_timeout
    pending = seen
    while time.monotonic() < deadline and shipper.poll() is None:
        rss, fds = soak.sample(shipper.pid)
        peak_rss, peak_fds = max(peak_rss, rss), max(peak_fds, fds)
        pending = [n for n in pending if not receiver.arrivals.get(n)]
        if not pending:
            break
        print("draining: %d lines in files not delivered yet" % len(pending), flush=True)
        time.sleep(1)
    time.sleep(7)  # past rotateIdleMs (5 s): a repeat would arrive now
    if shipper.poll() is None:
        shipper.send_signal(signal.SIGTERM)
        try:
            status = shipper.wait(60)
        except subprocess.TimeoutExpired:
            shipper.kill()
            status = shipper.wait()
            failures.append("the shipper did not stop within 60 s of SIGTERM")
    else:
        status = shipper.returncode
    if status != 0:
        failures.append("the shipper's exit status: %s" % status)
    receiver.stop()

    def in_window(n):
        return is_copytruncate(n % len(LOGS)) and any(first <= n <= last for first, last in windows)

    with receiver.lock:
        unseen = [n for n in range(written) if not files.seen.get(n)]
        unexplained = [n for n in unseen if not in_window(n)]
        missing = [n for n in seen if not receiver.arrivals.get(n)]
        delivered = sum(1 for n in range(written) if receiver.arrivals.get(n))
        beyond = sum(1 for n in range(written, receiver.highest + 1) if receiver.arrivals.get(n))
        unexpected = [n for n in unseen if receiver.arrivals.get(n) and not in_window(n)]
        lost_delivered = sum(1 for n in unseen if receiver.arrivals.get(n))
        repeats = receiver.same_id_repeats + receiver.other_id_repeats
        report = {
            "minutes": round(elapsed / 60, 2), "lines_written": written,
            "writer_rate_per_s": round(written / elapsed),
            "logrotate_runs": len(windows), "writer_reopens": writer.reopens,
            "lines_in_files": len(seen),
            "lines_lost_by_copytruncate": len(unseen) - len(unexplained),
            "of_those_delivered_anyway": lost_delivered,
            "unseen_lines_outside_copytruncate_windows": len(unexplained),
            "lines_delivered": delivered, "lines_missing": len(missing),
            "missing_examples": missing[:10],
            "unexpected_lines": len(unexpected) + beyond + receiver.strays,
            "events_received": receiver.events, "repeated_events": repeats,
            "repeats_left_after_dropping_repeated_ids": receiver.other_id_repeats,
            "repeat_examples": receiver.repeat_examples,
            "events_without_id": receiver.without_id, "bad_lines_in_files": files.bad_lines,
            "peak_rss_bytes": peak_rss, "peak_open_fds": peak_fds, "shipper_exit": status,
            "failures": failures, "folder": folder,
        }
    for key, label in [("lines_missing", "lines in files never delivered"),
                       ("unexpected_lines", "lines delivered that the files do not account for"),
                       ("repeated_events", "lines delivered more than once"),
                       ("unseen_lines_outside_copytruncate_windows", "written lines in no file outside a "
                        "copytruncate window"),
                       ("events_without_id", "events without an event id"),
                       ("bad_lines_in_files", "lines in the files that the writer did not write")]:
        if report[key]:
            failures.append("%d %s" % (report[key], label))
    if args.model_seeds:
        report["model_test"] = run_model_seeds(args.model_seeds, args.scratch_path)
        if not report["model_test"]["passed"]:
            failures.append("the model-based test failed")
    report["passed"] = not failures
    with open(os.path.join(folder, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(json.dumps(report, indent=2))
    sys.exit(0 if report["passed"] else 1)


if __name__ == "__main__":
    main()
