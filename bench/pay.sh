#!/usr/bin/env bash
# bench/pay.sh - the payment targets of issue 12 (run as `bench/run.sh pay`, or by `make
# bench`): on a fresh demo data directory (SQLite, durable commits), bench/pay_bench measures
# the raw single-row commit rate and, in the same run, notification handling (verify, update,
# receipt, audit: one transaction each) as a ratio of it (target >= 0.5), and reconciling a
# day of 100,000 transactions (target < 10 s). Results: key=value lines, also in
# bench/results/pay.txt. Reports, never fails.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BUILD_DIR=${BUILD:-build}
BIN=${ONEWINDOW_BIN:-$BUILD_DIR/onewindow}
PB=$BUILD_DIR/bench/pay_bench
for f in "$BIN" "$PB"; do
    [[ -x $f ]] || { echo "bench/pay: $f missing (make $f)" >&2; exit 1; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/onewindow-pay-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
O=(--data "$WORK/d" --db "sqlite:$WORK/d/db")
mkdir -p "$WORK/d"
if ! "$BIN" init "${O[@]}" >/dev/null 2>&1 || ! "$BIN" demo "${O[@]}" >/dev/null 2>&1; then
    echo "bench/pay: init or demo failed" >&2
    exit 0
fi
"$PB" "sqlite:$WORK/d/db" "$WORK/d" "${BENCH_PAY_NOTICES:-300}" "${BENCH_PAY_RECON:-100000}" \
    | tee "$WORK/out"
echo "notice_ratio_target=0.5"
echo "reconcile_target_ms=10000"
mkdir -p bench/results 2>/dev/null && cp "$WORK/out" bench/results/pay.txt 2>/dev/null
exit 0
