#!/usr/bin/env bash
# Run every C unit test binary in DIR; each is a cmocka program that prints its own
# summary. Exits non-zero if any fails.
set -u
dir=${1:?usage: run-unit.sh DIR}
fail=0
for t in "$dir"/*_test; do
  [ -x "$t" ] || continue
  echo "== $(basename "$t")"
  if ! "$t"; then
    echo "FAILED: $t"
    fail=1
  fi
done
exit $fail
