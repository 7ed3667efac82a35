#!/usr/bin/env python3
"""Instruction counts of the mapping hot path, for comparing two builds on a loaded machine.

Runs `atom-shipper run --once` under `valgrind --tool=callgrind` on a small generated access
log (20,000 lines by default) with configs that use none, some, or all of the field operations,
and prints the total instructions (Ir) per config and per line. Instruction counts do not depend
on the load, so two builds (say main and a branch) compare fairly while others compile.

    swift build -c release --scratch-path /tmp/rel-a
    python3 Benchmarks/callgrind-mapping.py --binary /tmp/rel-a/release/atom-shipper
    python3 Benchmarks/callgrind-mapping.py --binary B --configs plain   # only the config without
                                                                        # operations (works on
                                                                        # builds that predate them)
"""
import argparse
import importlib.util
import json
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
GENERATOR = ROOT.parent / "shared" / "bench" / "gen_corpus.py"


def load_generator():
    if not GENERATOR.exists():
        sys.exit("the corpus generator is missing: expected %s" % GENERATOR)
    spec = importlib.util.spec_from_file_location("gen_corpus", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def configs(pattern):
    """The configs compared: the same parser and routes, with and without operations."""
    routes = [{"when": {"field": "status", "matches": "^5"}, "stream": "errors"}]
    plain = {"parser": {"type": "regex", "pattern": pattern}, "routes": routes}
    cheap = dict(plain, fields=[
        {"rename": {"from": "remote", "to": "client"}},
        {"remove": ["user"]},
        {"lowercase": "method"},
    ])
    heavy = dict(plain, fields=[
        {"hash": {"field": "remote", "key": "bench-key", "length": 16}},
        {"set": {"field": "request_line", "template": "{method} {path}"}},
        {"mask": {"field": "agent", "pattern": "\\d+", "replacement": "N"}},
        {"timestamp": {"field": "time", "format": "%d/%b/%Y:%H:%M:%S %z", "zone": "Europe/Berlin",
                       "keepOriginal": False}},
    ])
    return {"plain": plain, "cheap": cheap, "heavy": heavy}


def run(binary, corpus, name, mapping, work):
    folder = work / name
    folder.mkdir()
    config = {
        "output": {"directory": str(folder / "out")},
        "checkpoints": {"path": str(folder / "cp.sqlite")},
        "deadLetter": {"path": str(folder / "dead.jsonl")},
        "log": {"level": "warn"},
        "inputs": [dict(mapping, name="access", paths=[str(corpus)])],
    }
    path = folder / "config.json5"
    path.write_text(json.dumps(config, indent=2))
    out = folder / "callgrind.out"
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=%s" % out,
         binary, "run", "--once", "--config", str(path)],
        capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit("%s failed:\n%s" % (name, result.stderr[-2000:]))
    match = re.search(r"Collected : (\d+)", result.stderr)
    if not match:
        sys.exit("no instruction count in callgrind's output for %s" % name)
    return int(match.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True, help="a release atom-shipper")
    parser.add_argument("--lines", type=int, default=20000)
    parser.add_argument("--configs", default="plain,cheap,heavy")
    args = parser.parse_args()
    generator = load_generator()
    pattern = generator.COMBINED_RE.pattern.replace("(?P<", "(?<")
    chosen = configs(pattern)
    with tempfile.TemporaryDirectory(prefix="callgrind-mapping.") as temp:
        work = pathlib.Path(temp)
        subprocess.run([sys.executable, str(GENERATOR), "--kind", "combined", "--lines",
                        str(args.lines), "--out", str(work)], check=True, capture_output=True)
        corpus = work / "combined.log"
        for name in args.configs.split(","):
            total = run(args.binary, corpus, name, chosen[name], work)
            print("%-6s %14d Ir  %9.0f Ir/line" % (name, total, total / args.lines))


if __name__ == "__main__":
    main()
