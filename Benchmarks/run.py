#!/usr/bin/env python3
"""atom-shipper benchmark driver (Python stdlib only).

Builds the release binary, generates (or reuses) the corpora with the shared generator
(<repo>/../shared/bench/gen_corpus.py, fixed seed), runs each case through the real
`atom-shipper` end to end and prints one table: best wall time of N runs, that run's CPU
(user+sys) and peak RSS from os.wait4, input MB/s, events delivered, the `wc -l` / `zcat`
times on the same files as limits, and each case's target with PASS/FAIL.

  python3 Benchmarks/run.py                      # all cases, full size, 3 runs each
  python3 Benchmarks/run.py --quick --runs 1     # one tenth of the size, one run
  python3 Benchmarks/run.py --cases 1,4 --flat   # cases 1 and 4, then case 4 at ten times the size

See Benchmarks/README.md for what each case does and how to read the table.
"""

import argparse
import importlib.util
import json
import marshal
import math
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GENERATOR = REPO.parent / "shared" / "bench" / "gen_corpus.py"
CORPUS_DIR = HERE / ".corpus"
OUT_DIR = HERE / ".out"

COMBINED_LINES = 1_000_000
JSONL_LINES = 500_000
TAIL_RATE = 10_000           # lines per second written in case 8
TAIL_SECONDS = 30            # quick: 5
MB = 1e6                     # every MB in the table is 10^6 bytes

SUMMARY_RE = re.compile(r"done in ([\d.]+) s: (\d+) events delivered, (\d+) dead-lettered, "
                        r"(\d+) files failed")
INPUT_RE = re.compile(r"^input (\S+): .*?, (\d+) events, (\d+) dropped, (\d+) parse failures", re.M)
STREAM_RE = re.compile(r"^stream (\S+): (\d+) delivered, (\d+) dead-lettered", re.M)

CASE_TITLES = {
    1: "1 regex -> file",
    2: "2 dissect -> file",
    3: "3 json, 2 routes -> file",
    4: "4 raw -> file",
    5: "5 regex .gz -> file",
    6: "6 regex -> HTTP",
    7: "7 follow, regex -> file",
    8: "8 tail latency -> HTTP",
    "flat": "4 raw x10 (--flat)",
}

READY_BY_FD = ("the empty file was seen open in /proc/PID/fd: this build logs \"file opened\" only "
               "once a file holds 2 bytes")

LIVE = set()                 # child processes still running, killed (by pid) if the driver stops
SPAWNED = set()              # pids the spawner started and nobody waited for yet


# ----------------------------------------------------------------- helpers ---

def die(message):
    sys.stderr.write("run.py: %s\n" % message)
    sys.exit(2)


def note(message):
    sys.stderr.write("# %s\n" % message)
    sys.stderr.flush()


def kill_quietly(pid, sig=signal.SIGKILL):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


@dataclass
class Measure:
    """One child process: wall (s), CPU user+sys (s), peak RSS (KiB), exit status."""
    wall: float
    cpu: float
    rss_kb: int
    status: int
    timed_out: bool = False


def launch(argv, cwd=None, stdout=None, stderr=None, stdin=None, env=None):
    """Start a child; returns (Popen, start time)."""
    start = time.monotonic()
    proc = subprocess.Popen([str(a) for a in argv], cwd=cwd, stdout=stdout, stderr=stderr,
                            stdin=stdin, env=env)
    LIVE.add(proc)
    return proc, start


def reap(proc, start, timeout):
    """Wait for a child with os.wait4 (killing it after `timeout` s) and measure it."""
    fired = threading.Event()

    def expire():
        fired.set()
        kill_quietly(proc.pid)

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    end = time.monotonic()
    LIVE.discard(proc)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Measure(wall=end - start, cpu=usage.ru_utime + usage.ru_stime, rss_kb=usage.ru_maxrss,
                   status=proc.returncode, timed_out=fired.is_set())


def alive(pid):
    """True while a process runs (a zombie counts as ended). For children of the spawner."""
    try:
        stat = Path("/proc/%d/stat" % pid).read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Spawner:
    """spawner.py as a child process: starts the shipper and measures it with os.wait4 from a
    process small enough not to lift the shipper's peak RSS (see spawner.py)."""

    def __init__(self, env):
        self.proc, _ = launch([sys.executable, "-S", HERE / "spawner.py"], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def call(self, request):
        marshal.dump(request, self.proc.stdin)
        self.proc.stdin.flush()
        return marshal.load(self.proc.stdout)

    def spawn(self, argv, cwd=None, stdout=None, stderr=None):
        """Starts argv; returns (pid, start time)."""
        pid, start = self.call(("spawn", [str(a) for a in argv], cwd and str(cwd),
                                stdout and str(stdout), stderr and str(stderr)))
        SPAWNED.add(pid)
        return pid, start

    def wait(self, pid, start, timeout):
        """Waits for a child (killing it after `timeout` s) and measures it."""
        fired = threading.Event()

        def expire():
            fired.set()
            kill_quietly(pid)

        timer = threading.Timer(timeout, expire)
        timer.daemon = True
        timer.start()
        try:
            _, status, cpu, rss_kb, end = self.call(("wait", pid))
        finally:
            timer.cancel()
        SPAWNED.discard(pid)
        return Measure(wall=end - start, cpu=cpu, rss_kb=rss_kb, status=status, timed_out=fired.is_set())

    def floor_kb(self):
        """Peak RSS reported for a child that does nothing (`true`): the lowest figure possible."""
        pid, start = self.spawn([shutil.which("true") or "/bin/true"])
        return self.wait(pid, start, 30).rss_kb

    def close(self):
        self.proc.stdin.close()
        reap(self.proc, time.monotonic(), 10)
        self.proc.stdout.close()


def wait_until_open(stderr_path, path, pid, timeout):
    """Waits until the shipper has `path` open: its log says "file opened", or (for an empty
    file, which it identifies only once it holds 2 bytes, so it logs nothing yet) one of its
    descriptors points at the file. Returns "log", "fd", or None on timeout or exit."""
    deadline = time.monotonic() + timeout
    target = os.path.realpath(path)
    while time.monotonic() < deadline:
        try:
            if "file opened" in Path(stderr_path).read_text(errors="replace"):
                return "log"
        except FileNotFoundError:
            pass
        try:
            for fd in os.listdir("/proc/%d/fd" % pid):
                try:
                    if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == target:
                        return "fd"
                except OSError:
                    pass
        except OSError:
            pass
        if not alive(pid):
            return None
        time.sleep(0.01)
    return None


def measure(argv, timeout, stdout=subprocess.DEVNULL, stdin=None):
    proc, start = launch(argv, stdout=stdout, stdin=stdin, stderr=subprocess.DEVNULL)
    return reap(proc, start, timeout)


def page_cache(paths):
    """Read each file once so every run finds it in the page cache."""
    buf = bytearray(1 << 22)
    view = memoryview(buf)
    for path in paths:
        with open(path, "rb", buffering=0) as f:
            while f.readinto(view):
                pass


def count_lines(paths):
    """Line count of files with `wc -l` (fast); missing files count 0."""
    existing = [str(p) for p in paths if os.path.exists(p)]
    if not existing:
        return 0
    out = subprocess.run(["wc", "-l", *existing], check=True, capture_output=True, text=True).stdout
    rows = out.strip().splitlines()
    return int(rows[-1].split()[0])


def tail(path, lines=8):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


def parse_summary(text):
    """(delivered, dead-lettered, files failed, {input: parse failures}, {stream: delivered})."""
    m = SUMMARY_RE.search(text)
    if not m:
        return None
    failures = {i[0]: int(i[3]) for i in INPUT_RE.findall(text)}
    streams = {s[0]: int(s[1]) for s in STREAM_RE.findall(text)}
    return int(m.group(2)), int(m.group(3)), int(m.group(4)), failures, streams


def summary_problems(text, expected_events, expect_parse_failures=0):
    summary = parse_summary(text)
    if summary is None:
        return ["no summary line on stdout"], None
    delivered, dead, failed, parse_failures, _ = summary
    problems = []
    if delivered != expected_events:
        problems.append("%d events delivered, expected %d" % (delivered, expected_events))
    if dead:
        problems.append("%d dead-lettered" % dead)
    if failed:
        problems.append("%d files failed" % failed)
    bad = sum(parse_failures.values())
    if bad != expect_parse_failures:
        problems.append("%d parse failures" % bad)
    return problems, summary


# ----------------------------------------------------------------- corpora ---

def load_generator():
    if not GENERATOR.is_file():
        die("the corpus generator is missing: expected %s (the shared folder next to the "
            "repository, <repo>/../shared/bench/gen_corpus.py)" % GENERATOR)
    spec = importlib.util.spec_from_file_location("gen_corpus", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def combined_pattern(generator):
    """COMBINED_RE from gen_corpus.py with its named groups in PCRE2 spelling."""
    pattern = generator.COMBINED_RE.pattern.replace("(?P<", "(?<")
    fields = list(generator.COMBINED_RE.groupindex)
    if len(fields) != 10 or "(?P" in pattern:
        die("COMBINED_RE in %s no longer has the ten plain named groups this driver expects"
            % GENERATOR)
    return pattern, fields


def corpus(kind, lines, gz=True):
    """Path of the cached corpus (generated on first use); combined also has its .gz unless
    gz is False."""
    name = "combined.log" if kind == "combined" else "app.jsonl"
    folder = CORPUS_DIR / ("%s-%d" % (kind, lines))
    path = folder / name
    meta_path = folder / (name + ".meta.json")
    gz = gz and kind == "combined"
    if not corpus_complete(path, meta_path, lines, gz):
        estimate = lines * (221 if kind == "combined" else 424)
        size = "%.1f GB" % (estimate / 1e9) if estimate >= 1e9 else "%.0f MB" % (estimate / MB)
        note("generating %s corpus, %d lines (about %s) into %s" % (kind, lines, size, folder))
        folder.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, GENERATOR, "--kind", kind, "--lines", str(lines), "--out", folder]
        if gz:
            argv.append("--gzip")
        subprocess.run([str(a) for a in argv], check=True, stdout=subprocess.DEVNULL)
        if not corpus_complete(path, meta_path, lines, gz):
            die("gen_corpus.py did not produce %s as its meta file describes" % path)
    return path


def corpus_complete(path, meta_path, lines, gz):
    try:
        meta = json.loads(meta_path.read_text())
        if meta["lines"] != lines or path.stat().st_size != meta["bytes"]:
            return False
        if gz:
            return Path(str(path) + ".gz").stat().st_size == meta["gzip"]["bytes"]
        return True
    except (OSError, ValueError, KeyError):
        return False


def level_counts(path):
    """How many JSON lines have level "info" (cached beside the corpus)."""
    cache = path.parent / "levels.json"
    try:
        cached = json.loads(cache.read_text())
        if cached["bytes"] == path.stat().st_size:
            return cached["info"]
    except (OSError, ValueError, KeyError):
        pass
    info, carry = 0, b""
    needle = b'"level":"info"'
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            data = carry + block
            info += data.count(needle)
            carry = data[-(len(needle) - 1):]   # too short to hold a match counted already
    cache.write_text(json.dumps({"bytes": path.stat().st_size, "info": info}))
    return info


# ----------------------------------------------------------------- configs ---

def base_config(run_dir):
    return {
        "output": {"directory": str(run_dir / "out")},
        "checkpoints": {"path": str(run_dir / "data" / "checkpoints.sqlite")},
        "deadLetter": {"path": str(run_dir / "data" / "dead-letter.jsonl")},
        "log": {"level": "info"},
    }


def regex_input(path, pattern):
    return {"name": "access", "paths": [str(path)], "parser": {"type": "regex", "pattern": pattern}}


def settle_disk():
    """Writes back what earlier runs left dirty (hundreds of MB of output each), so that a run
    does not pay for its predecessor's writeback."""
    os.sync()
    time.sleep(0.5)


def write_config(run_dir, config):
    path = run_dir / "config.json5"
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path


# ------------------------------------------------------------------ report ---

@dataclass
class Row:
    key: object
    wall: float = None
    cpu: float = None
    rss_mb: float = None
    mbps: float = None
    events: int = None
    wc: float = None
    zcat: float = None
    target: str = ""
    result: str = ""
    na: str = None
    notes: list = field(default_factory=list)
    p99: float = None


def fmt(value, spec):
    return "-" if value is None else format(value, spec)


def render(rows):
    head = ("case", "wall s", "CPU s", "RSS MB", "MB/s", "events", "wc -l s", "zcat s",
            "target", "result")
    table = []
    for r in rows:
        if r.na:
            table.append((CASE_TITLES[r.key], r.na))
            continue
        table.append((CASE_TITLES[r.key], fmt(r.wall, ".3f"), fmt(r.cpu, ".3f"), fmt(r.rss_mb, ".1f"),
                      fmt(r.mbps, ".0f"), fmt(r.events, ",d"), fmt(r.wc, ".3f"), fmt(r.zcat, ".3f"),
                      r.target, r.result))
    widths = [max([len(head[i])] + [len(t[i]) for t in table if len(t) > 2]) for i in range(len(head))]
    widths[0] = max(len(t[0]) for t in table + [head])
    right = {1, 2, 3, 4, 5, 6, 7}

    def line(cells):
        out = []
        for i, cell in enumerate(cells):
            out.append(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]))
        return "  ".join(out).rstrip()

    lines = [line(head), line(["-" * w for w in widths])]
    for t in table:
        lines.append(line(t) if len(t) > 2 else t[0].ljust(widths[0]) + "  " + t[1])
    notes = [(r.key, n) for r in rows for n in r.notes]
    if notes:
        lines.append("")
        for key, text in notes:
            lines.append("%s: %s" % (CASE_TITLES[key].split(" ")[0] if key != "flat" else "flat", text))
    return "\n".join(lines)


def judge(row, checks, problems=()):
    """checks: (label, value, limit, text); a value or limit of None was not measured. Fills
    the row's target and result."""
    parts, failed = [], []
    for label, value, limit, text in checks:
        parts.append(text)
        if value is None or limit is None:
            continue
        if value > limit:
            failed.append(label)
    row.target = ", ".join(parts)
    if problems:
        row.result = "FAIL (wrong output)"
    elif any(v is None or lim is None for _, v, lim, _ in checks):
        row.result = ("FAIL: " + ", ".join(failed)) if failed else "incomplete"
    else:
        row.result = ("FAIL: " + ", ".join(failed)) if failed else "PASS"


# ------------------------------------------------------------------- cases ---

class Bench:
    def __init__(self, args, binary, generator):
        self.args = args
        self.binary = binary
        self.runs = args.runs
        self.scale = 0.1 if args.quick else 1.0
        self.combined_lines = int(COMBINED_LINES * self.scale)
        self.jsonl_lines = int(JSONL_LINES * self.scale)
        self.pattern, self.fields = combined_pattern(generator)
        self.rows = {}
        self.limits = {}
        self.env = dict(os.environ)
        for name in ("NO_PROXY", "no_proxy"):
            self.env[name] = "127.0.0.1,localhost" + ("," + self.env[name] if self.env.get(name) else "")
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        self.base = Path(tempfile.mkdtemp(prefix="bench-", dir=OUT_DIR))
        self.spawner = Spawner(self.env)
        self.rss_floor_mb = self.spawner.floor_kb() * 1024 / MB

    def close(self):
        self.spawner.close()
        shutil.rmtree(self.base, ignore_errors=True)

    def new_run_dir(self):
        run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=self.base))
        (run_dir / "data").mkdir()
        return run_dir

    # ---- limits

    def limit(self, tool, path):
        """Best wall of `wc -l FILE` or `zcat FILE > /dev/null` over the runs, cached."""
        key = (tool, str(path))
        if key not in self.limits:
            argv = ["wc", "-l", path] if tool == "wc" else ["zcat", path]
            self.limits[key] = min(measure(argv, self.args.timeout).wall for _ in range(self.runs))
        return self.limits[key]

    # ---- one --once run

    def once(self, config_for, timeout=None):
        """Run `atom-shipper run --once` on a fresh state folder; returns (Measure, stdout, run_dir).
        The caller checks the output, then calls self.done(run_dir)."""
        run_dir = self.new_run_dir()
        config = write_config(run_dir, config_for(run_dir))
        settle_disk()
        pid, start = self.spawner.spawn([self.binary, "run", "--once", "--config", config], run_dir,
                                        run_dir / "stdout.txt", run_dir / "stderr.txt")
        m = self.spawner.wait(pid, start, timeout or self.args.timeout)
        stdout = (run_dir / "stdout.txt").read_text(errors="replace")
        return m, stdout, run_dir

    def done(self, run_dir):
        shutil.rmtree(run_dir, ignore_errors=True)

    def run_problems(self, m, run_dir):
        problems = []
        if m.timed_out:
            problems.append("killed after %d s" % self.args.timeout)
        elif m.status != 0:
            problems.append("exit status %d" % m.status)
        if problems:
            log = tail(run_dir / "stderr.txt")
            if log:
                problems.append("stderr ends with:\n" + log)
        return problems

    def best_of(self, row, attempts, input_bytes):
        """attempts: (Measure, problems, notes, events delivered) per run. Fills the row from the
        run with the best wall among those whose output was right (any run if none was).
        Returns the problems of every run that had some."""
        good = [a for a in attempts if not a[1]]
        bad = [a for a in attempts if a[1]]
        for _, problems, _, _ in bad:
            row.notes.append("a run failed verification: " + problems[0])
        pool = good or attempts
        m, _, extra, events = min(pool, key=lambda a: a[0].wall)
        row.events = events
        row.wall, row.cpu, row.rss_mb = m.wall, m.cpu, m.rss_kb * 1024 / MB
        row.mbps = input_bytes / MB / m.wall if input_bytes else None
        row.notes.extend(extra)
        if len(attempts) > 1:
            row.notes.append("wall of each run: " + " ".join("%.3f" % a[0].wall for a in attempts))
        # Wrong output in any run fails the case, even when another run was right.
        return [p for a in bad for p in a[1]]

    def file_case(self, key, config_for, input_path, input_bytes, expected, check_output):
        row = Row(key)
        page_cache([input_path])
        attempts = []
        for i in range(self.runs):
            note("case %s, run %d of %d" % (CASE_TITLES[key], i + 1, self.runs))
            m, stdout, run_dir = self.once(config_for)
            problems = self.run_problems(m, run_dir)
            sproblems, summary = summary_problems(stdout, expected)
            problems += sproblems
            if not problems:
                problems += check_output(run_dir, summary)
                if key == 1:
                    # Case 7 makes the same events: its poller watches for this many bytes.
                    self.case1_output_bytes = sum(f.stat().st_size for f in (run_dir / "out").glob("*.jsonl"))
            self.done(run_dir)
            attempts.append((m, problems, [], summary and summary[0]))
        return row, self.best_of(row, attempts, input_bytes)

    def output_lines_check(self, expected, streams=None):
        """The file transport's output has `expected` lines in all, and per stream if given."""
        def check(run_dir, summary):
            out = run_dir / "out"
            files = sorted(out.glob("*.jsonl")) if out.is_dir() else []
            total = count_lines(files)
            problems = []
            if total != expected:
                problems.append("output has %d lines, expected %d" % (total, expected))
            for stream, want in (streams or {}).items():
                got = count_lines([out / (stream + ".jsonl")])
                if got != want:
                    problems.append("stream %s has %d lines, expected %d" % (stream, got, want))
            return problems
        return check

    def fields_check(self, inner):
        """Also: the first event has exactly the regex's ten fields (it was parsed, not kept raw)."""
        def check(run_dir, summary):
            problems = inner(run_dir, summary)
            first = next(iter(sorted((run_dir / "out").glob("*.jsonl"))), None)
            if first is not None:
                with open(first, encoding="utf-8", errors="replace") as f:
                    event = json.loads(f.readline() or "{}")
                if sorted(event) != sorted(self.fields):
                    problems.append("first event has fields %s" % sorted(event))
            return problems
        return check

    def scaled(self, seconds):
        return seconds * self.scale

    def case1(self):
        log = corpus("combined", self.combined_lines)
        size = log.stat().st_size
        n = self.combined_lines
        row, problems = self.file_case(
            1, lambda d: {**base_config(d), "inputs": [regex_input(log, self.pattern)]},
            log, size, n, self.fields_check(self.output_lines_check(n)))
        row.wc = self.limit("wc", log)
        judge(row, [("wall", row.wall, self.scaled(1.0), "wall ≤ %gs" % self.scaled(1.0)),
                    ("CPU", row.cpu, self.scaled(1.5), "CPU ≤ %gs" % self.scaled(1.5)),
                    ("RSS", row.rss_mb, 24, "RSS ≤ 24MB")], problems)
        return row, problems

    # The same ten fields as COMBINED_RE, by delimiters instead of a regex (ident skipped).
    DISSECT_PATTERN = ('%{remote} %{} %{user} [%{time}] "%{method} %{path} %{protocol}" '
                       '%{status} %{bytes} "%{referer}" "%{agent}"')

    def case2(self):
        log = corpus("combined", self.combined_lines)
        size = log.stat().st_size
        n = self.combined_lines
        dissect = {"name": "access", "paths": [str(log)],
                   "parser": {"type": "dissect", "pattern": self.DISSECT_PATTERN}}
        row, problems = self.file_case(
            2, lambda d: {**base_config(d), "inputs": [dissect]},
            log, size, n, self.fields_check(self.output_lines_check(n)))
        row.wc = self.limit("wc", log)
        # The issue sets no target of its own for this case; it is shown beside case 1.
        judge(row, [("wall", row.wall, self.scaled(1.0), "as case 1: wall ≤ %gs" % self.scaled(1.0)),
                    ("CPU", row.cpu, self.scaled(1.5), "CPU ≤ %gs" % self.scaled(1.5)),
                    ("RSS", row.rss_mb, 24, "RSS ≤ 24MB")], problems)
        return row, problems

    def case3(self):
        log = corpus("jsonl", self.jsonl_lines)
        size = log.stat().st_size
        n = self.jsonl_lines
        info = level_counts(log)

        def config_for(d):
            return {**base_config(d), "inputs": [{
                "name": "app", "paths": [str(log)], "parser": {"type": "json"},
                "routes": [{"when": {"field": "level", "equals": "info"}, "stream": "app_info"}],
                "stream": "app_other"}]}

        check = self.output_lines_check(n, {"app_info": info, "app_other": n - info})
        row, problems = self.file_case(3, config_for, log, size, n, check)
        row.wc = self.limit("wc", log)
        row.notes.append("routed on level: \"info\" -> app_info (%d), the rest -> app_other (%d)"
                         % (info, n - info))
        judge(row, [("wall", row.wall, self.scaled(0.6), "wall ≤ %gs" % self.scaled(0.6)),
                    ("CPU", row.cpu, self.scaled(1.0), "CPU ≤ %gs" % self.scaled(1.0)),
                    ("RSS", row.rss_mb, 24, "RSS ≤ 24MB")], problems)
        return row, problems

    def raw_case(self, key, lines):
        log = corpus("combined", lines, gz=key != "flat")
        size = log.stat().st_size

        def config_for(d):
            return {**base_config(d), "inputs": [{"name": "access", "paths": [str(log)]}]}

        row, problems = self.file_case(key, config_for, log, size, lines,
                                       self.output_lines_check(lines))
        row.wc = self.limit("wc", log)
        return row, problems

    def case4(self):
        row, problems = self.raw_case(4, self.combined_lines)
        judge(row, [("wall", row.wall, self.scaled(0.35), "wall ≤ %gs" % self.scaled(0.35)),
                    ("CPU", row.cpu, self.scaled(0.5), "CPU ≤ %gs" % self.scaled(0.5)),
                    ("RSS", row.rss_mb, 24, "RSS ≤ 24MB")], problems)
        return row, problems

    def case5(self):
        log = corpus("combined", self.combined_lines)
        gz = Path(str(log) + ".gz")
        size = log.stat().st_size
        n = self.combined_lines
        row, problems = self.file_case(
            5, lambda d: {**base_config(d), "inputs": [regex_input(gz, self.pattern)]},
            gz, size, n, self.fields_check(self.output_lines_check(n)))
        row.zcat = self.limit("zcat", gz)
        limit = max(self.scaled(1.2), 1.3 * row.zcat)
        row.notes.append("MB/s counts decompressed bytes; the .gz is %.1f MB" % (gz.stat().st_size / MB))
        judge(row, [("wall", row.wall, limit, "wall ≤ max(%gs, 1.3 × zcat) = %.3fs"
                     % (self.scaled(1.2), limit))], problems)
        return row, problems

    def case6(self):
        log = corpus("combined", self.combined_lines)
        size = log.stat().st_size
        n = self.combined_lines
        mode = "verify" if self.args.verify else "count"
        row = Row(6)
        page_cache([log])
        attempts = []
        for i in range(self.runs):
            note("case %s, run %d of %d" % (CASE_TITLES[6], i + 1, self.runs))
            receiver = Receiver(mode)
            try:
                endpoint = "http://127.0.0.1:%d/" % receiver.port
                m, stdout, run_dir = self.once(lambda d: {
                    **base_config(d), "atom": {"endpoint": endpoint},
                    "inputs": [regex_input(log, self.pattern)]})
            finally:
                stats, rm = receiver.finish()
            problems = self.run_problems(m, run_dir)
            sproblems, summary = summary_problems(stdout, n)
            problems += sproblems
            if stats.get("requests", 0) == 0:
                problems.append("the receiver got no requests")
            elif stats["body_bytes"] < size:
                problems.append("the receiver got %d bytes, less than the input" % stats["body_bytes"])
            if mode == "verify" and stats.get("events") != n:
                problems.append("the receiver counted %s events (%s bad bodies), expected %d"
                                % (stats.get("events"), stats.get("bad_bodies"), n))
            self.done(run_dir)
            extra = ["receiver (%s mode): CPU %.3f s, %d requests, %.1f MB of bodies%s"
                     % (mode, rm.cpu, stats.get("requests", 0),
                        stats.get("body_bytes", 0) / MB,
                        ", %d events counted" % stats["events"] if "events" in stats else "")]
            attempts.append((m, problems, extra, summary and summary[0]))
        problems = self.best_of(row, attempts, size)
        base = self.rows.get(1)
        limit = 1.5 * base.cpu if base is not None and base.cpu is not None else None
        judge(row, [("CPU", row.cpu, limit, "CPU ≤ 1.5 × case 1 = %s" %
                     ("%.3fs" % limit if limit is not None else "(needs case 1)")),
                    ("RSS", row.rss_mb, 32, "RSS ≤ 32MB")], problems)
        row.wc = self.limit("wc", log)
        return row, problems

    def case7(self):
        log = corpus("combined", self.combined_lines)
        size = log.stat().st_size
        n = self.combined_lines
        row = Row(7)
        page_cache([log])
        attempts = []
        for i in range(self.runs):
            note("case %s, run %d of %d" % (CASE_TITLES[7], i + 1, self.runs))
            attempts.append(self.follow_run(log, n))
        problems = self.best_of(row, attempts, size)
        row.wc = self.limit("wc", log)
        base = self.rows.get(1)
        limit = 1.2 * base.wall if base is not None and base.wall is not None else None
        judge(row, [("wall", row.wall, limit, "wall ≤ 1.2 × case 1 = %s" %
                     ("%.3fs" % limit if limit is not None else "(needs case 1)"))], problems)
        return row, problems

    def follow_run(self, log, n):
        """Case 7, one run: follow an empty file, append the corpus, time until all is out."""
        run_dir = self.new_run_dir()
        live = run_dir / "access.log"
        live.touch()
        config = write_config(run_dir, {**base_config(run_dir),
                                        "inputs": [regex_input(live, self.pattern)]})
        output = run_dir / "out" / "access.jsonl"
        problems, extra = [], []
        settle_disk()
        pid, _ = self.spawner.spawn([self.binary, "run", "--config", config], run_dir,
                                    run_dir / "stdout.txt", run_dir / "stderr.txt")
        try:
            ready = wait_until_open(run_dir / "stderr.txt", live, pid, 30)
            if ready is None:
                problems.append("the shipper did not open the file within 30 s")
            elif ready == "fd":
                extra.append(READY_BY_FD)
            wall, count = None, 0
            if not problems:
                with open(live, "ab") as sink:
                    cat, start = launch(["cat", log], stdout=sink)
                cat_measure = []
                waiter = threading.Thread(target=lambda: cat_measure.append(
                    reap(cat, start, self.args.timeout)), daemon=True)
                waiter.start()
                deadline = start + self.args.timeout
                # The poll must not compete with the shipper for the two cores: with case 1's
                # output size known (the same events, byte for byte), only the file's size is
                # watched and the lines are counted once at the end; otherwise newlines are
                # counted incrementally.
                target_bytes = getattr(self, "case1_output_bytes", None)
                counted_to, count, handle = 0, 0, None
                while True:
                    if target_bytes is not None:
                        size = output.stat().st_size if output.exists() else 0
                        count = n if size >= target_bytes else 0
                    else:
                        if handle is None and output.exists():
                            handle = open(output, "rb")
                        if handle is not None:
                            chunk = handle.read()
                            counted_to += len(chunk)
                            count += chunk.count(b"\n")
                    if count >= n:
                        wall = time.monotonic() - start
                        break
                    if time.monotonic() > deadline or not alive(pid):
                        problems.append("output has %d of %d lines when giving up" % (count, n))
                        break
                    time.sleep(0.02)
                if handle is not None:
                    handle.close()
                waiter.join()
                extra.append("the append (cat >> file) took %.3f s" % cat_measure[0].wall)
        finally:
            kill_quietly(pid, signal.SIGTERM)
            m = self.spawner.wait(pid, time.monotonic(), 60)
        if m.timed_out or m.status != 0:
            problems.append("after SIGTERM: %s" % ("killed after 60 s" if m.timed_out
                                                    else "exit status %d" % m.status))
        stdout = (run_dir / "stdout.txt").read_text(errors="replace")
        sproblems, summary = summary_problems(stdout, n)
        problems += sproblems
        if not problems:
            final = count_lines([output])
            if final != n:
                problems.append("output has %d lines, expected %d" % (final, n))
        if problems:
            log_tail = tail(run_dir / "stderr.txt")
            if log_tail:
                problems.append("stderr ends with:\n" + log_tail)
        self.done(run_dir)
        # Wall from the start of the append; CPU and RSS cover the shipper's whole life.
        m.wall = wall if wall is not None else float("inf")
        return m, problems, extra, summary and summary[0]

    def case8(self):
        seconds = TAIL_SECONDS if not self.args.quick else 5
        sample = corpus("combined", self.combined_lines)
        row = Row(8)
        results = []
        for i in range(self.runs):
            note("case %s, run %d of %d (%d s of writing)" % (CASE_TITLES[8], i + 1, self.runs, seconds))
            results.append(self.latency_run(sample, seconds))
        if any(r[4] == "fd" for r in results):
            row.notes.append(READY_BY_FD)
        good = [r for r in results if not r[1] and r[2].get("samples")]
        for _, problems, _, _, _ in results:
            if problems:
                row.notes.append("a run failed verification: " + problems[0])
        pool = good or results
        m, _, stats, written, _ = min(pool, key=lambda r: r[2].get("p99_ms", math.inf))
        row.cpu, row.rss_mb = m.cpu, m.rss_kb * 1024 / MB
        row.events = stats.get("events")
        row.p99 = stats.get("p99_ms")
        if stats.get("samples"):
            row.notes.append("%d lines at %d/s for %d s; best run: p50 %.1f ms, p90 %.1f ms, "
                             "p99 %.1f ms, max %.1f ms (CPU and RSS: the shipper over the whole run)"
                             % (written, TAIL_RATE, seconds, stats["p50_ms"], stats["p90_ms"],
                                stats["p99_ms"], stats["max_ms"]))
        if len(results) > 1:
            row.notes.append("p99 of each run (ms): " + " ".join(
                "%.1f" % r[2]["p99_ms"] if "p99_ms" in r[2] else "-" for r in results))
        problems = [p for r in results for p in r[1]]
        judge(row, [("p99", row.p99, 100, "p99 ≤ 100ms")], problems)
        if row.p99 is not None:
            row.result += " (p50 %.1f, p99 %.1f ms)" % (stats["p50_ms"], stats["p99_ms"])
        return row, problems

    def latency_run(self, sample, seconds):
        run_dir = self.new_run_dir()
        live = run_dir / "live.log"
        live.touch()
        problems, stats, written, ready = [], {}, 0, None
        receiver = Receiver("latency")
        pid = None
        try:
            config = write_config(run_dir, {
                **base_config(run_dir), "atom": {"endpoint": "http://127.0.0.1:%d/" % receiver.port},
                "inputs": [{"name": "live", "paths": [str(live)]}]})
            pid, start = self.spawner.spawn([self.binary, "run", "--config", config], run_dir,
                                            run_dir / "stdout.txt", run_dir / "stderr.txt")
            ready = wait_until_open(run_dir / "stderr.txt", live, pid, 30)
            if ready is None:
                problems.append("the shipper did not open the file within 30 s")
            else:
                writer, _ = launch([sys.executable, __file__, "--tail-writer", live, TAIL_RATE, seconds,
                                    sample], stdout=subprocess.PIPE)
                written = int(writer.communicate(timeout=seconds + 60)[0] or 0)
                LIVE.discard(writer)
                # Partial batches go out when the input has caught up, else after flushIntervalMs
                # (10 s by default): wait past that for the last events.
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    if receiver.stats().get("events", 0) >= written:
                        break
                    time.sleep(0.05)
        finally:
            if pid is not None:
                kill_quietly(pid, signal.SIGTERM)
                m = self.spawner.wait(pid, start, 60)
            stats, _ = receiver.finish()
        if pid is not None and (m.timed_out or m.status != 0):
            problems.append("after SIGTERM: %s" % ("killed after 60 s" if m.timed_out
                                                    else "exit status %d" % m.status))
        stdout = (run_dir / "stdout.txt").read_text(errors="replace")
        sproblems, _ = summary_problems(stdout, written)
        problems += sproblems
        if stats.get("events") != written:
            problems.append("the receiver got %s of %d events" % (stats.get("events"), written))
        if stats.get("no_send_time") or stats.get("bad_bodies"):
            problems.append("%s events without a send time, %s bad bodies"
                            % (stats.get("no_send_time"), stats.get("bad_bodies")))
        if problems:
            log_tail = tail(run_dir / "stderr.txt")
            if log_tail:
                problems.append("stderr ends with:\n" + log_tail)
        self.done(run_dir)
        return m, problems, stats, written, ready

    def flat(self):
        """Case 4 at ten times the size; peak RSS against the 1x run."""
        lines = self.combined_lines * 10
        need = lines * 221 * 2.4 / 1e9
        free = shutil.disk_usage(OUT_DIR).free / 1e9
        note("--flat: case 4 at %d lines needs about %.1f GB of disk (the corpus, %.1f GB, cached "
             "under %s, and one run's output at a time); %.1f GB free"
             % (lines, need, lines * 221 / 1e9, CORPUS_DIR, free))
        if free < need:
            die("not enough free disk for --flat")
        base = self.rows.get(4)
        if base is None:
            base, _ = self.case4()
            self.rows[4] = base
        row, problems = self.raw_case("flat", lines)
        if base.rss_mb is None or row.rss_mb is None:
            judge(row, [("RSS", row.rss_mb, None, "RSS ≤ 1.10 × case 4")], problems)
        else:
            judge(row, [("RSS", row.rss_mb, 1.10 * base.rss_mb,
                         "RSS ≤ 1.10 × case 4 = %.1fMB" % (1.10 * base.rss_mb))], problems)
            row.notes.append("peak RSS %.1f MB at %d lines vs %.1f MB at %d lines (%+.1f %%)"
                             % (row.rss_mb, lines, base.rss_mb, lines // 10,
                                100 * (row.rss_mb / base.rss_mb - 1)))
        return row, problems


class Receiver:
    """receiver.py as a child process: its port, its counters, its CPU when it ends."""

    def __init__(self, mode):
        self.proc, self.start = launch([sys.executable, HERE / "receiver.py", "--mode", mode],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = self.readline(10)
        if not line.startswith("PORT "):
            self.finish()
            die("receiver.py did not report its port (got %r)" % line)
        self.port = int(line.split()[1])

    def readline(self, timeout):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return self.proc.stdout.readline().decode() if ready else ""

    def stats(self):
        self.proc.stdin.write(b"stats\n")
        self.proc.stdin.flush()
        line = self.readline(10)
        return json.loads(line) if line else {}

    def finish(self):
        """Close stdin (the receiver prints its final counters and exits); (stats, Measure)."""
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        line = self.readline(30)
        m = reap(self.proc, self.start, 10)
        self.proc.stdout.close()
        return (json.loads(line) if line else {}), m


# ------------------------------------------------------------ tail writer ---

def tail_writer(path, rate, seconds, sample):
    """Case 8's writer: append `rate` lines/s for `seconds` s, each starting with its send time
    (time.monotonic_ns() just before the write) and a sequence number, then a line of the
    sample corpus. Prints how many lines it wrote."""
    with open(sample, encoding="utf-8") as f:
        payloads = [f.readline().rstrip("\n") for _ in range(1000)]
    payloads = [p for p in payloads if p] or ["-"]
    total = int(rate * seconds)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    written = 0
    begin = time.monotonic()
    while written < total:
        due = min(total, int((time.monotonic() - begin) * rate) + 1)
        if due > written:
            sent = time.monotonic_ns()
            text = "".join("%d %d %s\n" % (sent, i, payloads[i % len(payloads)])
                           for i in range(written, due))
            os.write(fd, text.encode())
            written = due
        time.sleep(0.001)
    os.close(fd)
    print(written)


# ------------------------------------------------------------------ driver ---

def build(args):
    # The binary a deployment runs: the Swift runtime linked in (scripts/run.sh builds the same).
    argv = ["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "atom-shipper"]
    if args.scratch_path:
        argv += ["--scratch-path", args.scratch_path]
    note("building: " + " ".join(argv))
    if subprocess.run(argv, cwd=REPO, stdout=sys.stderr).returncode != 0:
        die("the release build failed")


def binary_path(args):
    return Path(args.scratch_path or REPO / ".build").resolve() / "release" / "atom-shipper"


def git_commit():
    def git(*argv):
        return subprocess.run(["git", "--no-optional-locks", "-C", str(REPO), *argv],
                              capture_output=True, text=True).stdout.strip()
    commit = git("rev-parse", "--short=12", "HEAD") or "unknown"
    if git("status", "--porcelain", "--untracked-files=no"):
        commit += " + uncommitted changes"
    return commit


def parse_cases(text):
    try:
        cases = sorted({int(c) for c in text.split(",") if c.strip()})
    except ValueError:
        cases = []
    if not cases or any(c < 1 or c > 8 for c in cases):
        raise argparse.ArgumentTypeError("--cases takes numbers 1 to 8, comma-separated")
    return cases


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["--tail-writer"]:
        path, rate, seconds, sample = argv[1:5]
        tail_writer(path, int(rate), float(seconds), sample)
        return 0

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--quick", action="store_true", help="one tenth of the sizes (and 5 s in case 8)")
    ap.add_argument("--runs", type=int, default=3, help="runs per case; the best wall is shown (3)")
    ap.add_argument("--cases", type=parse_cases, default=list(range(1, 9)),
                    help="comma-separated case numbers, e.g. 1,4 (default: all)")
    ap.add_argument("--flat", action="store_true",
                    help="also run case 4 at ten times the size and compare peak RSS (2.2 GB corpus)")
    ap.add_argument("--verify", action="store_true",
                    help="case 6: the receiver decodes every body and counts the events (costs "
                         "receiver CPU)")
    ap.add_argument("--scratch-path", help="swift build --scratch-path (default: <repo>/.build)")
    ap.add_argument("--no-build", action="store_true", help="use the binary already built")
    ap.add_argument("--timeout", type=float, default=600, help="seconds before a run is killed (600)")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")

    def stop(signum, _frame):
        raise SystemExit("run.py: stopped by signal %d" % signum)

    signal.signal(signal.SIGTERM, stop)  # so that the children are ended and .out is cleaned
    generator = load_generator()
    if not args.no_build:
        build(args)
    binary = binary_path(args)
    if not os.access(binary, os.X_OK):
        die("no binary at %s" % binary)
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True).stdout.strip()

    bench = Bench(args, binary, generator)
    header = ["atom-shipper benchmarks: commit %s, %s" % (git_commit(), version),
              "binary %s" % binary,
              "%s sizes (%d access-log lines, %d JSON lines), best of %d run%s, %d CPUs, load %.2f"
              % ("quick (one tenth)" if args.quick else "full", bench.combined_lines, bench.jsonl_lines,
                 args.runs, "" if args.runs == 1 else "s", os.cpu_count(), os.getloadavg()[0]),
              "peak RSS floor (a no-op child measured the same way): %.1f MB" % bench.rss_floor_mb]
    if args.quick:
        header.append("quick mode: absolute wall and CPU targets are scaled by 0.1; RSS, relative and "
                      "latency targets are not")
    failures = []
    try:
        for case in args.cases:
            row, problems = getattr(bench, "case%d" % case)()
            bench.rows[case] = row
            failures += ["case %d: %s" % (case, p) for p in problems]
        if args.flat:
            row, problems = bench.flat()
            bench.rows["flat"] = row
            failures += ["flat: %s" % p for p in problems]
    finally:
        for pid in list(SPAWNED):
            if alive(pid):
                kill_quietly(pid)
        bench.close()
        for proc in list(LIVE):
            kill_quietly(proc.pid)

    report = "\n".join(header) + "\n\n" + render(list(bench.rows.values()))
    if failures:
        report += "\n\nwrong output:\n" + "\n".join("  " + f for f in failures)
    print(report)
    (OUT_DIR / "last-report.txt").write_text(report + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
