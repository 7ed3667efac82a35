#!/usr/bin/env bash
# Installs what is missing, builds atom-shipper (release) and runs it on the bundled default config
# and samples. Extra arguments go to `atom-shipper run` (for example --once).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product atom-shipper >&2
exec .build/release/atom-shipper run --config config/default.json5 "$@"
