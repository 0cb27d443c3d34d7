#!/usr/bin/env bash
# Every test suite of onewindow, in order, with the servers they need started and
# stopped here (docs/ARCHITECTURE.md, "Tests"). Usage:
#   tests/run.sh [all|check|unit|asan|fuzz|api|cluster|browser]...    (default: all)
# A throwaway PostgreSQL (scripts/pg-test.sh) is started once for the suites that run
# on both backends and stopped at the end, whatever happens. The last line is the
# count of suites that passed and failed.
set -u
cd "$(dirname "$0")/.."

want=("$@")
[ ${#want[@]} -eq 0 ] && want=(all)
wants() { for w in "${want[@]}"; do [ "$w" = all ] || [ "$w" = "$1" ] && return 0; done; return 1; }

# Test files run this many at a time (each has its own server, port and database; the
# files wait on fsync and on their servers more than they compute). TEST_JOBS=1: one by one.
JOBS=${TEST_JOBS:-2}
# Demo templates (tests/lib/db.mjs) of earlier builds.
find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'ow-demo-template-*' -mmin +240 -exec rm -rf {} + 2>/dev/null

passed=0
failed=0
summary=()
suite() {
  local name=$1; shift
  echo
  echo "=== $name"
  local t0=$SECONDS
  if "$@"; then
    passed=$((passed + 1)); summary+=("ok    $name ($((SECONDS - t0)) s)")
  else
    failed=$((failed + 1)); summary+=("FAIL  $name ($((SECONDS - t0)) s)")
  fi
}

PGDIR=""
cleanup() {
  if [ -n "$PGDIR" ]; then scripts/pg-test.sh stop "$PGDIR" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT INT TERM

start_pg() {
  [ -n "$PGDIR" ] && return 0
  PGDIR=$(mktemp -d /tmp/ow-pg-XXXXXX)
  if ONEWINDOW_TEST_PG_URL=$(scripts/pg-test.sh start "$PGDIR"); then
    export ONEWINDOW_TEST_PG_URL
    echo "PostgreSQL for tests: $ONEWINDOW_TEST_PG_URL"
  else
    echo "could not start the test PostgreSQL" >&2
    return 1
  fi
}

echo "=== build"
make --no-print-directory -j2 all $(ls tests/unit/*_test.c | sed 's|tests/unit/\(.*\)\.c|build/tests/\1|') \
  || { echo "build failed"; echo "suites: 0 passed, 1 failed"; exit 1; }

if wants unit || wants asan || wants api; then
  start_pg || { failed=$((failed + 1)); summary+=("FAIL  postgresql start"); }
fi

# Unit tests: the store suite runs on SQLite and, with ONEWINDOW_TEST_PG_URL, PostgreSQL.
wants check && suite "style (clang-format, cppcheck: make check)" make --no-print-directory check
wants unit && suite "unit tests (C, cmocka)" tests/run-unit.sh build/tests
wants asan && suite "unit tests under ASan+UBSan" \
  bash -c 'make --no-print-directory -j2 BUILD=build-asan SAN=1 build-asan/onewindow $(ls tests/unit/*_test.c | sed "s|tests/unit/\(.*\)\.c|build-asan/tests/\1|") >/dev/null && ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp tests/run-unit.sh build-asan/tests'
wants fuzz && suite "fuzz corpora replay (libFuzzer)" scripts/build-fuzz.sh --replay

if wants api; then
  # On SQLite the server under test is the ASan+UBSan build (when the asan suite built it):
  # a memory error or leak in a handler fails the file that met it (the server exits 1).
  if [ -x build-asan/onewindow ] && wants asan; then
    suite "API tests on SQLite (server under ASan+UBSan)" env -u ONEWINDOW_TEST_PG_URL \
      ONEWINDOW_BIN="$PWD/build-asan/onewindow" ASAN_OPTIONS=detect_leaks=1 \
      LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp" node --test --test-concurrency="$JOBS" tests/api/
  else
    suite "API tests on SQLite" env -u ONEWINDOW_TEST_PG_URL node --test --test-concurrency="$JOBS" tests/api/
  fi
  if [ -n "${ONEWINDOW_TEST_PG_URL:-}" ]; then
    suite "API tests on PostgreSQL" node --test --test-concurrency="$JOBS" tests/api/
  fi
fi
# The cluster (issue 17): HAProxy, two nodes, a PostgreSQL primary and its streaming replica,
# all on 127.0.0.1 and started and stopped by the test itself (about a minute).
wants cluster && suite "cluster test (HAProxy, two nodes, PostgreSQL primary + replica)" \
  node --test tests/cluster/
wants browser && suite "browser tests (chromium)" env -u ONEWINDOW_TEST_PG_URL node --test --test-concurrency="$JOBS" tests/browser/

echo
echo "=== summary"
for line in "${summary[@]}"; do echo "$line"; done
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
