#!/usr/bin/env python3
"""atom-shipper following benchmark (issue 4, acceptance item 4; Python stdlib only).

Runs the real `atom-shipper` and checks three targets:

  idle     10,000 idle files matching the input's glob, in follow mode with maxOpenFiles 256:
           once every line is delivered, the shipper's CPU over 30 s (/proc/PID/stat) must stay
           at or below 1 % of one core, and its descriptors open on the log files (sampled in
           /proc/PID/fd) at or below maxOpenFiles
  latency  a new file's first line, from the write to its appearance in the file transport's
           output, within 100 ms (50 new files, with the 10,000 files present and again with an
           empty folder)
  gzip     a --once backfill of about 1 GiB (uncompressed) of .gz access logs in raw mode at
           0.8 times or more the rate of `zcat FILE > /dev/null` over the same files, measured in
           the same invocation

  python3 Benchmarks/follow_bench.py                     # everything, full size
  python3 Benchmarks/follow_bench.py --quick             # smaller: a check that it works
  python3 Benchmarks/follow_bench.py --cases idle,latency --no-build --scratch-path /tmp/build-rel

See Benchmarks/README.md ("Following benchmark") for what is measured and how.
"""

import argparse
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import run as common   # Benchmarks/run.py: the spawner, configs, summary parsing, corpus generator

HERE = common.HERE
OUT_DIR = common.OUT_DIR
CORPUS_DIR = common.CORPUS_DIR
MB = common.MB
CASES = ("idle", "latency", "gzip")
CASE_ALIASES = {"a": "idle", "b": "latency", "c": "gzip"}
TICKS = os.sysconf("SC_CLK_TCK")
LINES_PER_FILE = 3


def note(message):
    sys.stderr.write("# %s\n" % message)
    sys.stderr.flush()


def die(message):
    sys.stderr.write("follow_bench.py: %s\n" % message)
    sys.exit(2)


# ------------------------------------------------------------ /proc probes ---

def cpu_ticks(pid):
    """User + system CPU of the whole process (every thread), in clock ticks."""
    fields = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def thread_stats(pid):
    """{tid: (name, CPU ticks, context switches)} for each thread of the process."""
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            stat = Path("/proc/%d/task/%s/stat" % (pid, tid)).read_text()
            status = Path("/proc/%d/task/%s/status" % (pid, tid)).read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        switches = sum(int(line.split()[1]) for line in status.splitlines() if "ctxt_switches:" in line)
        out[tid] = (name, int(fields[11]) + int(fields[12]), switches)
    return out


class FdSampler:
    """Samples /proc/PID/fd: the total, and the descriptors whose link leads into the log folder
    (the files the input holds open); the rest are classified for the notes."""

    def __init__(self, pid, log_dir, run_dir):
        self.pid = pid
        self.log_prefix = str(log_dir) + "/"
        self.run_dir = str(run_dir) + "/"
        self.peak_total = 0
        self.peak_logs = 0
        self.samples = 0
        self.last_other = Counter()

    def kind(self, link):
        if link.startswith(self.log_prefix):
            return "log"
        if link.startswith(self.run_dir + "out/"):
            return "output file"
        if link.startswith(self.run_dir + "data/"):
            return "state file (data/)"
        if link.startswith(self.run_dir + "std"):
            return "stdout/stderr"
        for prefix, name in (("socket:", "socket"), ("pipe:", "pipe"), ("anon_inode:inotify", "inotify"),
                             ("anon_inode:[eventfd]", "eventfd"), ("anon_inode:", "other anon inode"),
                             ("/dev/", "device")):
            if link.startswith(prefix):
                return name
        return "other file"

    def sample(self):
        """Returns (total, log files) now, or None when the process is gone."""
        try:
            fds = os.listdir("/proc/%d/fd" % self.pid)
        except OSError:
            return None
        kinds = Counter()
        for fd in fds:
            try:
                kinds[self.kind(os.readlink("/proc/%d/fd/%s" % (self.pid, fd)))] += 1
            except OSError:
                pass
        total, logs = sum(kinds.values()), kinds.pop("log", 0)
        self.samples += 1
        self.peak_total = max(self.peak_total, total)
        self.peak_logs = max(self.peak_logs, logs)
        self.last_other = kinds
        return total, logs

    def other_text(self):
        return ", ".join("%d %s" % (n, k) for k, n in sorted(self.last_other.items())) or "none"


def folder_watched(pid, folder):
    """True when one of the process's inotify descriptors watches `folder` (its fdinfo lists the
    watch with the folder's inode in hex)."""
    inode = "ino:%x " % os.stat(folder).st_ino
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) != "anon_inode:inotify":
                continue
            if inode in Path("/proc/%d/fdinfo/%s" % (pid, fd)).read_text():
                return True
        except OSError:
            pass
    return False


class OutputTail:
    """Reads what the file transport appends to one output file; the driver polls it with
    fstat (no inotify) so that the shipper is never woken by it."""

    def __init__(self, path):
        self.path = path
        self.handle = None
        self.carry = b""
        self.lines = 0

    def poll(self):
        """New complete lines since the last call (bytes, without newline)."""
        if self.handle is None:
            try:
                self.handle = open(self.path, "rb", buffering=0)
            except FileNotFoundError:
                return []
        if os.fstat(self.handle.fileno()).st_size <= self.handle.tell():
            return []
        data = self.carry + self.handle.read()
        *lines, self.carry = data.split(b"\n")
        self.lines += len(lines)
        return lines

    def close(self):
        if self.handle is not None:
            self.handle.close()


# ------------------------------------------------------------------- report ---

class Report:
    def __init__(self):
        self.rows = []     # (case, measured, target, result)
        self.notes = []
        self.problems = []

    def row(self, case, measured, target, passed):
        result = "-" if passed is None else ("PASS" if passed else "FAIL")
        self.rows.append((case, measured, target, result))

    def render(self):
        head = ("case", "measured", "target", "result")
        widths = [max(len(r[i]) for r in self.rows + [head]) for i in range(4)]

        def line(cells):
            return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

        out = [line(head), line(["-" * w for w in widths])] + [line(r) for r in self.rows]
        if self.notes:
            out += [""] + self.notes
        if self.problems:
            out += ["", "wrong output:"] + ["  " + p for p in self.problems]
        return "\n".join(out)


def percentile(ordered, p):
    """Nearest rank."""
    index = max(0, min(len(ordered) - 1, math.ceil(p * len(ordered) - 1e-9) - 1))
    return ordered[index]


# --------------------------------------------------------------------- bench ---

class FollowBench:
    def __init__(self, args, binary):
        self.args = args
        self.binary = binary
        self.quick = args.quick
        self.files = 1_000 if self.quick else 10_000
        self.window = 5.0 if self.quick else 30.0
        self.probes = 20 if self.quick else 50
        self.max_open = args.max_open_files
        self.report = Report()
        self.env = dict(os.environ)
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        self.base = Path(tempfile.mkdtemp(prefix="follow-", dir=OUT_DIR))
        self.spawner = common.Spawner(self.env)

    def close(self):
        for pid in list(common.SPAWNED):
            if common.alive(pid):
                common.kill_quietly(pid)
        self.spawner.close()
        shutil.rmtree(self.base, ignore_errors=True)

    def new_run_dir(self):
        run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=self.base))
        (run_dir / "data").mkdir()
        return run_dir

    # ---- follow sessions (cases idle and latency)

    def follow(self, files, idle, probes):
        """One shipper following `files` idle files (written before it starts): catch up, then
        the idle window and/or the new-file probes. Returns the probe latencies (ms)."""
        label = "%s files" % format(files, ",d") if files else "empty folder"
        run_dir = self.new_run_dir()
        logs = run_dir / "logs"
        logs.mkdir()
        expected = Counter()
        for i in range(files):
            text = "".join("file %05d line %d: GET /static/app-%05d.js HTTP/1.1 200 %d\n"
                           % (i, j, i, 1000 + j) for j in range(LINES_PER_FILE))
            (logs / ("app-%05d.log" % i)).write_text(text)
            expected.update(text.splitlines())
        config = common.write_config(run_dir, {
            **common.base_config(run_dir),
            "inputs": [{"name": "logs", "paths": [str(logs / "*.log")], "maxOpenFiles": self.max_open}]})
        output = OutputTail(run_dir / "out" / "logs.jsonl")
        common.settle_disk()
        pid, start = self.spawner.spawn([self.binary, "run", "--config", config], run_dir,
                                        run_dir / "stdout.txt", run_dir / "stderr.txt")
        fds = FdSampler(pid, logs, run_dir)
        problems, latencies = [], []
        try:
            want = files * LINES_PER_FILE
            deadline = time.monotonic() + self.args.timeout
            next_sample = 0.0
            # Catch up: every line delivered (or, with no files, the folder watched).
            while True:
                output.poll()
                now = time.monotonic()
                if now >= next_sample:
                    fds.sample()
                    next_sample = now + 0.05
                if (output.lines >= want if files else folder_watched(pid, logs)):
                    break
                if now > deadline or not common.alive(pid):
                    problems.append("%s: %d of %d lines delivered when giving up"
                                    % (label, output.lines, want))
                    break
                time.sleep(0.02)
            catch_up = time.monotonic() - start
            catch_up_fds = (fds.peak_total, fds.peak_logs)
            if files and not problems:
                self.report.notes.append(
                    "%s: all %s lines delivered %.2f s after the start; during catch-up at most %d "
                    "descriptors (%d on log files, sampled every 50 ms)"
                    % (label, format(want, ",d"), catch_up, *catch_up_fds))
            if not problems and idle:
                self.idle_window(pid, fds, label)
            if not problems and probes:
                latencies = self.probe(logs, output, fds, probes, label, problems, expected)
        finally:
            common.kill_quietly(pid, signal.SIGTERM)
            m = self.spawner.wait(pid, start, 60)
        output.poll()
        output.close()
        if m.timed_out or m.status != 0:
            problems.append("%s: after SIGTERM, %s" % (label, "killed after 60 s" if m.timed_out
                                                       else "exit status %d" % m.status))
        stdout = (run_dir / "stdout.txt").read_text(errors="replace")
        sproblems, _ = common.summary_problems(stdout, sum(expected.values()))
        problems += ["%s: %s" % (label, p) for p in sproblems]
        got = self.messages(run_dir / "out" / "logs.jsonl")
        if got != expected:
            missing, extra = expected - got, got - expected
            problems.append("%s: the output differs from the lines written: %d missing, %d extra or "
                            "repeated" % (label, sum(missing.values()), sum(extra.values())))
        self.report.notes.append("%s: shipper over its whole life: CPU %.2f s, peak RSS %.1f MB"
                                 % (label, m.cpu, m.rss_kb * 1024 / MB))
        if fds.samples:
            self.judge_fds(fds, label, files > 0)
        if problems:
            log = common.tail(run_dir / "stderr.txt")
            if log:
                problems.append("%s: stderr ends with:\n%s" % (label, log))
        self.report.problems += problems
        shutil.rmtree(run_dir, ignore_errors=True)
        return latencies

    def messages(self, path):
        got = Counter()
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    try:
                        got[json.loads(line)["message"]] += 1
                    except (ValueError, KeyError, TypeError):
                        got["<undecodable output line>"] += 1
        except FileNotFoundError:
            pass
        return got

    def idle_window(self, pid, fds, label):
        """CPU of the shipper over the window (after the checkpoint commit that follows the
        catch-up), with the descriptors sampled every 0.5 s."""
        time.sleep(2.0)
        threads0, ticks0, t0 = thread_stats(pid), cpu_ticks(pid), time.monotonic()
        idle_peak = (0, 0)
        end = t0 + self.window
        while time.monotonic() < end:
            sample = fds.sample()
            if sample:
                idle_peak = max(idle_peak[0], sample[0]), max(idle_peak[1], sample[1])
            time.sleep(min(0.5, max(0.0, end - time.monotonic())))
        ticks1, t1, threads1 = cpu_ticks(pid), time.monotonic(), thread_stats(pid)
        elapsed = t1 - t0
        percent = 100.0 * (ticks1 - ticks0) / TICKS / elapsed
        self.report.row("idle CPU, %s" % label, "%.2f %% of a core (%.2f s CPU in %.1f s)"
                        % (percent, (ticks1 - ticks0) / TICKS, elapsed), "≤ 1 %", percent <= 1.0)
        busy = []
        for tid, (name, ticks, _) in threads1.items():
            before = threads0.get(tid, (name, 0, 0))[1]
            if ticks > before:
                busy.append((ticks - before, name))
        switches = sum(s for _, _, s in threads1.values()) - sum(s for _, _, s in threads0.values())
        busy.sort(reverse=True)
        self.report.notes.append(
            "%s, idle window: %.0f context switches/s over all threads; CPU by thread: %s; at most %d "
            "descriptors (%d on log files)" % (
                label, switches / elapsed,
                ", ".join("%s %.2f s" % (n, t / TICKS) for t, n in busy[:4]) or "none measurable",
                *idle_peak))

    def judge_fds(self, fds, label, judged):
        if judged:
            self.report.row("log-file fds, %s" % label,
                            "peak %d of maxOpenFiles %d (%d samples)"
                            % (fds.peak_logs, self.max_open, fds.samples),
                            "≤ maxOpenFiles", fds.peak_logs <= self.max_open)
        self.report.notes.append(
            "%s: at most %d descriptors in all; besides log files the last sample had: %s"
            % (label, fds.peak_total, fds.other_text()))

    def probe(self, logs, output, fds, count, label, problems, expected):
        """Creates `count` new files, one at a time, each with one line, and times each line from
        just before the file's creation to the poll (every 1 ms) that finds it in the output."""
        gaps = random.Random(4)
        latencies = []
        for i in range(count):
            text = "probe %03d of %s" % (i, label)
            marker = b'"' + text.encode() + b'"'
            path = logs / ("new-%03d.log" % i)
            sent = time.monotonic_ns()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
            os.write(fd, (text + "\n").encode())
            os.close(fd)
            expected[text] += 1
            deadline = time.monotonic() + 5
            seen = None
            while seen is None and time.monotonic() < deadline:
                for line in output.poll():
                    if marker in line:
                        seen = time.monotonic_ns()
                if seen is None:
                    time.sleep(0.001)
            if seen is None:
                problems.append("%s: probe %d not delivered within 5 s" % (label, i))
                break
            latencies.append((seen - sent) / 1e6)
            if i % 10 == 0:
                fds.sample()
            # Gaps of 100 to 300 ms, so that the probes do not fall in step with a timer.
            time.sleep(0.1 + 0.2 * gaps.random())
        return latencies

    def latency_row(self, label, latencies):
        if not latencies:
            self.report.row("new-file latency, %s" % label, "no probe delivered", "max ≤ 100 ms", False)
            return
        ordered = sorted(latencies)
        self.report.row("new-file latency, %s" % label,
                        "p50 %.1f, p99 %.1f, max %.1f ms (%d files)"
                        % (percentile(ordered, 0.5), percentile(ordered, 0.99), ordered[-1], len(ordered)),
                        "max ≤ 100 ms", ordered[-1] <= 100.0)
        self.report.notes.append("latency, %s: %d of %d over 10 ms; the slowest: %s ms" % (
            label, sum(1 for v in ordered if v > 10), len(ordered),
            " ".join("%.1f" % v for v in ordered[-3:][::-1])))

    def case_follow(self, idle, latency):
        latencies = self.follow(self.files, idle, self.probes if latency else 0)
        label = "%s files" % format(self.files, ",d")
        if latency:
            self.latency_row(label, latencies)
            self.latency_row("empty folder", self.follow(0, False, self.probes))
            self.report.notes.append(
                "latency: time from just before the new file's creation (open O_CREAT, write one line, "
                "close) to the driver's poll (fstat every 1 ms) that finds the line in the output; "
                "the config's tracker defaults apply (flushIntervalMs 10000): a partial batch leaves "
                "as soon as the input has read its files to their end")

    # ---- case gzip

    def case_gzip(self):
        archives = gzip_set(self.quick)
        paths = [p for p, _ in archives]
        total_bytes = sum(m["bytes"] for _, m in archives)
        total_lines = sum(m["lines"] for _, m in archives)
        glob = str(paths[0].parent / "*.log.gz")
        zcat_walls, runs = [], []
        for r in range(self.args.runs):
            common.page_cache(paths)
            note("gzip: zcat round %d of %d" % (r + 1, self.args.runs))
            zcat_walls.append(sum(common.measure(["zcat", p], self.args.timeout).wall for p in paths))
            note("gzip: shipper run %d of %d" % (r + 1, self.args.runs))
            runs.append(self.gzip_run(glob, total_lines))
        zcat = min(zcat_walls)
        good = [r for r in runs if not r[1]] or runs
        m, _ = min(good, key=lambda r: r[0].wall)
        for _, problems in runs:
            self.report.problems += ["gzip: %s" % p for p in problems]
        ship_rate, zcat_rate = total_bytes / MB / m.wall, total_bytes / MB / zcat
        self.report.row("gzip backfill, raw, --once",
                        "%.0f MB/s (%.2f s) vs zcat %.0f MB/s (%.2f s): ratio %.2f"
                        % (ship_rate, m.wall, zcat_rate, zcat, ship_rate / zcat_rate),
                        "ratio ≥ 0.8", ship_rate / zcat_rate >= 0.8)
        self.report.notes.append(
            "gzip: %d archives, %.1f MB compressed, %.1f MB (%.3f GiB) and %s lines uncompressed; MB/s "
            "counts uncompressed bytes; best of %d: shipper walls %s s, zcat sums %s s; the best shipper "
            "run used %.2f s CPU, peak RSS %.1f MB" % (
                len(paths), sum(p.stat().st_size for p in paths) / MB, total_bytes / MB, total_bytes / 2**30,
                format(total_lines, ",d"), self.args.runs, " ".join("%.2f" % r[0].wall for r in runs),
                " ".join("%.2f" % w for w in zcat_walls), m.cpu, m.rss_kb * 1024 / MB))

    def gzip_run(self, glob, total_lines):
        run_dir = self.new_run_dir()
        config = common.write_config(run_dir, {**common.base_config(run_dir),
                                               "inputs": [{"name": "archives", "paths": [glob]}]})
        common.settle_disk()
        pid, start = self.spawner.spawn([self.binary, "run", "--once", "--config", config], run_dir,
                                        run_dir / "stdout.txt", run_dir / "stderr.txt")
        m = self.spawner.wait(pid, start, self.args.timeout)
        problems = []
        if m.timed_out or m.status != 0:
            problems.append("killed after %d s" % self.args.timeout if m.timed_out
                            else "exit status %d" % m.status)
        sproblems, _ = common.summary_problems((run_dir / "stdout.txt").read_text(errors="replace"),
                                               total_lines)
        problems += sproblems
        if not problems:
            lines = common.count_lines(sorted((run_dir / "out").glob("*.jsonl")))
            if lines != total_lines:
                problems.append("output has %d lines, expected %d" % (lines, total_lines))
        if problems:
            log = common.tail(run_dir / "stderr.txt")
            if log:
                problems.append("stderr ends with:\n" + log)
        shutil.rmtree(run_dir, ignore_errors=True)
        return m, problems


def gzip_set(quick):
    """The archive set, generated once: `parts` gen_corpus.py combined logs of different
    seeds, gzip'ed; only the .gz and the meta files are kept. Returns [(path, meta)]."""
    parts, mib = (5, 20.48) if quick else (5, 204.8)
    folder = CORPUS_DIR / ("gzset-%dx%gmib" % (parts, mib))
    generator = common.load_generator()
    out = []
    for i in range(parts):
        name = "part-%d.log" % i
        gz, meta_path = folder / (name + ".gz"), folder / (name + ".meta.json")
        try:
            meta = json.loads(meta_path.read_text())
            complete = gz.stat().st_size == meta["gzip"]["bytes"]
        except (OSError, ValueError, KeyError):
            complete = False
        if not complete:
            note("generating %s (%g MiB of access log, seed %d)" % (gz, mib, generator.DEFAULT_SEED + i))
            folder.mkdir(parents=True, exist_ok=True)
            subprocess.run([sys.executable, str(common.GENERATOR), "--kind", "combined", "--size-mb",
                            str(mib), "--seed", str(generator.DEFAULT_SEED + i), "--out", str(folder),
                            "--name", name, "--gzip"], check=True, stdout=subprocess.DEVNULL)
            (folder / name).unlink()
            meta = json.loads(meta_path.read_text())
        out.append((gz, meta))
    return out


# -------------------------------------------------------------------- driver ---

def parse_cases(text):
    cases = [CASE_ALIASES.get(c.strip(), c.strip()) for c in text.split(",") if c.strip()]
    if not cases or any(c not in CASES for c in cases):
        raise argparse.ArgumentTypeError("--cases takes idle, latency, gzip (or a, b, c), comma-separated")
    return [c for c in CASES if c in cases]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--quick", action="store_true",
                    help="1,000 files, a 5 s idle window, 20 probes, a 100 MiB archive set")
    ap.add_argument("--cases", type=parse_cases, default=list(CASES),
                    help="comma-separated: idle, latency, gzip (default: all)")
    ap.add_argument("--runs", type=int, default=3, help="gzip: runs of the shipper and of zcat; best shown (3)")
    ap.add_argument("--max-open-files", type=int, default=256, help="the input's maxOpenFiles (256)")
    ap.add_argument("--scratch-path", help="swift build --scratch-path (default: <repo>/.build)")
    ap.add_argument("--binary", help="the atom-shipper to run (default: SCRATCH/release/atom-shipper); "
                                     "implies --no-build")
    ap.add_argument("--no-build", action="store_true", help="use the binary already built")
    ap.add_argument("--timeout", type=float, default=600, help="seconds before a run is given up (600)")
    ap.add_argument("--prepare", action="store_true", help="only generate the gzip archive set, then exit")
    args = ap.parse_args(argv)
    if args.runs < 1 or args.max_open_files < 1:
        ap.error("--runs and --max-open-files must be at least 1")
    if args.prepare:
        for gz, meta in gzip_set(args.quick):
            print("%s: %d lines, %d bytes uncompressed" % (gz, meta["lines"], meta["bytes"]))
        return 0

    def stop(signum, _frame):
        raise SystemExit("follow_bench.py: stopped by signal %d" % signum)

    signal.signal(signal.SIGTERM, stop)
    if not args.binary and not args.no_build:
        common.build(args)
    binary = Path(args.binary).resolve() if args.binary else common.binary_path(args)
    if not os.access(binary, os.X_OK):
        die("no binary at %s" % binary)
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True).stdout.strip()
    bench = FollowBench(args, binary)
    header = ["atom-shipper following benchmark: commit %s, %s" % (common.git_commit(), version),
              "binary %s" % binary,
              "%s: %s idle files (maxOpenFiles %d), %.0f s idle window, %d new files per latency run, "
              "%d CPUs, load %.2f" % ("quick" if args.quick else "full size", format(bench.files, ",d"),
                                      args.max_open_files, bench.window, bench.probes, os.cpu_count(),
                                      os.getloadavg()[0])]
    try:
        if "idle" in args.cases or "latency" in args.cases:
            bench.case_follow("idle" in args.cases, "latency" in args.cases)
        if "gzip" in args.cases:
            bench.case_gzip()
    finally:
        bench.close()
        for proc in list(common.LIVE):
            common.kill_quietly(proc.pid)
    text = "\n".join(header) + "\n\n" + bench.report.render()
    print(text)
    (OUT_DIR / "last-follow-report.txt").write_text(text + "\n")
    return 1 if bench.report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
