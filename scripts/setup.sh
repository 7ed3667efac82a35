#!/usr/bin/env bash
# Installs the Debian packages atom-shipper builds and tests with, when any is missing.
# Idempotent: with everything present it only checks.
set -euo pipefail

packages=(
  zlib1g-dev          # gzip request bodies (zlib)
  libisal-dev         # gzip archive reading (ISA-L's SIMD inflate, several times zlib's speed)
  libsqlite3-dev      # checkpoint database
  libpcre2-dev        # regex parser (PCRE2 with JIT)
  libssl-dev          # HMAC-SHA256 and SHA-256 (libcrypto)
  libcurl4-openssl-dev  # HTTP transport (libcurl)
  logrotate           # rotation tests use the real logrotate
  gzip
  tzdata              # time zones of the timestamp operation (/usr/share/zoneinfo; tests use its tzdata.zi)
  python3             # benchmark corpus generator, the newcomer check, tests' independent expected values
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# python3 may come from elsewhere than Debian (the Swift image ships one); accept any on PATH.
if command -v python3 >/dev/null 2>&1; then
  filtered=()
  for p in "${missing[@]}"; do [ "$p" = python3 ] || filtered+=("$p"); done
  missing=("${filtered[@]}")
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
