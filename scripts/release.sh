#!/usr/bin/env bash
# Builds the release binary with the Swift runtime linked in statically, and checks that it runs
# on a Debian 12 host without the Swift toolchain: a Debian 12 (bookworm) root made with
# debootstrap, where only the C libraries the binary links are installed.
#
#   scripts/release.sh                    # build dist/atom-shipper, then check it in a fresh root
#   scripts/release.sh --binary FILE      # check an already built binary
#   scripts/release.sh --no-check         # build only
#   ROOT=/var/tmp/bookworm scripts/release.sh   # reuse (or keep) the Debian root there
#
# Needs root (debootstrap and chroot) and Debian's package archive; installs debootstrap when it
# is missing. Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=""
check=1
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --no-check) check=0; shift ;;
    *) echo "release: unknown argument $1" >&2; exit 2 ;;
  esac
done

if [ -z "$binary" ]; then
  scripts/setup.sh
  swift build -c release --static-swift-stdlib --product atom-shipper
  mkdir -p dist
  cp .build/release/atom-shipper dist/atom-shipper
  strip dist/atom-shipper
  binary=dist/atom-shipper
fi
binary=$(readlink -f "$binary")
echo "release: $binary ($(stat -c %s "$binary") bytes): $("$binary" --version)"

# The shared libraries it needs, and the Debian packages that ship them here.
libraries=$(readelf -d "$binary" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p')
if echo "$libraries" | grep -q swift; then
  echo "release: the binary links a Swift runtime library dynamically:" $libraries >&2
  exit 1
fi
packages=()
for library in $libraries; do
  package=$(dpkg -S "*/$library" 2>/dev/null | head -1 | cut -d: -f1)
  [ -n "$package" ] || { echo "release: no Debian package ships $library" >&2; exit 1; }
  packages+=("$package")
done
packages=($(printf '%s\n' "${packages[@]}" | sort -u))
echo "release: runtime dependencies: ${packages[*]}"
[ "$check" -eq 1 ] || exit 0

# A Debian 12 root with those packages and nothing of Swift.
[ "$(id -u)" -eq 0 ] || { echo "release: the check needs root (debootstrap, chroot)" >&2; exit 1; }
if ! command -v debootstrap >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >&2
fi
keep=1
if [ -z "${ROOT:-}" ]; then
  ROOT=$(mktemp -d /var/tmp/atom-bookworm.XXXXXX)
  keep=0
fi
cleanup() {
  umount "$ROOT/proc" 2>/dev/null || true
  [ "$keep" -eq 1 ] || rm -rf "$ROOT"
}
trap cleanup EXIT
if [ ! -x "$ROOT/bin/sh" ]; then
  debootstrap --variant=minbase bookworm "$ROOT" http://deb.debian.org/debian >/dev/null
fi
chroot "$ROOT" apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
if chroot "$ROOT" sh -c 'ls /usr/lib/swift /usr/bin/swift* 2>/dev/null; find / -xdev -name "libswiftCore*" 2>/dev/null' \
    | grep -q .; then
  echo "release: the Debian root has Swift in it; the check would prove nothing" >&2
  exit 1
fi

# Run it there: --version, then a one-shot run over a small log.
mkdir -p "$ROOT/proc" "$ROOT/opt/atom/logs"
mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
cp "$binary" "$ROOT/opt/atom/atom-shipper"
for n in $(seq 1 1000); do echo "release check line $n"; done > "$ROOT/opt/atom/logs/app.log"
cat > "$ROOT/opt/atom/check.json5" <<'CONFIG'
{
  output: { directory: "out" },
  checkpoints: { path: "state/cp.sqlite" },
  inputs: [{ name: "app", paths: ["logs/app.log"], parser: { type: "regex", pattern: "^release (?<what>\\w+) line (?<n>\\d+)$" } }],
}
CONFIG
rm -rf "$ROOT/opt/atom/out" "$ROOT/opt/atom/state"
chroot "$ROOT" /opt/atom/atom-shipper --version
chroot "$ROOT" /opt/atom/atom-shipper run --config /opt/atom/check.json5 --once
delivered=$(wc -l < "$ROOT/opt/atom/out/app.jsonl")
[ "$delivered" -eq 1000 ] || { echo "release: $delivered of 1000 lines delivered in the Debian root" >&2; exit 1; }
grep -q '"what":"check","n":"1000"' "$ROOT/opt/atom/out/app.jsonl"
echo "release: OK on $(chroot "$ROOT" cat /etc/debian_version) without a Swift toolchain: 1000 of 1000 lines"
