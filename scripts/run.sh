#!/usr/bin/env bash
# Installs what is missing, builds atom-shipper (release) and runs it on the bundled default config
# and samples. Extra arguments go to `atom-shipper run` (for example --once).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The Swift runtime is linked in: the binary runs where no toolchain is installed, and starts
# with less memory mapped than one that loads the runtime's shared libraries.
swift build -c release --static-swift-stdlib --product atom-shipper >&2
exec .build/release/atom-shipper run --config config/default.json5 "$@"
