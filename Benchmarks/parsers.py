#!/usr/bin/env python3
"""Parser benchmark (Python stdlib only): each parser on a generated corpus of at least 100 MB,
from line bytes to the encoded JSON event, on one core, with peak memory, beside a plain memchr
line count of the same file in the same run.

  python3 Benchmarks/parsers.py                     # every case, full size, best of 3 runs
  python3 Benchmarks/parsers.py --quick --runs 1    # 10 MB corpora, one run
  python3 Benchmarks/parsers.py --cases dissect,json
  python3 Benchmarks/parsers.py --save-digests d.json     # record each case's output hash
  python3 Benchmarks/parsers.py --check-digests d.json    # and compare after a change

See Benchmarks/README.md ("Parser benchmark") for the cases, the columns and the targets.
"""

import argparse
import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GENERATOR = REPO.parent / "shared" / "bench" / "gen_corpus.py"
CORPUS_DIR = HERE / ".corpus"
MB = 1e6

# The grok pattern of the grok-vs-regex pair, and the same regex written out by hand.
GROK_SHAPE = (r'^%{NOTSPACE:remote} %{NOTSPACE} %{NOTSPACE:user} \[%{DATA:time}\] '
              r'"%{WORD:method} %{NOTSPACE:path} %{NOTSPACE:protocol}" %{NONNEGINT:status} '
              r'%{NOTSPACE:bytes} "%{QUOTEDTEXT:referer}" "%{QUOTEDTEXT:agent}"$')
QUOTED = r'[^"\\]*(?:\\.[^"\\]*)*'
GROK_SHAPE_BY_HAND = (r'^(?<remote>\S+) \S+ (?<user>\S+) \[(?<time>.*?)\] '
                      r'"(?<method>\w+) (?<path>\S+) (?<protocol>\S+)" (?<status>\d+) '
                      r'(?<bytes>\S+) "(?<referer>' + QUOTED + r')" "(?<agent>' + QUOTED + r')"$')
DISSECT = ('%{client} %{} %{user} [%{time}] "%{method} %{path} %{protocol}" %{status} %{bytes} '
           '"%{referrer}" "%{agent}"')
CSV_COLUMNS = "time,pid,tid,level,component,message,event_id,duration_ms"
# The java corpus: a log line's fields and, after it, its stack trace (when multiline grouping
# joined one to it); a line that is not a log line (a trace line on its own) is one field, so
# that the same regex parses every line with grouping and without.
JAVA_EVENT = (r'^(?:(?<time>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}) (?<level>[A-Z]+) +\[(?<thread>[^\]]+)\] '
              r'(?<logger>\S+) - (?<message>[^\n]*)(?:\n(?<trace>[\s\S]*))?|(?<line>.*))$')


def die(message):
    sys.stderr.write("parsers.py: %s\n" % message)
    sys.exit(2)


def note(message):
    sys.stderr.write("# %s\n" % message)
    sys.stderr.flush()


def load_generator():
    if not GENERATOR.exists():
        die("the corpus generator is missing: %s" % GENERATOR)
    spec = importlib.util.spec_from_file_location("gen_corpus", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def combined_regex(generator):
    """COMBINED_RE from gen_corpus.py in PCRE2 spelling (as Benchmarks/run.py case 1 uses it)."""
    return generator.COMBINED_RE.pattern.replace("(?P<", "(?<")


# ------------------------------------------------------------------ corpora ---

def generated(kind, size_mib):
    """A gen_corpus.py corpus of `size_mib` MiB, made once and cached."""
    folder = CORPUS_DIR / ("parsers-%s-%dmib" % (kind, size_mib))
    names = {"combined": "combined.log", "jsonl": "app.jsonl", "syslog": "syslog.log", "java": "java.log"}
    path = folder / names[kind]
    if not (path.exists() and (folder / (names[kind] + ".meta.json")).exists()):
        note("generating %s (%d MiB)" % (kind, size_mib))
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(GENERATOR), "--kind", kind, "--size-mb", str(size_mib),
                        "--out", str(folder)], check=True, stdout=subprocess.DEVNULL)
    return path


def own(kind, size_mib):
    """A logfmt or CSV corpus of our own generation (seeded, so byte-identical every time)."""
    folder = CORPUS_DIR / ("parsers-%s-%dmib" % (kind, size_mib))
    path = folder / ("%s.log" % kind)
    if path.exists():
        return path
    note("generating %s (%d MiB)" % (kind, size_mib))
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20261204)
    pick = lambda items: items[int(rng.random() * len(items))]
    levels = ["debug", "info", "info", "info", "warning", "error"]
    components = ["api", "db", "cache", "auth", "scheduler", "billing"]
    messages = ["request served", "cache miss", "user logged in", "payment declined",
                "retrying after timeout", "connection reset by peer", "job finished"]
    paths = ["/api/v1/users/%d", "/api/v2/orders/%d/items", "/static/app.%d.js", "/health", "/search?q=%d"]
    target = size_mib * 1024 * 1024
    written = 0
    temporary = path.with_suffix(".tmp")
    with open(temporary, "w", encoding="utf-8", newline="") as out:
        second = 0
        while written < target:
            second += int(rng.random() * 3)
            stamp = "2024-11-12T%02d:%02d:%02d.%03d+00:00" % (
                (second // 3600) % 24, (second // 60) % 60, second % 60, int(rng.random() * 1000))
            path_text = pick(paths).replace("%d", str(int(rng.random() * 100000)))
            if kind == "logfmt":
                message = pick(messages)
                line = ('time=%s level=%s msg="%s" component=%s method=%s path=%s status=%d '
                        'duration_ms=%.3f bytes=%d user_id=u%d trace_id=%016x%016x' % (
                            stamp, pick(levels), message, pick(components), pick(["GET", "POST", "PUT"]),
                            path_text, pick([200, 200, 200, 201, 304, 404, 500]), rng.random() * 900,
                            int(rng.random() * 90000), int(rng.random() * 1000000),
                            int(rng.random() * 2 ** 64), int(rng.random() * 2 ** 64)))
                if rng.random() < 0.1:
                    line += ' error="upstream \\"%s\\" failed"' % pick(components)
            else:
                message = pick(messages)
                if rng.random() < 0.3:
                    message = '"%s, path %s, said ""%s"""' % (message, path_text, pick(components))
                line = "%s,%d,%d,%s,%s,%s,E%d,%.2f" % (
                    stamp.replace("T", " ")[:23], int(rng.random() * 30000), int(rng.random() * 30000),
                    pick(["D", "I", "I", "W", "E"]), pick(components).capitalize() + "Service", message,
                    int(rng.random() * 60), rng.random() * 500)
            out.write(line + "\n")
            written += len(line.encode()) + 1
    os.replace(temporary, path)
    return path


# -------------------------------------------------------------------- cases ---

def cases(generator, size_mib):
    """(name, corpus path, parser object, target (text, check(result, results) -> (ok, why)) or None,
    and optionally the input's other members, such as its multiline setting)."""
    combined = generated("combined", size_mib)
    java = generated("java", size_mib)
    at_least = lambda mbps: (">= %d MB/s" % mbps, lambda r, all_: (r["mbps"] >= mbps, "%.0f < %d" % (r["mbps"], mbps)))

    def grouping_over(other, share):
        def check(r, all_):
            if other not in all_:
                return False, "(needs %s)" % other
            limit = all_[other]["map_cpu_s"] * (1 + share)
            return r["map_cpu_s"] <= limit, "%.3f s > %.0f%% over %s (%.3f s)" % (
                r["map_cpu_s"], share * 100, other, all_[other]["map_cpu_s"])
        return "<= %.0f%% over %s" % (share * 100, other), check

    def near(other):
        def check(r, all_):
            if other not in all_:
                return False, "(needs %s)" % other
            limit = all_[other]["mbps"] * 0.9
            return r["mbps"] >= limit, "%.0f < 90%% of %s (%.0f)" % (r["mbps"], other, all_[other]["mbps"])
        return "within 10% of " + other, check

    return [
        ("raw", combined, {"type": "raw"}, None),
        ("regex", combined, {"type": "regex", "pattern": combined_regex(generator)}, at_least(350)),
        ("regex-grok-shape", combined, {"type": "regex", "pattern": GROK_SHAPE_BY_HAND}, None),
        ("grok", combined, {"type": "grok", "pattern": GROK_SHAPE}, near("regex-grok-shape")),
        ("grok-library", combined, {"type": "grok", "pattern": "^%{COMBINEDAPACHELOG}$"}, None),
        ("dissect", combined, {"type": "dissect", "pattern": DISSECT}, at_least(700)),
        ("json", generated("jsonl", size_mib), {"type": "json"}, at_least(400)),
        ("syslog", generated("syslog", size_mib), {"type": "syslog", "format": "rfc3164"}, None),
        ("logfmt", own("logfmt", size_mib), {"type": "logfmt"}, at_least(300)),
        ("csv", own("csv", size_mib), {"type": "csv", "columns": CSV_COLUMNS}, at_least(300)),
        # Multiline grouping costs <= 20 % (parse+encode CPU) over the same parser without it, on
        # the java corpus: the java preset joins each stack trace to its log line.
        ("java-regex", java, {"type": "regex", "pattern": JAVA_EVENT}, None),
        ("java-regex-multiline", java, {"type": "regex", "pattern": JAVA_EVENT},
         grouping_over("java-regex", 0.20), {"multiline": "java"}),
        ("java-raw", java, {"type": "raw"}, None),
        ("java-raw-multiline", java, {"type": "raw"}, grouping_over("java-raw", 0.20), {"multiline": "java"}),
    ]


# -------------------------------------------------------------------- runs ---

def pinned(cpu):
    return lambda: os.sched_setaffinity(0, {cpu})


def run_bench(binary, config, mode, cpu, digest=False):
    argv = [str(binary), "--config", str(config), "--mode", mode] + (["--digest"] if digest else [])
    done = subprocess.run(argv, capture_output=True, text=True, preexec_fn=pinned(cpu))
    if done.returncode != 0:
        die("parser-bench failed (%s): %s" % (" ".join(argv), done.stderr.strip()))
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_config(folder, name, corpus, parser, extra):
    config = folder / ("%s.json5" % name)
    input_ = {"name": name, "paths": [str(corpus)], "parser": parser, "readBufferBytes": 262144}
    input_.update(extra)
    config.write_text(json.dumps({
        "checkpoints": {"path": str(folder / ("%s.sqlite" % name))},
        "inputs": [input_],
    }, indent=2))
    return config


def expected_events(corpus, extra):
    """Lines, or with multiline grouping the corpus's records (gen_corpus.py's meta file)."""
    if "multiline" not in extra:
        return None
    meta = json.loads(Path(str(corpus) + ".meta.json").read_text())
    return meta["records"]


def best(runs, key):
    return min(runs, key=lambda r: r[key])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10 MiB corpora instead of 105 MiB")
    parser.add_argument("--runs", type=int, default=3, help="runs per case and mode (best is shown)")
    parser.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    parser.add_argument("--cpu", type=int, default=None, help="the core to pin to (default: the last allowed)")
    parser.add_argument("--no-build", action="store_true", help="use the parser-bench already built")
    parser.add_argument("--save-digests", metavar="FILE", help="write each case's output hash to FILE")
    parser.add_argument("--check-digests", metavar="FILE", help="compare each case's output hash with FILE")
    args = parser.parse_args()

    size_mib = 10 if args.quick else 105
    cpu = args.cpu if args.cpu is not None else max(os.sched_getaffinity(0))
    if not args.no_build:
        note("building parser-bench (release)")
        subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "parser-bench"],
                       cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    binary = REPO / ".build" / "release" / "parser-bench"
    if not binary.exists():
        die("no binary at %s (build it, or drop --no-build)" % binary)

    generator = load_generator()
    chosen = [c for c in cases(generator, size_mib) if not args.cases or c[0] in args.cases.split(",")]
    if not chosen:
        die("no case matches --cases %s" % args.cases)
    load = os.getloadavg()
    print("parser benchmark: %d MiB corpora, best of %d, pinned to core %d; load average %.2f %.2f %.2f"
          % (size_mib, args.runs, cpu, *load))

    saved = json.loads(Path(args.check_digests).read_text()) if args.check_digests else {}
    digests = {}
    results = {}
    floors = {}
    work = Path(tempfile.mkdtemp(prefix="parser-bench.", dir="/tmp"))
    try:
        for name, corpus, spec, target, *more in chosen:
            extra = more[0] if more else {}
            config = write_config(work, name, corpus, spec, extra)
            for mode in ("memchr", "tailer"):
                if (corpus, mode) not in floors:
                    floors[(corpus, mode)] = best([run_bench(binary, config, mode, cpu) for _ in range(args.runs)],
                                                  "cpu_s")
            runs = [run_bench(binary, config, "map", cpu) for _ in range(args.runs)]
            r = dict(best(runs, "map_cpu_s"))
            r["mbps"] = r["bytes"] / MB / r["map_cpu_s"]
            r["whole_mbps"] = r["bytes"] / MB / best(runs, "cpu_s")["cpu_s"]
            r["memchr_mbps"] = r["bytes"] / MB / floors[(corpus, "memchr")]["cpu_s"]
            r["tailer_mbps"] = r["bytes"] / MB / floors[(corpus, "tailer")]["cpu_s"]
            r["peak_rss_mb"] = max(x["peak_rss_bytes"] for x in runs) / MB
            r["target"] = target
            r["expected_events"] = expected_events(corpus, extra)
            if args.save_digests or args.check_digests:
                digests[name] = run_bench(binary, config, "map", cpu, digest=True)["digest"]
            results[name] = r
    finally:
        shutil.rmtree(work, ignore_errors=True)

    header = ("case", "MB", "lines", "memchr", "read+frame", "parse+encode", "ns/line", "whole", "events",
              "fails", "RSS MB", "target", "result")
    rows = []
    failed = False
    for name, r in results.items():
        verdict = "-"
        if r["target"] is not None:
            ok, why = r["target"][1](r, results)
            verdict = "PASS" if ok else "FAIL: " + why
        expected = r["expected_events"] if r["expected_events"] is not None else r["lines"]
        if r["parse_failures"] or r["events"] != expected:
            verdict = "WRONG: %d parse failures, %d events of %d expected" % (r["parse_failures"], r["events"], expected)
            failed = True
        if name in saved and digests.get(name) != saved[name]:
            verdict += " (OUTPUT CHANGED)"
            failed = True
        rows.append((name, "%.0f" % (r["bytes"] / MB), "{:,}".format(r["lines"]), "%.0f" % r["memchr_mbps"],
                     "%.0f" % r["tailer_mbps"], "%.0f" % r["mbps"], "%.0f" % (r["map_cpu_s"] * 1e9 / r["lines"]),
                     "%.0f" % r["whole_mbps"], "{:,}".format(r["events"]), str(r["parse_failures"]),
                     "%.1f" % r["peak_rss_mb"], r["target"][0] if r["target"] else "-", verdict))
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
    print("MB/s throughout (10^6 bytes per CPU second of the one thread). memchr: a read(2) loop counting lines; "
          "read+frame: the real Tailer, no mapping; parse+encode: the consumer's own time, line bytes to "
          "encoded event (judged); whole: all of the run. Load average at the end: %.2f %.2f %.2f" % os.getloadavg())
    if args.save_digests:
        Path(args.save_digests).write_text(json.dumps(digests, indent=2, sort_keys=True) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
