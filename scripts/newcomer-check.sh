#!/usr/bin/env bash
# Does on a fresh clone what a newcomer does: runs the README's main command in its one-shot form,
# then checks that every sample line reached the output folder exactly once, and that a second run
# adds nothing. Usage: scripts/newcomer-check.sh [REPO]   (default: this checkout's committed HEAD)
set -euo pipefail
repo=$(cd "${1:-$(dirname "$0")/..}" && pwd)
work=$(mktemp -d /tmp/atom-newcomer.XXXXXX)
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/atom-shipper"
cd "$work/atom-shipper"

echo "newcomer: first run" >&2
./scripts/run.sh --once
echo "newcomer: second run" >&2
./scripts/run.sh --once > "$work/second.txt"
cat "$work/second.txt"

python3 - "$work/second.txt" <<'PY'
import glob, gzip, os, re, sys
marker = re.compile(r"(?:\bid=app-\d{4}|\br=web-\d{4}|\"id\":\"ev-\d{4}\")")
expected = []
for path in sorted(glob.glob("samples/app/*") + glob.glob("samples/web/*") + glob.glob("samples/events/*")):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f.read().splitlines():
            m = marker.search(line)
            if not m:
                sys.exit(f"sample line without a marker in {path}: {line!r}")
            expected.append(m.group(0).replace('"id":"', "").replace('"', ""))
found = {}
for path in glob.glob("out/*.jsonl"):
    with open(path, encoding="utf-8") as f:
        for line in f:
            for m in re.finditer(r"(?:app-\d{4}|web-\d{4}|ev-\d{4})", line):
                found[m.group(0)] = found.get(m.group(0), 0) + 1
keys = [e.split("=")[-1] for e in expected]
missing = [k for k in keys if found.get(k, 0) == 0]
repeated = [k for k in keys if found.get(k, 0) > 1]
extra = sorted(set(found) - set(keys))
print(f"newcomer: {len(keys)} sample lines, {sum(found.values())} found in out/, "
      f"{len(missing)} missing, {len(repeated)} repeated, {len(extra)} unexpected")
second = open(sys.argv[1]).read()
delivered = re.search(r"done in [\d.]+ s: (\d+) events delivered", second)
if not delivered or delivered.group(1) != "0":
    sys.exit(f"newcomer: the second run delivered events again: {second!r}")
if missing or repeated or extra:
    sys.exit(f"newcomer: FAILED missing={missing[:5]} repeated={repeated[:5]} extra={extra[:5]}")
print("newcomer: passed (every sample line once; the second run added nothing)")
PY
