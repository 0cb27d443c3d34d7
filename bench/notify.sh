#!/usr/bin/env bash
# bench/notify.sh - SMS delivery throughput of the notification outbox (run as
# `bench/run.sh notify`, or by `make bench` after the other sections). On a fresh SQLite data
# directory: BENCH_NOTIFY_MESSAGES messages with a phone number are queued with `onewindow
# notify send` (one process each, not measured), then `onewindow notify deliver` passes (up to
# 500 rows each; each row decrypted, rendered and marked sent with the sandbox carrier's record
# in its own durable transaction) run until nothing is pending. Reports messages per second
# beside the raw durable single-row commit rate of the same disk (bench/commit_rate).
# Results: key=value lines, also in bench/results/notify.txt. Reports, never fails.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BIN=${ONEWINDOW_BIN:-${BUILD:-build}/onewindow}
N=${BENCH_NOTIFY_MESSAGES:-2000}
[[ -x $BIN ]] || { echo "bench/notify: $BIN missing" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/onewindow-notify-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
COMMON=(--data "$WORK" --db "sqlite:$WORK/onewindow.db" --insecure-fast-passwords 1 --log-level error)
"$BIN" init "${COMMON[@]}" >/dev/null || { echo "bench/notify: init failed" >&2; exit 1; }
for ((i = 0; i < N; i++)); do
    "$BIN" notify send 0 notify.test.hello "{\"name\":\"bench\",\"number\":\"$i\"}" \
        "139$(printf '%08d' "$i")" "${COMMON[@]}" >/dev/null || { echo "bench/notify: send failed" >&2; exit 1; }
done
START=$(date +%s%N)
while :; do
    OUT=$("$BIN" notify deliver "${COMMON[@]}") || { echo "bench/notify: deliver failed" >&2; exit 1; }
    grep -q '^delivered	0$' <<<"$OUT" && break
done
END=$(date +%s%N)
SENT=$("$BIN" notify outbox "${COMMON[@]}" | awk '$1 == "sent" {print $2}')
MS=$(((END - START) / 1000000))
RATE=$(awk -v n="$SENT" -v ms="$MS" 'BEGIN { printf "%.0f", (ms > 0) ? (n * 1000 / ms) : 0 }')
# The raw durable single-row commit rate of the same disk, measured now, for comparison.
CR=${BUILD:-build}/bench/commit_rate
RAW=""
[[ -x $CR ]] && RAW=$("$CR" "sqlite:$WORK/raw.db" 1 2 2>/dev/null | awk -F= '$1 == "commits_per_s" {print $2}')
mkdir -p bench/results
{
    echo "notify_raw_commit_per_s=${RAW:-unmeasured}"
    echo "notify_sms_messages=$SENT"
    echo "notify_sms_deliver_ms=$MS"
    echo "notify_sms_per_s=$RATE"
} | tee bench/results/notify.txt
