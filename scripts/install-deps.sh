#!/usr/bin/env bash
# Install every Debian package and npm test tool onewindow needs, and nothing twice.
# Idempotent: packages already present are skipped, so a second run is quick and offline.
# Works as root or through sudo. Usage: scripts/install-deps.sh [--no-npm]
set -euo pipefail

cd "$(dirname "$0")/.."

# Build and runtime libraries (pkg-config names them in the Makefile), the test tools
# (cmocka, PostgreSQL server, HAProxy for the cluster test, wrk, chromium and the fonts its screenshots need, poppler to
# read certificates back from their PDF, gettext and translate-toolkit (the PO reader Weblate
# uses) to check the translators' PO files), and clang for the sanitizer and fuzzer builds;
# clang-format and cppcheck hold the style (make check).
# The build cuts the Tibetan web font out of fonts-noto-core with fontTools (fonttools;
# python3-brotli for WOFF2): tools/tibetan-font.sh. python3-rdflib: tests/api/opendata.test.mjs
# parses the DCAT-AP catalog (Turtle and JSON-LD) with a real RDF library.
# python3-brotli for WOFF2): tools/tibetan-font.sh. libcurl sends e-mail over SMTP and SMS
# through an HTTP carrier (src/notify); python3-aiosmtpd is the SMTP server the tests deliver to.
PKGS=(
  build-essential pkg-config clang libclang-rt-14-dev clang-format cppcheck
  libmicrohttpd-dev libjansson-dev libsqlite3-dev libpq-dev libinih-dev libssl-dev zlib1g-dev
  libcurl4-openssl-dev python3-aiosmtpd
  libargon2-dev liboath-dev libqrencode-dev libcmocka-dev libicu-dev libcairo2-dev libpango1.0-dev
  libcurl4-openssl-dev
  postgresql postgresql-contrib
  wrk curl procps strace sqlite3 haproxy
  nodejs npm
  fonts-noto-core fonttools python3-brotli
  chromium fonts-wqy-microhei fonts-tibetan-machine
  poppler-utils gettext translate-toolkit
  python3-rdflib
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    # A command already on PATH (e.g. node from another source) counts as present.
    case "$p" in
      nodejs) command -v node >/dev/null 2>&1 && continue ;;
      npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  # apt's progress goes to a log, so that `make run` ends with what matters (the URL and
  # the logins); the log's tail is shown when apt fails.
  log=$(mktemp /tmp/onewindow-apt-XXXXXX.log)
  if ! { $SUDO apt-get update -q && $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "install-deps: apt-get failed (full log: $log)" >&2
    exit 1
  fi
  echo "install-deps: done (log: $log)"
fi

# npm test tools, pinned by the committed package-lock.json.
if [ "${1:-}" != "--no-npm" ] && [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "install-deps: npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
